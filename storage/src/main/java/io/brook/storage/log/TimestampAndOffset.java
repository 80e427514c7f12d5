package io.brook.storage.log;

import java.util.OptionalInt;

/**
 * The answer to a lookup by time ({@link Log#fetchOffsetByTimestamp}): the first record whose
 * timestamp is at or after the asked time, with <em>its own</em> timestamp (not the one asked
 * for), its offset, and the leader epoch of its batch (empty if the batch carries none). Kafka's
 * {@code FileRecords.TimestampAndOffset}, which answers ListOffsets by timestamp (KIP-79).
 *
 * @param timestamp the record's timestamp, ms since the epoch (for a {@code LOG_APPEND_TIME}
 *     batch, the time the leader appended it)
 * @param offset the record's offset
 * @param leaderEpoch the partition leader epoch stamped on the record's batch
 */
public record TimestampAndOffset(long timestamp, long offset, OptionalInt leaderEpoch) {}
