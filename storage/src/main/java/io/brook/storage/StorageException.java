package io.brook.storage;

/** Base of every exception the storage engine throws on purpose. Unchecked, as in Kafka. */
public class StorageException extends RuntimeException {
  public StorageException(String message) {
    super(message);
  }

  public StorageException(String message, Throwable cause) {
    super(message, cause);
  }
}
