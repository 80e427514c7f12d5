package io.brook.storage;

/**
 * A read or seek at an offset outside the log's valid range {@code [logStartOffset,
 * logEndOffset]}. The message and the accessors name the valid range so a client can reset.
 */
public class OffsetOutOfRangeException extends StorageException {
  private final long requestedOffset;
  private final long logStartOffset;
  private final long logEndOffset;

  public OffsetOutOfRangeException(long requestedOffset, long logStartOffset, long logEndOffset) {
    super(
        "offset "
            + requestedOffset
            + " is out of range; valid offsets are ["
            + logStartOffset
            + ", "
            + logEndOffset
            + "]");
    this.requestedOffset = requestedOffset;
    this.logStartOffset = logStartOffset;
    this.logEndOffset = logEndOffset;
  }

  public long requestedOffset() {
    return requestedOffset;
  }

  public long logStartOffset() {
    return logStartOffset;
  }

  public long logEndOffset() {
    return logEndOffset;
  }
}
