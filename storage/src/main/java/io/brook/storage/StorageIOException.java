package io.brook.storage;

import java.io.IOException;

/**
 * An I/O failure of the disk under a log (full disk, read-only file system, vanished file). The
 * operation that hit it left the log as it was before the call, where that was possible.
 */
public class StorageIOException extends StorageException {
  public StorageIOException(String message, IOException cause) {
    super(message + ": " + cause, cause);
  }
}
