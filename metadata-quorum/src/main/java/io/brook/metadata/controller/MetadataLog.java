package io.brook.metadata.controller;

import io.brook.metadata.image.MetadataImage;
import io.brook.proto.metadata.v1.MetadataRecord;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The controller's view of the replicated metadata log: whether this node may act as the active
 * controller, the applied image, and appending records. Implemented over Ratis by
 * {@code RatisMetadataLog}; tests use an in-memory one.
 */
public interface MetadataLog {
    /** The Raft term in which this node is the leader and ready (its term's first entry applied); -1 otherwise. */
    long activeTerm();

    /** True when every entry in this node's log is reflected in {@link #image()}. */
    boolean isCaughtUp();

    /** The latest applied image. */
    MetadataImage image();

    /** The Raft leader as this node knows it, or -1. */
    int leaderId();

    /**
     * Appends the records as one entry. Completes with the entry's Raft index after the entry is
     * committed and applied to {@link #image()} on this node; completes exceptionally if this
     * node lost leadership or the entry could not be appended.
     */
    CompletableFuture<Long> append(List<MetadataRecord> records);
}
