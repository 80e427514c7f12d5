package io.brook.metadata.statemachine;

import io.brook.proto.metadata.v1.MetadataEntry;
import java.util.ArrayList;
import java.util.List;

/**
 * The most recent committed metadata entries, kept in memory so a watch stream can resume from an
 * index without a full snapshot. A bounded ring: appending beyond capacity drops the oldest entry
 * and raises {@link #floorIndex()}.
 *
 * <p>Invariant: every metadata entry with index {@code > floorIndex} that has been applied is in
 * the ring, in index order. So "send everything after index i" is answerable exactly when
 * {@code i >= floorIndex}; otherwise the watcher needs a snapshot.
 *
 * <p>Threading: the state machine's apply thread appends; watch sessions read from gRPC executor
 * threads. All methods are synchronized (short critical sections, no I/O).
 */
public final class CommittedEntries {
    private final MetadataEntry[] ring;
    private int head;
    private int size;
    private long floorIndex;

    public CommittedEntries(int capacity, long floorIndex) {
        if (capacity <= 0) {
            throw new IllegalArgumentException("capacity must be > 0: " + capacity);
        }
        this.ring = new MetadataEntry[capacity];
        this.floorIndex = floorIndex;
    }

    public synchronized void append(MetadataEntry entry) {
        long last = size == 0 ? floorIndex : at(size - 1).getIndex();
        if (entry.getIndex() <= last) {
            throw new IllegalStateException("entry " + entry.getIndex() + " is not after " + last);
        }
        if (size == ring.length) {
            floorIndex = ring[head].getIndex();
            ring[head] = null;
            head = (head + 1) % ring.length;
            size--;
        }
        ring[(head + size) % ring.length] = entry;
        size++;
    }

    /** Forgets every entry: entries up to {@code newFloorIndex} are now only in a snapshot. */
    public synchronized void reset(long newFloorIndex) {
        java.util.Arrays.fill(ring, null);
        head = 0;
        size = 0;
        floorIndex = newFloorIndex;
    }

    public synchronized long floorIndex() {
        return floorIndex;
    }

    /**
     * Up to {@code max} entries with index above {@code afterIndex}, oldest first; empty when none
     * has been committed yet; {@code null} when some of them are no longer retained.
     */
    public synchronized List<MetadataEntry> after(long afterIndex, int max) {
        if (afterIndex < floorIndex) {
            return null;
        }
        // First position whose index is > afterIndex (indices increase along the ring).
        int lo = 0;
        int hi = size;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (at(mid).getIndex() <= afterIndex) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        int n = Math.min(max, size - lo);
        List<MetadataEntry> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(at(lo + i));
        }
        return out;
    }

    private MetadataEntry at(int position) {
        return ring[(head + position) % ring.length];
    }
}
