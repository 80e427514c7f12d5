package io.brook.clients.cli;

import io.brook.clients.consumer.Consumer;
import io.brook.clients.consumer.ConsumerConfig;
import io.brook.clients.consumer.ConsumerRebalanceListener;
import io.brook.clients.consumer.ConsumerRecord;
import io.brook.clients.consumer.OffsetAndMetadata;
import io.brook.proto.v1.OffsetSpec;
import io.brook.storage.TopicPartition;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code brook consume TOPIC}: prints one value per line, as Kafka's console consumer (more with
 * {@code --print-*} or a {@code --format} template). Without {@code --max-messages} or {@code
 * --timeout-ms} it runs until interrupted, and prints {@code Processed a total of N messages} to
 * stderr on exit. With {@code --group} it joins the consumer group (subscribe) and commits what
 * it printed: every 5 s, when a partition is revoked, and on exit (including Ctrl-C).
 */
@Command(name = "consume", mixinStandardHelpOptions = true,
    description = {"Print records of a topic, one value per line (more with --print-* or --format).",
        "With --group G: join consumer group G, read the partitions it assigns from the group's committed offsets",
        "(--from-beginning: from the earliest where the group has none, else the end) and commit what was printed",
        "(and, for partitions nothing was printed from, where it started).",
        "On exit 'Processed a total of N messages' goes to stderr."})
public final class ConsumeCommand implements Callable<Integer> {
  @Mixin ClientOptions client;
  @Spec CommandSpec spec;
  @Parameters(index = "0", paramLabel = "TOPIC", description = "The topic to read.") String topic;
  @Option(names = "--from-beginning", description = "Start at the earliest offset instead of the end.") boolean fromBeginning;
  @Option(names = "--partition", paramLabel = "N", description = "Read only partition N (>= 0).") Integer partition;
  @Option(names = "--offset", paramLabel = "OFFSET",
      description = {"With --partition: start at this offset (>= 0), or earliest / latest.",
          "An offset outside the partition's [log start, end] is an error, unless --auto-offset-reset says where to go instead."})
  String offset;
  @Option(names = "--from-timestamp", paramLabel = "TIME",
      description = "Start at the first record with a timestamp at or after TIME: ISO-8601 (2026-12-01T10:00:00Z, 2026-12-01T10:00) or epoch ms; the end where every record is older.")
  String fromTimestamp;
  @Option(names = "--auto-offset-reset", paramLabel = "earliest|latest",
      description = "Where to start when --offset is out of range (and, with --group, where the group has no offset).")
  String autoOffsetReset;
  @Option(names = "--max-messages", paramLabel = "N", description = "Exit after printing N records (> 0).") Long maxMessages;
  @Option(names = "--timeout-ms", paramLabel = "MS", description = "Exit when no record arrives for MS ms (> 0).") Long timeoutMs;
  @Option(names = "--print-key", description = "Print the key before the value (separator: key.separator, TAB).") boolean printKey;
  @Option(names = "--print-offset", description = "Print Offset:N before the key and value.") boolean printOffset;
  @Option(names = "--print-partition", description = "Print Partition:N before the offset.") boolean printPartition;
  @Option(names = "--print-timestamp", description = "Print CreateTime:MS (epoch ms) first.") boolean printTimestamp;
  @Option(names = "--print-headers", description = "Print the headers (k:v,k2:v2, or NO_HEADERS) before the key.") boolean printHeaders;
  @Option(names = "--property", paramLabel = "NAME=VALUE",
      description = {"Output settings of Kafka's console consumer (repeatable): print.key, print.offset, print.partition,",
          "print.timestamp, print.headers, print.value (true/false), key.separator (TAB), line.separator (newline),",
          "headers.separator (,), null.literal (null)."})
  List<String> properties = new ArrayList<>();
  @Option(names = "--format", paramLabel = "TEMPLATE",
      description = {"Print each record by TEMPLATE instead (line.separator is added): %%t topic, %%p partition, %%o offset,",
          "%%T timestamp (epoch ms), %%k key, %%v value, %%h headers (k:v,...), %%K / %%V key / value length in bytes (-1: null),",
          "%%%% a percent sign; \\t and \\n are a tab and a newline. Example: --format '%%p:%%o %%k=%%v'."})
  String format;
  @Option(names = "--group", paramLabel = "GROUP", description = "Consume as a member of this consumer group, committing offsets.") String group;
  @Option(names = "--client-id", description = "client.id reported to the group (with --group).") String clientId;

