package io.brook.broker;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The exclusive lock of a node's data directory: an OS file lock on {@code <data.dir>/.lock}
 * (Kafka's {@code .lock} in each log directory), held while the node runs. The OS drops it when
 * the process dies, so a crashed node leaves nothing to clean up. Thread-safe: close is idempotent.
 */
final class DataDirLock implements AutoCloseable {
  static final String FILE_NAME = ".lock";

  private final FileChannel channel;
  private final FileLock lock;

  private DataDirLock(FileChannel channel, FileLock lock) {
    this.channel = channel;
    this.lock = lock;
  }

  /**
   * Creates the directory if needed and locks it.
   *
   * @throws NodeStartupException another process (or another node in this JVM) holds the lock
   * @throws IOException          the directory or lock file cannot be created
   */
  static DataDirLock acquire(Path dataDir) throws IOException {
    Files.createDirectories(dataDir);
    Path file = dataDir.resolve(FILE_NAME);
    FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    FileLock lock;
    try {
      lock = channel.tryLock();
    } catch (OverlappingFileLockException e) {
      lock = null;
    } catch (IOException e) {
      channel.close();
      throw e;
    }
    if (lock == null) {
      channel.close();
      throw new NodeStartupException("data.dir " + dataDir.toAbsolutePath().normalize()
          + " is in use by another Brook node (lock file " + FILE_NAME + "): stop it or give this node another data.dir");
    }
    return new DataDirLock(channel, lock);
  }

  @Override
  public synchronized void close() {
    try {
      if (lock.isValid()) {
        lock.release();
      }
      channel.close();
    } catch (IOException e) {
      // the lock goes with the channel or the process
    }
  }
}
