package io.brook.metadata.controller;

import io.brook.metadata.image.MetadataDelta;
import io.brook.metadata.image.MetadataImage;
import io.brook.proto.metadata.v1.MetadataRecord;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A single-node stand-in for the Raft log: entries "commit" on another thread after a delay,
 * like a real quorum round trip, so the controller's serialisation is exercised.
 */
final class InMemoryMetadataLog implements MetadataLog, AutoCloseable {
    private final ScheduledExecutorService committer = Executors.newSingleThreadScheduledExecutor();
    private final long commitDelayMs;
    private final AtomicInteger pending = new AtomicInteger();
    private final List<List<MetadataRecord>> entries = new CopyOnWriteArrayList<>();
    private volatile MetadataImage image = MetadataImage.EMPTY;
    private volatile long term = 1;
    private volatile boolean active = true;
    private long nextIndex = 1;

    InMemoryMetadataLog(long commitDelayMs) {
        this.commitDelayMs = commitDelayMs;
    }

    /** Every entry appended so far, in order (committed or about to be). */
    List<List<MetadataRecord>> entries() {
        return List.copyOf(entries);
    }

    List<MetadataRecord> lastEntry() {
        return entries.get(entries.size() - 1);
    }

    void setActive(boolean active, long term) {
        this.active = active;
        this.term = term;
    }

    @Override
    public long activeTerm() {
        return active ? term : -1;
    }

    @Override
    public boolean isCaughtUp() {
        return pending.get() == 0;
    }

    @Override
    public MetadataImage image() {
        return image;
    }

    @Override
    public int leaderId() {
        return active ? 1 : 2;
    }

    @Override
    public synchronized CompletableFuture<Long> append(List<MetadataRecord> records) {
        long index = nextIndex++;
        long t = term;
        entries.add(List.copyOf(records));
        pending.incrementAndGet();
        CompletableFuture<Long> done = new CompletableFuture<>();
        committer.schedule(() -> {
            image = MetadataDelta.replayEntry(image, index, t, records);
            pending.decrementAndGet();
            done.complete(index);
        }, commitDelayMs, TimeUnit.MILLISECONDS);
        return done;
    }

    @Override
    public void close() {
        committer.shutdownNow();
    }
}