  private static final long COMMIT_INTERVAL_MS = 5_000;

  /** Checks the options; picocli's usage error (exit 2) for a bad one. */
  private RecordFormatter validate() {
    if (maxMessages != null) {
      ClientOptions.requirePositive(spec, "--max-messages", maxMessages);
    }
    if (timeoutMs != null) {
      ClientOptions.requirePositive(spec, "--timeout-ms", timeoutMs);
    }
    if (partition != null && partition < 0) {
      throw usage("--partition must be >= 0, got " + partition);
    }
    if (autoOffsetReset != null && !autoOffsetReset.equals("earliest") && !autoOffsetReset.equals("latest")) {
      throw usage("--auto-offset-reset must be earliest or latest, got '" + autoOffsetReset + "'");
    }
    if (offset != null) {
      if (partition == null) {
        throw usage("--offset needs --partition");
      }
      if (!offset.equals("earliest") && !offset.equals("latest")) {
        long o;
        try {
          o = Long.parseLong(offset);
        } catch (NumberFormatException e) {
          throw usage("--offset must be a number, earliest or latest, got '" + offset + "'");
        }
        if (o < 0) {
          throw usage("--offset must be >= 0, earliest or latest, got " + o);
        }
      }
    }
    int starts = (offset != null ? 1 : 0) + (fromTimestamp != null ? 1 : 0) + (fromBeginning ? 1 : 0);
    if (starts > 1) {
      throw usage("give only one of --offset, --from-timestamp and --from-beginning");
    }
    if (fromTimestamp != null) {
      timestampMs(); // checks it
    }
    if (group != null && partition != null) {
      throw new IllegalArgumentException("--partition cannot be used with --group: the group assigns partitions");
    }
    if (group != null && fromTimestamp != null) {
      throw usage("--from-timestamp cannot be used with --group");
    }
    try {
      return new RecordFormatter(format, properties, printKey, printOffset, printPartition, printTimestamp, printHeaders);
    } catch (IllegalArgumentException e) {
      throw usage(e.getMessage());
    }
  }

  private ParameterException usage(String message) {
    return new ParameterException(spec.commandLine(), message);
  }

  private long timestampMs() {
    try {
      return TimeSpec.parseTimestamp(fromTimestamp);
    } catch (IllegalArgumentException e) {
      throw usage("--from-timestamp: " + e.getMessage());
    }
  }

