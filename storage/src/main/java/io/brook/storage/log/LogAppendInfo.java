package io.brook.storage.log;

/**
 * What one append wrote: the offsets given to its first and last records, the largest timestamp,
 * how many records and bytes. {@code duplicate}: the batch was a retry of one an idempotent
 * producer already wrote; nothing was written and the offsets are the original ones.
 */
public record LogAppendInfo(long firstOffset, long lastOffset, long maxTimestamp, int recordCount, int sizeBytes,
    boolean duplicate) {}
