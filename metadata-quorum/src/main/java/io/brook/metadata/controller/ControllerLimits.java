package io.brook.metadata.controller;

import io.brook.metadata.config.QuorumConfig;
import io.brook.metadata.image.MetadataImage;
import io.brook.proto.common.v1.ErrorCode;
import io.brook.proto.errors.BrookException;

/**
 * What one request may change in the metadata, so that no request can make a Raft entry large
 * enough to destabilise the quorum (an entry above Ratis's appender buffer cannot be replicated:
 * the leader steps down and re-elects over and over).
 *
 * <p>{@code maxPartitionsPerRequest} ({@code controller.max.partitions.per.request}, Kafka's
 * {@code MAX_PARTITIONS_PER_BATCH}) bounds the partitions one CreateTopics or CreatePartitions
 * request creates (over all its topics); {@code maxPartitions} ({@code max.partitions}, KIP-578's
 * name) bounds the partitions of the whole cluster. Both are refused with INVALID_PARTITIONS and a
 * message naming the limit and its setting. {@code maxEntryBytes} bounds the serialized size of one
 * metadata entry: a larger change of independent records (fencing a broker that leads many
 * partitions) is split over several entries, and a larger atomic change is refused.
 *
 * @param maxPartitionsPerRequest most partitions one create request may add (>= 1)
 * @param maxPartitions           most partitions in the cluster (>= 1)
 * @param maxEntryBytes           most bytes of records in one Raft entry (>= 1)
 */
public record ControllerLimits(int maxPartitionsPerRequest, int maxPartitions, int maxEntryBytes) {
    /** Setting of {@link #maxPartitionsPerRequest}. */
    public static final String MAX_PARTITIONS_PER_REQUEST_CONFIG = QuorumConfig.MAX_PARTITIONS_PER_REQUEST;
    /** Setting of {@link #maxPartitions}. */
    public static final String MAX_PARTITIONS_CONFIG = QuorumConfig.MAX_PARTITIONS;
    /**
     * 1 MiB: a quarter of Ratis's log appender buffer (raft.server.log.appender.buffer.byte-limit,
     * 4 MB), which an entry must fit in to be replicated at all. 10 000 partitions of replication
     * factor 3 take about 0.7 MB.
     */
    public static final int DEFAULT_MAX_ENTRY_BYTES = 1 << 20;

    public static final ControllerLimits DEFAULT = new ControllerLimits(
            QuorumConfig.DEFAULT_MAX_PARTITIONS_PER_REQUEST, QuorumConfig.DEFAULT_MAX_PARTITIONS, DEFAULT_MAX_ENTRY_BYTES);

    public ControllerLimits {
        if (maxPartitionsPerRequest < 1 || maxPartitions < 1 || maxEntryBytes < 1) {
            throw new IllegalArgumentException("controller limits must be >= 1: " + maxPartitionsPerRequest + ", "
                    + maxPartitions + ", " + maxEntryBytes);
        }
    }

    /**
     * Refuses a request that would add {@code adding} partitions, if that is more than one request
     * may add or would take the cluster above {@link #maxPartitions}.
     *
     * @throws BrookException INVALID_PARTITIONS naming the limit and its setting
     */
    void checkNewPartitions(MetadataImage image, long adding) {
        if (adding > maxPartitionsPerRequest) {
            throw new BrookException(ErrorCode.INVALID_PARTITIONS, "the request would create " + adding
                    + " partitions; at most " + maxPartitionsPerRequest + " may be created by one request ("
                    + MAX_PARTITIONS_PER_REQUEST_CONFIG + "): create them in several requests");
        }
        long existing = image.topicsById().values().stream().mapToLong(t -> t.partitions().size()).sum();
        if (existing + adding > maxPartitions) {
            throw new BrookException(ErrorCode.INVALID_PARTITIONS, "the request would create " + adding
                    + " partitions; the cluster has " + existing + " and may have at most " + maxPartitions
                    + " (" + MAX_PARTITIONS_CONFIG + ")");
        }
    }
}