  @Override
  public Integer call() throws Exception {
    RecordFormatter formatter = validate();
    client.requireReachable();
    if (group != null) {
      return consumeAsGroupMember(formatter);
    }
    ConsumerConfig config = ConsumerConfig.defaults(client.bootstrap().toArray(String[]::new))
        .withRequestTimeoutMs(client.requestTimeoutMs()).withSecurity(client.security())
        .withAutoOffsetReset(autoOffsetReset != null ? autoOffsetReset : fromBeginning ? "earliest" : "latest");
    long printed = 0;
    boolean finished = false;
    Stopper stopper = new Stopper();
    BufferedWriter out = new BufferedWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8), 1 << 16);
    try (Consumer consumer = new Consumer(config)) {
      List<TopicPartition> all = consumer.partitionsFor(topic);
      if (partition != null && partition >= all.size()) {
        throw new IllegalArgumentException("topic '" + topic + "' has no partition " + partition
            + " (it has " + all.size() + ": 0.." + (all.size() - 1) + ")");
      }
      List<TopicPartition> tps = partition != null ? List.of(new TopicPartition(topic, partition)) : all;
      consumer.assign(tps);
      if (offset != null) {
        switch (offset) {
          case "earliest" -> consumer.seekToBeginning(tps);
          case "latest" -> consumer.seekToEnd(tps);
          default -> seekChecked(consumer, tps.get(0), Long.parseLong(offset));
        }
      } else if (fromTimestamp != null) {
        consumer.seekToTimestamp(tps, timestampMs());
      } else if (fromBeginning) {
        consumer.seekToBeginning(tps);
      } else {
        consumer.seekToEnd(tps);
      }
      long lastRecordNs = System.nanoTime();
      while ((maxMessages == null || printed < maxMessages) && !stopper.stopped()) {
        List<ConsumerRecord> records = consumer.poll(Duration.ofMillis(200));
        if (records.isEmpty()) {
          if (timeoutMs != null && System.nanoTime() - lastRecordNs > timeoutMs * 1_000_000L) {
            break;
          }
          continue;
        }
        lastRecordNs = System.nanoTime();
        for (ConsumerRecord r : records) {
          formatter.write(out, r);
          if (++printed == (maxMessages == null ? -1 : maxMessages)) {
            break;
          }
        }
        out.flush();
      }
      out.flush();
      finished = true;
    } finally {
      if (finished || stopper.stopped()) { // not after an error: that is one line
        summary(printed);
      }
      stopper.done();
    }
    return 0;
  }

  private void summary(long printed) {
    spec.commandLine().getErr().println("Processed a total of " + printed + " messages");
    spec.commandLine().getErr().flush();
  }

  /**
   * Seeks to {@code offset} if it lies in the partition's [log start, end]; otherwise follows an
   * explicit {@code --auto-offset-reset}, or fails saying the valid range.
   */
  private void seekChecked(Consumer consumer, TopicPartition tp, long offset) {
    long start = consumer.listOffset(tp, OffsetSpec.OFFSET_SPEC_EARLIEST, 0).orElseThrow();
    long end = consumer.listOffset(tp, OffsetSpec.OFFSET_SPEC_LATEST, 0).orElseThrow();
    if (offset >= start && offset <= end) {
      consumer.seek(tp, offset);
    } else if (autoOffsetReset != null) {
      consumer.seek(tp, autoOffsetReset.equals("earliest") ? start : end);
    } else {
      throw new IllegalArgumentException("offset " + offset + " is out of range for " + tp.topic() + "-" + tp.partition()
          + ": valid offsets are [" + start + ", " + end + "] (or give --auto-offset-reset earliest|latest)");
    }
  }

  /** Stops the read loop on Ctrl-C / SIGTERM and lets it finish (commit, summary) before the JVM exits. */
  private static final class Stopper {
    private final CountDownLatch finished = new CountDownLatch(1);
    private volatile boolean stop;
    private final Thread main = Thread.currentThread();
    private final Thread hook = new Thread(() -> {
      stop = true;
      try {
        finished.await(10, TimeUnit.SECONDS); // let the loop commit, print its summary and leave the group
      } catch (InterruptedException ignored) {
        Thread.currentThread().interrupt();
      }
    }, "brook-consume-shutdown");

    Stopper() {
      Runtime.getRuntime().addShutdownHook(hook);
    }

    boolean stopped() {
      return stop;
    }

    void done() {
      finished.countDown();
      if (Thread.currentThread() == main) {
        try {
          Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException ignored) {
          // the JVM is shutting down: the hook is running
        }
      }
    }
  }

  /**
   * Subscribes as a member of {@code group}; commits exactly what was printed, and for partitions
   * nothing was printed from, the position it started at.
   */
  private int consumeAsGroupMember(RecordFormatter formatter) throws IOException, InterruptedException {
    ConsumerConfig config = ConsumerConfig.defaults(client.bootstrap().toArray(String[]::new))
        .withRequestTimeoutMs(client.requestTimeoutMs()).withSecurity(client.security())
        .withGroupId(group).withClientId(clientId == null ? "brook-console-consumer" : clientId)
        .withEnableAutoCommit(false)
        .withAutoOffsetReset(autoOffsetReset != null ? autoOffsetReset : fromBeginning ? "earliest" : "latest");
    Map<TopicPartition, OffsetAndMetadata> printedUpTo = new HashMap<>();
    boolean[] dirty = {false}; // printedUpTo changed since the last commit
    long printed = 0;
    boolean finished = false;
    Stopper stopper = new Stopper();
    BufferedWriter out = new BufferedWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8), 1 << 16);
    try (Consumer consumer = new Consumer(config)) {
      consumer.partitionsFor(topic); // UNKNOWN_TOPIC_OR_PARTITION now, as without --group, not a silent wait
      consumer.subscribe(List.of(topic), new ConsumerRebalanceListener() {
        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
          Map<TopicPartition, OffsetAndMetadata> mine = new HashMap<>();
          for (TopicPartition tp : partitions) {
            OffsetAndMetadata o = printedUpTo.remove(tp);
            if (o != null) {
              mine.put(tp, o);
            }
          }
          try {
            out.flush();
            consumer.commitSync(mine);
          } catch (IOException | RuntimeException e) {
            System.err.println("warning: committing revoked partitions failed: " + e.getMessage());
          }
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {}

        @Override
        public void onPartitionsLost(Collection<TopicPartition> partitions) {
          partitions.forEach(printedUpTo::remove);
        }
      });
      long lastRecordNs = System.nanoTime();
      long nextCommitMs = System.currentTimeMillis() + COMMIT_INTERVAL_MS;
      while ((maxMessages == null || printed < maxMessages) && !stopper.stopped()) {
        // A partition assigned but not printed from yet: its starting position (committed, or the
        // end / the start per --from-beginning) is committed too, as Kafka's console consumer does,
        // so the group shows no lag for it and the next owner starts there rather than anew. Taken
        // before poll: every record returned so far was printed.
        for (TopicPartition tp : consumer.assignment()) {
          if (!printedUpTo.containsKey(tp)) {
            consumer.position(tp).ifPresent(p -> {
              printedUpTo.put(tp, new OffsetAndMetadata(p));
              dirty[0] = true;
            });
          }
        }
        List<ConsumerRecord> records = consumer.poll(Duration.ofMillis(200));
        for (ConsumerRecord r : records) {
          formatter.write(out, r);
          dirty[0] = true;
          printedUpTo.put(new TopicPartition(r.topic(), r.partition()), new OffsetAndMetadata(r.offset() + 1));
          if (++printed == (maxMessages == null ? -1 : maxMessages)) {
            break;
          }
        }
        out.flush();
        if (!records.isEmpty()) {
          lastRecordNs = System.nanoTime();
        } else if (timeoutMs != null && System.nanoTime() - lastRecordNs > timeoutMs * 1_000_000L) {
          break;
        }
        if (System.currentTimeMillis() >= nextCommitMs && dirty[0] && !printedUpTo.isEmpty()) {
          nextCommitMs = System.currentTimeMillis() + COMMIT_INTERVAL_MS;
          dirty[0] = false;
          consumer.commitAsync(Map.copyOf(printedUpTo), null);
        }
      }
      out.flush();
      if (!printedUpTo.isEmpty()) {
        consumer.commitSync(Map.copyOf(printedUpTo));
      }
      finished = true;
    } finally {
      if (finished || stopper.stopped()) { // not after an error: that is one line
        summary(printed);
      }
      stopper.done();
    }
    return 0;
  }
}
