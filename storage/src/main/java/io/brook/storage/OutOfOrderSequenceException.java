package io.brook.storage;

/**
 * An idempotent producer's batch does not continue its sequence on this partition (an earlier
 * batch is missing, usually because it is being retried). Nothing was written; the producer
 * retries in order.
 */
public class OutOfOrderSequenceException extends StorageException {
  public OutOfOrderSequenceException(String message) {
    super(message);
  }
}
