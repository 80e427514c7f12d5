package io.brook.metadata.client;

import io.brook.metadata.config.HostPort;
import io.brook.metadata.image.ImageRecords;
import io.brook.metadata.image.MetadataDelta;
import io.brook.metadata.image.MetadataImage;
import io.brook.proto.metadata.v1.ControllerServiceGrpc;
import io.brook.proto.metadata.v1.MetadataEntry;
import io.brook.proto.metadata.v1.WatchMetadataRequest;
import io.brook.proto.metadata.v1.WatchMetadataResponse;
import io.grpc.Context;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a local {@link MetadataImage} current through a WatchMetadata stream to any voter.
 * Snapshots replace the image; entries are replayed with {@link MetadataDelta}, the same code the
 * voters run, so the local image equals the voters' image at the same index. When the stream
 * ends or fails (voter stopped, network error), it reconnects to the next voter after a backoff
 * and resumes after the last index it applied (the voter answers with the missing entries or a
 * snapshot).
 *
 * <p>A stream can also stay open on a voter that is itself behind: a voter cut off from the
 * others, or one the Raft leader fails to bring back after a partition heals (RATIS-2523), serves
 * its own stale log. The broker's heartbeats learn the index the active controller has applied
 * ({@link #onControllerIndex}); when the image stays below such an index for longer than {@code
 * staleSwitchMs}, the watch moves to the next voter. A broker therefore never keeps a stale view
 * (and stays out of every ISR) because of the one voter it happened to watch.
 *
 * <p>Threading: gRPC delivers one stream's messages one at a time, and only one stream is open
 * at a time, so a single writer updates {@code image} (volatile; readers on any thread).
 * Listeners run on the gRPC thread and must be quick. Reconnects run on the client scheduler.
 */
final class MetadataWatcher implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(MetadataWatcher.class);

    private final ControllerEndpoints endpoints;
    private final ScheduledExecutorService scheduler;
    private final Backoff backoff;
    private final List<Consumer<MetadataImage>> listeners = new CopyOnWriteArrayList<>();
    private final Object imageChanged = new Object();
    private volatile MetadataImage image = MetadataImage.EMPTY;
    private volatile boolean closed;
    private volatile Context.CancellableContext current;
    private volatile HostPort target;
    private int failures;
    private final long staleSwitchNanos;
    /** An index a controller reported that the image has not reached yet, or -1; guarded by this. */
    private long behindTarget = -1;
    private long behindSinceNanos;

    MetadataWatcher(ControllerEndpoints endpoints, ScheduledExecutorService scheduler, long backoffInitialMs,
                    long backoffMaxMs, long staleSwitchMs) {
        this.endpoints = endpoints;
        this.scheduler = scheduler;
        this.backoff = new Backoff(backoffInitialMs, backoffMaxMs, new Random());
        this.target = endpoints.preferred();
        this.staleSwitchNanos = TimeUnit.MILLISECONDS.toNanos(staleSwitchMs);
    }

    /**
     * The active controller had applied the metadata up to {@code controllerIndex} (from a heartbeat
     * answer). If the image is still below an index reported at least {@code staleSwitchMs} ago, the
     * watched voter is behind: the stream is cancelled and the watch moves to the next voter.
     */
    synchronized void onControllerIndex(long controllerIndex) {
        long applied = image.appliedIndex();
        long now = System.nanoTime();
        if (behindTarget >= 0 && applied >= behindTarget) {
            behindTarget = -1; // reached what was reported earlier: this voter keeps up
        }
        if (behindTarget < 0) {
            if (applied < controllerIndex) {
                behindTarget = controllerIndex;
                behindSinceNanos = now;
            }
            return;
        }
        if (now - behindSinceNanos < staleSwitchNanos) {
            return;
        }
        LOG.info("Metadata watch on {} is at index {}, still below the index {} the active controller had applied {} ms"
                + " ago: that voter is behind; watching the next one", target, applied, behindTarget,
                TimeUnit.NANOSECONDS.toMillis(now - behindSinceNanos));
        behindTarget = -1;
        Context.CancellableContext ctx = current;
        if (ctx != null) {
            ctx.cancel(null); // the observer's onError reconnects to the next voter
        }
    }

    void start() {
        scheduler.execute(this::connect);
    }

    MetadataImage image() {
        return image;
    }

    void addListener(Consumer<MetadataImage> listener) {
        listeners.add(listener);
    }

    /** Waits until the image satisfies {@code condition}; returns it, or null after {@code timeoutMs}. */
    MetadataImage await(Predicate<MetadataImage> condition, long timeoutMs) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        synchronized (imageChanged) {
            while (true) {
                MetadataImage now = image;
                if (condition.test(now)) {
                    return now;
                }
                long waitMs = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (waitMs <= 0) {
                    return null;
                }
                imageChanged.wait(waitMs);
            }
        }
    }

    private void connect() {
        if (closed) {
            return;
        }
        long afterIndex = image.appliedIndex();
        HostPort endpoint = target;
        Context.CancellableContext ctx = Context.current().withCancellation();
        current = ctx;
        LOG.debug("Watching metadata on {} after index {}", endpoint, afterIndex);
        ctx.run(() -> ControllerServiceGrpc.newStub(endpoints.channel(endpoint)).watchMetadata(
                WatchMetadataRequest.newBuilder().setAfterIndex(afterIndex).build(), new Observer(endpoint)));
    }

    private void publish(MetadataImage next) {
        image = next;
        failures = 0;
        synchronized (imageChanged) {
            imageChanged.notifyAll();
        }
        for (Consumer<MetadataImage> l : listeners) {
            try {
                l.accept(next);
            } catch (RuntimeException e) {
                LOG.warn("Metadata listener failed", e);
            }
        }
    }

    private void reconnectAfterFailure(HostPort failed, Throwable error) {
        if (closed) {
            return;
        }
        long delayMs = backoff.delayMs(failures++);
        LOG.info("Metadata watch on {} ended ({}); reconnecting in {} ms", failed,
                error == null ? "completed" : error.toString(), delayMs);
        target = endpoints.after(failed, io.brook.metadata.time.Time.SYSTEM.monotonicMs());
        scheduler.schedule(this::connect, delayMs, TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() {
        closed = true;
        Context.CancellableContext ctx = current;
        if (ctx != null) {
            ctx.cancel(null);
        }
    }

    private final class Observer implements StreamObserver<WatchMetadataResponse> {
        private final HostPort endpoint;

        Observer(HostPort endpoint) {
            this.endpoint = endpoint;
        }

        @Override
        public void onNext(WatchMetadataResponse response) {
            MetadataImage before = image;
            MetadataImage after;
            if (response.hasSnapshot()) {
                after = ImageRecords.fromSnapshot(response.getSnapshot());
            } else {
                MetadataEntry e = response.getEntry();
                after = MetadataDelta.replayEntry(before, e.getIndex(), e.getTerm(), e.getRecordsList());
            }
            if (after != before) {
                publish(after);
            }
        }

        @Override
        public void onError(Throwable t) {
            reconnectAfterFailure(endpoint, t);
        }

        @Override
        public void onCompleted() {
            reconnectAfterFailure(endpoint, null);
        }
    }
}
