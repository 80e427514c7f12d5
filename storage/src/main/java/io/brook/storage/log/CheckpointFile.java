package io.brook.storage.log;

import io.brook.storage.StorageIOException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * A small text file of lines replaced atomically: written to {@code <name>.tmp}, fsynced, renamed
 * over the old file, and the directory fsynced. A reader sees the old contents or the new, never a
 * mix. Format: a version line, a count line, then the entries (Kafka's checkpoint layout), so a
 * half-written or foreign file is detected rather than misread.
 */
final class CheckpointFile {
  private static final int VERSION = 0;
  private final Path file;

  CheckpointFile(Path file) {
    this.file = file;
  }

  Path path() {
    return file;
  }

  void write(List<String> entries) {
    StringBuilder sb = new StringBuilder();
    sb.append(VERSION).append('\n').append(entries.size()).append('\n');
    for (String e : entries) {
      sb.append(e).append('\n');
    }
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    try {
      try (FileChannel ch =
          FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
        ch.write(java.nio.ByteBuffer.wrap(sb.toString().getBytes(StandardCharsets.UTF_8)));
        ch.force(true);
      }
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      fsyncDirectory(file.getParent());
    } catch (IOException e) {
      throw new StorageIOException("writing checkpoint " + file, e);
    }
  }

  /**
   * The entries, or an empty list if the file does not exist.
   *
   * @throws IllegalStateException if the file is malformed
   */
  List<String> read() {
    List<String> lines;
    try {
      lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      return List.of();
    } catch (IOException e) {
      throw new StorageIOException("reading checkpoint " + file, e);
    }
    if (lines.size() < 2 || !lines.get(0).equals(String.valueOf(VERSION))) {
      throw new IllegalStateException("checkpoint " + file + " has no valid version header");
    }
    int count;
    try {
      count = Integer.parseInt(lines.get(1));
    } catch (NumberFormatException e) {
      throw new IllegalStateException("checkpoint " + file + " has a bad entry count: " + lines.get(1));
    }
    if (count < 0 || lines.size() != count + 2) {
      throw new IllegalStateException("checkpoint " + file + " declares " + count + " entries, holds " + (lines.size() - 2));
    }
    return new ArrayList<>(lines.subList(2, lines.size()));
  }

  static void fsyncDirectory(Path dir) throws IOException {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException e) {
      // Some file systems refuse to open a directory for fsync; the rename is still atomic.
      if (!(e instanceof java.nio.file.AccessDeniedException)) {
        throw e;
      }
    }
  }
}
