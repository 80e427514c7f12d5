package io.brook.storage;

/**
 * A record batch whose bytes are not what they claim to be: wrong magic, wrong length, CRC
 * mismatch, or records that do not parse. Appending such a batch is refused and changes nothing.
 */
public class CorruptRecordException extends StorageException {
  public CorruptRecordException(String message) {
    super(message);
  }
}
