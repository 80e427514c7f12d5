package io.brook.storage;

/** A batch from an older epoch of a producer id whose newer epoch already wrote here. */
public class ProducerFencedException extends StorageException {
  public ProducerFencedException(String message) {
    super(message);
  }
}
