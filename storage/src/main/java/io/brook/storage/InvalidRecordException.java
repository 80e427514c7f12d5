package io.brook.storage;

/**
 * A well-formed batch that breaks a rule of the log it is appended to (for example a record
 * without a key on a compacted log, or offsets out of order on the follower path).
 */
public class InvalidRecordException extends StorageException {
  public InvalidRecordException(String message) {
    super(message);
  }
}
