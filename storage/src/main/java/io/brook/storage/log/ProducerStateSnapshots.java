package io.brook.storage.log;

import io.brook.storage.StorageIOException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.NavigableSet;
import java.util.TreeSet;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The producer-state snapshot files of one log directory, {@code <offset 20 digits>.snapshot}
 * (Kafka's {@code ProducerStateManager} names and writes them the same way): the {@link
 * ProducerStateTable} as it was after every batch below {@code offset}. The log writes one at each
 * segment roll and at close, and on open loads the latest one at or below its log end offset and
 * replays only the batches after it.
 *
 * <p>Layout: {@code version int16 (1), crc int32 (CRC-32C of the rest), table} (see {@link
 * ProducerStateTable#encode()}). Written to {@code .tmp}, fsynced, renamed into place, directory
 * fsynced: a snapshot file is either whole or absent, and a torn one (bad CRC) is ignored.
 *
 * <p>Not thread-safe: used by its {@link Log} under the log's lock (or before the log is visible).
 */
final class ProducerStateSnapshots {
  private static final Logger log = LoggerFactory.getLogger(ProducerStateSnapshots.class);
  static final String SUFFIX = ".snapshot";
  private static final short VERSION = 1;
  private static final int HEADER_BYTES = 2 + 4;

  /** Snapshots kept besides those the log start offset makes useless (older ones are deleted). */
  static final int RETAINED = 3;

  private final Path dir;

  ProducerStateSnapshots(Path dir) {
    this.dir = dir;
  }

  Path file(long offset) {
    return dir.resolve(LogSegment.fileStem(offset) + SUFFIX);
  }

  /** Offsets of the snapshot files present, ascending. */
  NavigableSet<Long> offsets() {
    NavigableSet<Long> out = new TreeSet<>();
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*" + SUFFIX)) {
      for (Path f : files) {
        String name = f.getFileName().toString();
        try {
          out.add(Long.parseLong(name.substring(0, name.length() - SUFFIX.length())));
        } catch (NumberFormatException e) {
          log.warn("ignoring unexpected file {}", f);
        }
      }
    } catch (NoSuchFileException e) {
      return out;
    } catch (IOException e) {
      throw new StorageIOException("listing producer snapshots in " + dir, e);
    }
    return out;
  }

  /** Writes {@code table} as the snapshot at {@code offset} (replacing one already there). */
  void write(long offset, ProducerStateTable table) {
    ByteBuffer body = table.encode();
    CRC32C crc = new CRC32C();
    crc.update(body.duplicate());
    ByteBuffer buf = ByteBuffer.allocate(HEADER_BYTES + body.remaining());
    buf.putShort(VERSION).putInt((int) crc.getValue()).put(body).flip();
    Path target = file(offset);
    Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
    try {
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
          StandardOpenOption.TRUNCATE_EXISTING)) {
        while (buf.hasRemaining()) {
          ch.write(buf);
        }
        ch.force(true);
      }
      Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      CheckpointFile.fsyncDirectory(dir);
    } catch (IOException e) {
      try {
        Files.deleteIfExists(tmp);
      } catch (IOException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw new StorageIOException("writing producer snapshot " + target, e);
    }
  }

  /**
   * Loads the snapshot at {@code offset} into {@code into}. Returns false (leaving {@code into}
   * empty) if the file is missing, torn or not a snapshot.
   */
  boolean read(long offset, ProducerStateTable into) {
    Path f = file(offset);
    into.clear();
    try {
      ByteBuffer buf = ByteBuffer.wrap(Files.readAllBytes(f));
      if (buf.remaining() < HEADER_BYTES || buf.getShort() != VERSION) {
        log.warn("ignoring producer snapshot {}: not a version {} snapshot", f, VERSION);
        return false;
      }
      int stored = buf.getInt();
      CRC32C crc = new CRC32C();
      crc.update(buf.duplicate());
      if ((int) crc.getValue() != stored) {
        log.warn("ignoring producer snapshot {}: CRC mismatch", f);
        return false;
      }
      into.decode(buf);
      return true;
    } catch (NoSuchFileException e) {
      return false;
    } catch (IOException e) {
      throw new StorageIOException("reading producer snapshot " + f, e);
    } catch (IllegalArgumentException e) {
      log.warn("ignoring producer snapshot {}: {}", f, e.getMessage());
      return false;
    }
  }

  void delete(long offset) {
    try {
      Files.deleteIfExists(file(offset));
    } catch (IOException e) {
      throw new StorageIOException("deleting producer snapshot " + file(offset), e);
    }
  }

  /**
   * Deletes every snapshot above {@code offset} (they describe batches that are gone: truncated or
   * lost in a crash) and makes the deletion durable before returning, so such a snapshot can never
   * describe a different log regrown past it.
   */
  void deleteAbove(long offset) {
    NavigableSet<Long> doomed = offsets().tailSet(offset, false);
    if (doomed.isEmpty()) {
      return;
    }
    doomed.forEach(this::delete);
    try {
      CheckpointFile.fsyncDirectory(dir);
    } catch (IOException e) {
      throw new StorageIOException("deleting producer snapshots in " + dir, e);
    }
  }

  /**
   * Deletes snapshots below {@code logStartOffset} (they would need batches retention removed to
   * be replayed) and all but the newest {@link #RETAINED}.
   */
  void prune(long logStartOffset) {
    List<Long> all = new ArrayList<>(offsets());
    for (int i = 0; i < all.size(); i++) {
      long o = all.get(i);
      if (o < logStartOffset || i < all.size() - RETAINED) {
        delete(o);
      }
    }
  }

  /** Deletes every snapshot, durably (see {@link #deleteAbove}). */
  void deleteAll() {
    deleteAbove(-1);
  }
}
