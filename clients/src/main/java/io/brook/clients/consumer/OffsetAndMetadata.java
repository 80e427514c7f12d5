package io.brook.clients.consumer;

/**
 * A committed offset (Kafka's type of the same name).
 *
 * @param offset the next offset to consume (the position), >= 0
 * @param leaderEpoch leader epoch of the last consumed record, -1 unknown
 * @param metadata free text stored with the offset, at most 4096 characters
 *     ({@code offset.metadata.max.bytes}); never null
 */
public record OffsetAndMetadata(long offset, int leaderEpoch, String metadata) {
  /** Longest metadata a coordinator accepts (OFFSET_METADATA_TOO_LARGE beyond). */
  public static final int MAX_METADATA_CHARS = 4096;

  /** @throws IllegalArgumentException for a negative offset or metadata over 4096 characters */
  public OffsetAndMetadata {
    if (offset < 0) {
      throw new IllegalArgumentException("offset must be >= 0, got " + offset);
    }
    metadata = metadata == null ? "" : metadata;
    if (metadata.length() > MAX_METADATA_CHARS) {
      throw new IllegalArgumentException("offset metadata is " + metadata.length() + " characters, at most " + MAX_METADATA_CHARS + " allowed");
    }
  }

  public OffsetAndMetadata(long offset) {
    this(offset, -1, "");
  }

  public OffsetAndMetadata(long offset, String metadata) {
    this(offset, -1, metadata);
  }
}
