package io.brook.storage.log;

import io.brook.storage.StorageIOException;
import io.brook.storage.Time;
import io.brook.storage.TopicPartition;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every partition log under one data directory ({@code <dataDir>/<topic>-<partition>/}), and the
 * background duties over them: flush by interval, retention, compaction, high-watermark
 * checkpoints.
 *
 * <p>Threading: the map of logs is concurrent; create/delete of one partition may come from any
 * thread. The background duties run on one scheduler thread owned by the store, which calls the
 * logs' own thread-safe methods. {@link #close()} stops the thread and closes every log.
 */
public final class LogStore implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(LogStore.class);

  /** How often each background duty runs. */
  public record Intervals(long flushCheckMs, long retentionCheckMs, long compactionMs, long checkpointMs) {
    public static final Intervals DEFAULT = new Intervals(1_000, 60_000, 15_000, 5_000);
  }

  private final Path dataDir;
  private final Time time;
  private final Map<TopicPartition, Log> logs = new ConcurrentHashMap<>();
  private final LogCompactor compactor = new LogCompactor();
  private ScheduledExecutorService scheduler;

  private LogStore(Path dataDir, Time time) {
    this.dataDir = dataDir;
    this.time = time;
  }

  /**
   * Opens every partition log found in {@code dataDir}, each with the config {@code configFor}
   * gives (the broker knows topic configs; the storage engine does not).
   */
  public static LogStore open(Path dataDir, Time time, Function<TopicPartition, LogConfig> configFor) {
    LogStore store = new LogStore(dataDir, time);
    try {
      Files.createDirectories(dataDir);
      try (DirectoryStream<Path> dirs = Files.newDirectoryStream(dataDir, Files::isDirectory)) {
        for (Path d : dirs) {
          TopicPartition tp = TopicPartition.fromDirName(d.getFileName().toString());
          if (tp != null) {
            store.logs.put(tp, Log.open(d, configFor.apply(tp), time));
          }
        }
      }
    } catch (IOException e) {
      throw new StorageIOException("opening data directory " + dataDir, e);
    }
    return store;
  }

  /** Starts the background thread running the duties at the given intervals. */
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
    schedule(intervals.retentionCheckMs(), Log::deleteOldSegments);
    schedule(intervals.compactionMs(), compactor::compact);
    schedule(intervals.checkpointMs(), Log::checkpointHighWatermark);
  }

  private void schedule(long periodMs, Consumer<Log> duty) {
    scheduler.scheduleWithFixedDelay(() -> {
      for (Log l : logs.values()) {
        try {
          duty.accept(l);
        } catch (IllegalStateException closed) {
          // deleted or closed meanwhile
        } catch (RuntimeException e) {
          log.error("background duty failed on {}", l.dir(), e);
        }
      }
    }, periodMs, periodMs, TimeUnit.MILLISECONDS);
  }

  public Path dataDir() {
    return dataDir;
  }

  public Optional<Log> get(TopicPartition tp) {
    return Optional.ofNullable(logs.get(tp));
  }

  public Collection<Log> all() {
    return logs.values();
  }

  /** The partition's log, created empty with {@code config} if absent. */
  public Log getOrCreate(TopicPartition tp, LogConfig config) {
    return logs.computeIfAbsent(tp, k -> Log.open(dataDir.resolve(k.dirName()), config, time));
  }

  /** Deletes the partition's log and its directory; false if there was none. */
  public boolean delete(TopicPartition tp) {
    Log l = logs.remove(tp);
    if (l == null) {
      return false;
    }
    l.delete();
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
