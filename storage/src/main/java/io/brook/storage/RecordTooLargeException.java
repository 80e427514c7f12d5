package io.brook.storage;

/** A batch larger than the log's {@code max.message.bytes}. */
public class RecordTooLargeException extends StorageException {
  private final int sizeBytes;
  private final int maxBytes;

  public RecordTooLargeException(int sizeBytes, int maxBytes) {
    super("record batch of " + sizeBytes + " bytes exceeds max.message.bytes=" + maxBytes);
    this.sizeBytes = sizeBytes;
    this.maxBytes = maxBytes;
  }

  public int sizeBytes() {
    return sizeBytes;
  }

  public int maxBytes() {
    return maxBytes;
  }
}
