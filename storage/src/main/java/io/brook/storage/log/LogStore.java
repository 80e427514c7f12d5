package io.brook.storage.log;

import io.brook.storage.RateLimit;
import io.brook.storage.StorageIOException;
import io.brook.storage.Time;
import io.brook.storage.TopicPartition;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.NoSuchFileException;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every partition log under one data directory ({@code <dataDir>/<topic>-<partition>/}), and the
 * background duties over them: flush by interval, retention, compaction, producer-id expiration,
 * high-watermark checkpoints.
 *
 * <p>Loading is lazy: {@link #open} only discovers the partition directories; a log is loaded
 * (recovered if it was not closed cleanly) the first time its owner asks for it with {@link
 * #getOrCreate}, with the configuration of its topic. The storage engine cannot know a topic's
 * configuration, and a log opened with the wrong one misbehaves in ways that cannot be undone
 * later: retention with the default {@code retention.ms} deletes data a topic keeps forever,
 * recovery judges a compacted log by the rules of an uncompacted one. Kafka's LogManager likewise
 * loads each log with its topic's config in force. Directories found on disk but not loaded yet
 * are visible through {@link #directories()} (so the owner can delete logs of topics that no
 * longer exist without loading them) and are never touched by the background duties.
 *
 * <p>Threading: lookups ({@link #get}, {@link #all}) are lock-free reads of a concurrent map and
 * see a log only once it is loaded. Loading, creating and deleting are serialized by the store.
 * The background duties run on one scheduler thread owned by the store, which calls the loaded
 * logs' own thread-safe methods. {@link #close()} stops the thread and closes every loaded log.
 */
public final class LogStore implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(LogStore.class);

  /**
   * How often each background duty runs, in milliseconds.
   *
   * @param flushCheckMs how often logs are checked for a due {@code flush.ms} flush
   * @param retentionCheckIntervalMs how often retention runs, and idle producers expire (Kafka's
   *     {@code log.retention.check.interval.ms})
   * @param cleanerBackoffMs pause between compaction passes over the compacted logs (Kafka's
   *     {@code log.cleaner.backoff.ms})
   * @param checkpointMs how often high watermarks are checkpointed
   */
  public record Intervals(long flushCheckMs, long retentionCheckIntervalMs, long cleanerBackoffMs, long checkpointMs) {
    public static final Intervals DEFAULT = new Intervals(1_000, 60_000, 15_000, 5_000);

    public Intervals {
      if (flushCheckMs <= 0 || retentionCheckIntervalMs <= 0 || cleanerBackoffMs <= 0 || checkpointMs <= 0) {
        throw new IllegalArgumentException("background duty intervals must be positive: " + this);
      }
    }
  }

  private final Path dataDir;
  private final Time time;
  private final Map<TopicPartition, Log> logs = new ConcurrentHashMap<>();
  /** Partition directories found on disk and not loaded yet. */
  private final Set<TopicPartition> unloaded = ConcurrentHashMap.newKeySet();
  private final LogCompactor compactor = new LogCompactor();
  private ScheduledExecutorService scheduler;

  private LogStore(Path dataDir, Time time) {
    this.dataDir = dataDir;
    this.time = time;
  }

  /**
   * Opens the data directory (creating it if needed) and finds the partition directories in it,
   * without loading any log: each is loaded by the first {@link #getOrCreate} for it.
   *
   * @throws StorageIOException if the directory cannot be created or listed
   */
  public static LogStore open(Path dataDir, Time time) {
    LogStore store = new LogStore(dataDir, time);
    try {
      Files.createDirectories(dataDir);
      try (DirectoryStream<Path> dirs = Files.newDirectoryStream(dataDir, Files::isDirectory)) {
        for (Path d : dirs) {
          TopicPartition tp = TopicPartition.fromDirName(d.getFileName().toString());
          if (tp != null) {
            store.unloaded.add(tp);
          }
        }
      }
    } catch (IOException e) {
      throw new StorageIOException("opening data directory " + dataDir, e);
    }
    return store;
  }

  /** Starts the background thread running the duties at the given intervals, over the loaded logs only. */
  public synchronized void startBackgroundDuties(Intervals intervals) {
    if (scheduler != null) {
      return;
    }
    scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "brook-log-store");
      t.setDaemon(true);
      return t;
    });
    schedule(intervals.flushCheckMs(), Log::flushIfDue);
    schedule(intervals.retentionCheckIntervalMs(), Log::deleteOldSegments);
    schedule(intervals.retentionCheckIntervalMs(), Log::removeExpiredProducers);
    schedule(intervals.cleanerBackoffMs(), compactor::compact);
    schedule(intervals.checkpointMs(), Log::checkpointHighWatermark);
  }

  private void schedule(long periodMs, Consumer<Log> duty) {
    // A duty that fails (a full disk fails every checkpoint) logs one line a minute, not one per run.
    RateLimit failures = new RateLimit(1, TimeUnit.MINUTES);
    scheduler.scheduleWithFixedDelay(() -> {
      for (Log l : logs.values()) {
        try {
          duty.accept(l);
        } catch (IllegalStateException closed) {
          // deleted or closed meanwhile
        } catch (RuntimeException e) {
          long others = failures.tryAcquire();
          if (others >= 0) {
            log.error("background duty failed on {} ({} more failures of this duty since the last such line): {}",
                l.dir(), others, e.toString());
          }
        }
      }
    }, periodMs, periodMs, TimeUnit.MILLISECONDS);
  }

  public Path dataDir() {
    return dataDir;
  }

  /** The partition's log if it is loaded (or was created) by this store; empty otherwise. */
  public Optional<Log> get(TopicPartition tp) {
    return Optional.ofNullable(logs.get(tp));
  }

  /** Every loaded log (a live view). Directories not loaded yet are in {@link #directories()}. */
  public Collection<Log> all() {
    return logs.values();
  }

  /**
   * Every partition directory of this store, loaded or not: the logs loaded or created, and the
   * directories found on disk at {@link #open} that no one asked for yet. A snapshot.
   */
  public Map<TopicPartition, Path> directories() {
    Map<TopicPartition, Path> out = new HashMap<>();
    for (TopicPartition tp : unloaded) {
      out.put(tp, dataDir.resolve(tp.dirName()));
    }
    logs.forEach((tp, l) -> out.put(tp, l.dir()));
    return out;
  }

  /** The partition's directory if it exists in this store, loaded or not. */
  public Optional<Path> directory(TopicPartition tp) {
    Log l = logs.get(tp);
    if (l != null) {
      return Optional.of(l.dir());
    }
    return unloaded.contains(tp) ? Optional.of(dataDir.resolve(tp.dirName())) : Optional.empty();
  }

  /**
   * The partition's log with {@code config} in force: loaded from its directory (and recovered if
   * it was not closed cleanly) the first time, created empty if it has none. A log loaded already
   * gets {@code config} applied ({@link Log#updateConfig}).
   *
   * @param config the configuration of the partition's topic; it governs the log from the moment
   *     it is loaded, background duties included
   * @throws StorageIOException if the log cannot be loaded or created
   */
  public synchronized Log getOrCreate(TopicPartition tp, LogConfig config) {
    Log existing = logs.get(tp);
    if (existing != null) {
      existing.updateConfig(config);
      return existing;
    }
    Log l = Log.open(dataDir.resolve(tp.dirName()), config, time);
    logs.put(tp, l);
    unloaded.remove(tp);
    return l;
  }

  /**
   * Deletes the partition's log and its directory, loaded or not; false if there was none.
   *
   * @throws StorageIOException if the directory cannot be deleted
   */
  public synchronized boolean delete(TopicPartition tp) {
    Log l = logs.remove(tp);
    if (l != null) {
      unloaded.remove(tp);
      l.delete();
      return true;
    }
    if (!unloaded.remove(tp)) {
      return false;
    }
    Path dir = dataDir.resolve(tp.dirName());
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (NoSuchFileException e) {
      // gone already
    } catch (IOException e) {
      throw new StorageIOException("deleting log directory " + dir, e);
    }
    return true;
  }

  @Override
  public synchronized void close() {
    if (scheduler != null) {
      scheduler.shutdownNow();
      try {
        scheduler.awaitTermination(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    for (Log l : logs.values()) {
      l.close();
    }
  }
}
