package io.brook.storage.log;

import static io.brook.storage.config.ConfigDef.Check.atLeast;
import static io.brook.storage.config.ConfigDef.Check.subsetOf;

import io.brook.storage.config.ConfigDef;
import io.brook.storage.config.ConfigDef.Key;
import io.brook.storage.config.ConfigDef.Type;
import io.brook.storage.record.RecordBatch;
import java.util.List;
import java.util.Map;

/**
 * Per-log (per-topic) settings, with Kafka's names and defaults. Build one from string properties
 * with {@link #from(Map)}: unknown keys and bad values are rejected with a message naming the key.
 * Immutable.
 */
public record LogConfig(
    int segmentBytes,
    long segmentMs,
    int segmentIndexBytes,
    int indexIntervalBytes,
    long retentionMs,
    long retentionBytes,
    boolean delete,
    boolean compact,
    long deleteRetentionMs,
    long flushMessages,
    long flushMs,
    int maxMessageBytes,
    long producerIdExpirationMs) {

  private static final long DAY_MS = 24L * 60 * 60 * 1000;
  private static final ConfigDef.Builder B = ConfigDef.builder();

  public static final Key<Integer> SEGMENT_BYTES =
      B.define("segment.bytes", Type.INT, 1 << 30, atLeast(RecordBatch.HEADER_SIZE),
          "Size at which the active segment is closed and a new one started.");
  public static final Key<Long> SEGMENT_MS =
      B.define("segment.ms", Type.LONG, 7 * DAY_MS, atLeast(1),
          "Age at which a non-empty active segment is rolled, so retention can delete old data; counted from the later of its first batch's timestamp and when the segment was opened.");
  public static final Key<Integer> SEGMENT_INDEX_BYTES =
      B.define("segment.index.bytes", Type.INT, 10 * 1024 * 1024, atLeast(64),
          "Preallocated size of each index file; a segment rolls when its index is full.");
  public static final Key<Integer> INDEX_INTERVAL_BYTES =
      B.define("index.interval.bytes", Type.INT, 4096, atLeast(0),
          "Bytes of log between two offset-index entries: smaller gives faster lookups and bigger indexes.");
  public static final Key<Long> RETENTION_MS =
      B.define("retention.ms", Type.LONG, 7 * DAY_MS, atLeast(-1),
          "Delete a segment once its newest record is older than this; -1 keeps data forever.");
  public static final Key<Long> RETENTION_BYTES =
      B.define("retention.bytes", Type.LONG, -1L, atLeast(-1),
          "Delete the oldest segments while the log is larger than this; -1 for no size limit.");
  public static final Key<List<String>> CLEANUP_POLICY =
      B.define("cleanup.policy", Type.LIST, List.of("delete"), subsetOf("delete", "compact"),
          "`delete` applies retention; `compact` keeps the latest record per key; both may be given.");
  public static final Key<Long> DELETE_RETENTION_MS =
      B.define("delete.retention.ms", Type.LONG, DAY_MS, atLeast(0),
          "On a compacted log, how long a tombstone (null value) is kept after its timestamp, so consumers see the delete.");
  public static final Key<Long> FLUSH_MESSAGES =
      B.define("flush.messages", Type.LONG, Long.MAX_VALUE, atLeast(1),
          "fsync after this many records; 1 flushes every append. Default: rely on replication and the interval.");
  public static final Key<Long> FLUSH_MS =
      B.define("flush.ms", Type.LONG, Long.MAX_VALUE, atLeast(0),
          "fsync when there are unflushed records and the last flush is this long ago (checked by the log store's background thread).");
  public static final Key<Integer> MAX_MESSAGE_BYTES =
      B.define("max.message.bytes", Type.INT, 1024 * 1024 + RecordBatch.LOG_OVERHEAD, atLeast(RecordBatch.HEADER_SIZE),
          "Largest record batch (after compression) the log accepts.");

  public static final Key<Long> PRODUCER_ID_EXPIRATION_MS =
      B.define("producer.id.expiration.ms", Type.LONG, DAY_MS, atLeast(1),
          "How long a partition remembers an idempotent producer after its last batch (by the broker's clock), so its retries are recognised as duplicates; then its state is dropped and compaction may remove its last batch.");

  /** Every log config key. */
  public static final ConfigDef DEFINITION = B.build();

  public static final LogConfig DEFAULT = from(Map.of());

  public LogConfig {
    if (!delete && !compact) {
      throw new IllegalArgumentException("a log must delete, compact, or both");
    }
  }

  /** Parses and checks string (or typed) properties; unset keys take their defaults. */
  public static LogConfig from(Map<String, ?> props) {
    ConfigDef.Values v = DEFINITION.parse(props);
    List<String> policy = v.get(CLEANUP_POLICY);
    return new LogConfig(
        v.get(SEGMENT_BYTES),
        v.get(SEGMENT_MS),
        v.get(SEGMENT_INDEX_BYTES),
        v.get(INDEX_INTERVAL_BYTES),
        v.get(RETENTION_MS),
        v.get(RETENTION_BYTES),
        policy.contains("delete"),
        policy.contains("compact"),
        v.get(DELETE_RETENTION_MS),
        v.get(FLUSH_MESSAGES),
        v.get(FLUSH_MS),
        v.get(MAX_MESSAGE_BYTES),
        v.get(PRODUCER_ID_EXPIRATION_MS));
  }
}
