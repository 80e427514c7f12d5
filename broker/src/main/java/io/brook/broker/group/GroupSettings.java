package io.brook.broker.group;

/**
 * The broker's settings for committed offsets (Kafka's names, see docs/configuration.md).
 *
 * @param offsetsTopicPartitions      partitions of {@code __consumer_offsets} when it is created
 *                                    ({@code offsets.topic.num.partitions})
 * @param offsetsTopicReplicationFactor its replication factor ({@code offsets.topic.replication.factor},
 *                                    already resolved: never -1)
 * @param retentionMs                 how long offsets of an empty group are kept, in ms
 *                                    ({@code offsets.retention.minutes} * 60000)
 * @param retentionCheckIntervalMs    how often expired offsets are looked for, in ms
 *                                    ({@code offsets.retention.check.interval.ms})
 * @param metadataMaxChars            longest metadata string of a commit ({@code offset.metadata.max.bytes})
 * @param memberWaitMs                how long a commit naming a member (or epoch) the local image does
 *                                    not know yet waits for the image to catch up, in ms
 */
public record GroupSettings(int offsetsTopicPartitions, int offsetsTopicReplicationFactor, long retentionMs,
    long retentionCheckIntervalMs, int metadataMaxChars, long memberWaitMs) {

  /** Defaults for a single node: 10 partitions, replication factor 1, a week of retention. */
  public static final GroupSettings DEFAULT = new GroupSettings(10, 1, 10080L * 60_000, 600_000, 4096, 2_000);

  public GroupSettings {
    if (offsetsTopicPartitions < 1 || offsetsTopicReplicationFactor < 1 || retentionMs < 1 || retentionCheckIntervalMs < 1
        || metadataMaxChars < 0 || memberWaitMs < 0) {
      throw new IllegalArgumentException("invalid group settings " + offsetsTopicPartitions + "/"
          + offsetsTopicReplicationFactor + "/" + retentionMs + "/" + retentionCheckIntervalMs + "/" + metadataMaxChars);
    }
  }

  /** A copy with another retention and check interval (tests). */
  public GroupSettings withRetention(long retentionMs, long checkIntervalMs) {
    return new GroupSettings(offsetsTopicPartitions, offsetsTopicReplicationFactor, retentionMs, checkIntervalMs,
        metadataMaxChars, memberWaitMs);
  }
}
