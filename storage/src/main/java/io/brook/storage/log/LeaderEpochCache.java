package io.brook.storage.log;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The leader-epoch lineage of one log: for each leader epoch, the first offset written in it
 * (KIP-101). A follower uses the leader's {@link #endOffsetFor} to find where its log diverged
 * after a leadership change and truncates exactly there, never blindly to its high watermark.
 * Persisted to {@code leader-epoch-checkpoint} on every change.
 *
 * <p>Thread-safe: mutations come from the owning log under its lock; lookups may come from any
 * thread, so every method synchronizes on the cache.
 */
public final class LeaderEpochCache {
  /** A leader epoch and the first offset appended in it. */
  public record EpochEntry(int epoch, long startOffset) {}

  /** Answer of {@link #endOffsetFor}: the largest epoch {@code <=} the one asked, and its end. */
  public record EpochEndOffset(int epoch, long endOffset) {
    public static final EpochEndOffset UNDEFINED = new EpochEndOffset(-1, -1L);
  }

  static final String FILE_NAME = "leader-epoch-checkpoint";

  private final CheckpointFile file;
  private final List<EpochEntry> entries = new ArrayList<>();

  LeaderEpochCache(Path dir) {
    this.file = new CheckpointFile(dir.resolve(FILE_NAME));
    for (String line : file.read()) {
      String[] parts = line.trim().split("\\s+");
      if (parts.length != 2) {
        throw new IllegalStateException("bad leader-epoch checkpoint line '" + line + "' in " + file.path());
      }
      entries.add(new EpochEntry(Integer.parseInt(parts[0]), Long.parseLong(parts[1])));
    }
  }

  public synchronized List<EpochEntry> entries() {
    return List.copyOf(entries);
  }

  /** The latest epoch, or -1 if none was ever assigned. */
  public synchronized int latestEpoch() {
    return entries.isEmpty() ? -1 : entries.get(entries.size() - 1).epoch();
  }

  /**
   * Records that {@code epoch} starts at {@code startOffset}, if it is newer than the latest
   * epoch. Older or equal epochs are ignored: a batch of an older epoch appended later is a
   * follower replaying history the cache already holds.
   */
  synchronized void assign(int epoch, long startOffset) {
    if (epoch < 0) {
      return;
    }
    if (!entries.isEmpty()) {
      EpochEntry last = entries.get(entries.size() - 1);
      if (epoch <= last.epoch()) {
        return;
      }
      // A new epoch cannot start before an older one did: drop entries it supersedes.
      while (!entries.isEmpty() && entries.get(entries.size() - 1).startOffset() >= startOffset) {
        entries.remove(entries.size() - 1);
      }
    }
    entries.add(new EpochEntry(epoch, startOffset));
    flush();
  }

  /**
   * The end offset of {@code requestedEpoch} in this log: the start offset of the first later
   * epoch, or {@code logEndOffset} if the requested epoch is the latest. Returns the largest epoch
   * {@code <=} the requested one with it; {@link EpochEndOffset#UNDEFINED} if the requested epoch
   * is older than every known epoch.
   */
  public synchronized EpochEndOffset endOffsetFor(int requestedEpoch, long logEndOffset) {
    if (entries.isEmpty() || requestedEpoch < entries.get(0).epoch()) {
      return EpochEndOffset.UNDEFINED;
    }
    for (int i = 0; i < entries.size(); i++) {
      EpochEntry e = entries.get(i);
      if (e.epoch() > requestedEpoch) {
        return new EpochEndOffset(entries.get(i - 1).epoch(), e.startOffset());
      }
    }
    return new EpochEndOffset(latestEpoch(), logEndOffset);
  }

  /** Removes epochs starting at or after {@code endOffset} (the log was truncated there). */
  synchronized void truncateFromEnd(long endOffset) {
    boolean changed = entries.removeIf(e -> e.startOffset() >= endOffset);
    if (changed) {
      flush();
    }
  }

  /**
   * The log now starts at {@code startOffset}: drops epochs that ended before it and moves the
   * start of the epoch covering it up to it.
   */
  synchronized void truncateFromStart(long startOffset) {
    int covering = -1;
    for (int i = 0; i < entries.size(); i++) {
      if (entries.get(i).startOffset() <= startOffset) {
        covering = i;
      }
    }
    if (covering < 0 || (covering == 0 && entries.get(0).startOffset() == startOffset)) {
      return;
    }
    EpochEntry moved = new EpochEntry(entries.get(covering).epoch(), startOffset);
    entries.subList(0, covering + 1).clear();
    entries.add(0, moved);
    flush();
  }

  synchronized void clear() {
    entries.clear();
    flush();
  }

  private void flush() {
    file.write(entries.stream().map(e -> e.epoch() + " " + e.startOffset()).toList());
  }
}
