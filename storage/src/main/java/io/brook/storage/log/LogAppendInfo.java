package io.brook.storage.log;

/**
 * What one append wrote: the offsets given to its first and last records, the largest timestamp,
 * how many records and bytes.
 */
public record LogAppendInfo(long firstOffset, long lastOffset, long maxTimestamp, int recordCount, int sizeBytes) {}
