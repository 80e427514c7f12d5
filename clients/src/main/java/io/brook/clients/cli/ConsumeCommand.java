package io.brook.clients.cli;

import io.brook.clients.consumer.Consumer;
import io.brook.clients.consumer.ConsumerConfig;
import io.brook.clients.consumer.ConsumerRebalanceListener;
import io.brook.clients.consumer.ConsumerRecord;
import io.brook.clients.consumer.OffsetAndMetadata;
import io.brook.storage.TopicPartition;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code brook consume TOPIC}: prints one value per line ({@code key<TAB>value} with {@code
 * --print-key}). Without {@code --max-messages} or {@code --timeout-ms} it runs until interrupted.
 * With {@code --group} it joins the consumer group (subscribe) and commits what it printed:
 * every 5 s, when a partition is revoked, and on exit (including Ctrl-C).
 */
@Command(name = "consume", mixinStandardHelpOptions = true,
    description = {"Print records of a topic, one value per line (key<TAB>value with --print-key).",
        "With --group G: join consumer group G, read the partitions it assigns from the group's committed offsets",
        "(--from-beginning: from the earliest where the group has none, else the end) and commit what was printed",
        "(and, for partitions nothing was printed from, where it started)."})
public final class ConsumeCommand implements Callable<Integer> {
  @Mixin ClientOptions client;
  @Parameters(index = "0", paramLabel = "TOPIC") String topic;
  @Option(names = "--from-beginning", description = "Start at the earliest offset instead of the end.") boolean fromBeginning;
  @Option(names = "--partition", description = "Read only this partition.") Integer partition;
  @Option(names = "--offset", description = "With --partition: start at this offset, or earliest / latest.") String offset;
  @Option(names = "--max-messages", description = "Exit after printing this many records.") Long maxMessages;
  @Option(names = "--timeout-ms", description = "Exit when no record arrives for this long.") Long timeoutMs;
  @Option(names = "--print-key", description = "Print key<TAB>value.") boolean printKey;
  @Option(names = "--group", paramLabel = "GROUP", description = "Consume as a member of this consumer group, committing offsets.") String group;
  @Option(names = "--client-id", description = "client.id reported to the group (with --group).") String clientId;

  private static final long COMMIT_INTERVAL_MS = 5_000;

  @Override
  public Integer call() throws Exception {
    if (offset != null && partition == null) {
      throw new IllegalArgumentException("--offset needs --partition");
    }
    if (group != null) {
      if (partition != null) {
        throw new IllegalArgumentException("--partition cannot be used with --group: the group assigns partitions");
      }
      return consumeAsGroupMember();
    }
    ConsumerConfig config = ConsumerConfig.defaults(client.bootstrap().toArray(String[]::new))
        .withAutoOffsetReset(fromBeginning ? "earliest" : "latest");
    long printed = 0;
    try (Consumer consumer = new Consumer(config);
        BufferedWriter out = new BufferedWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8), 1 << 16)) {
      List<TopicPartition> tps = partition != null ? List.of(new TopicPartition(topic, partition)) : consumer.partitionsFor(topic);
      if (partition != null && partition >= consumer.partitionsFor(topic).size()) {
        throw new IllegalArgumentException("topic '" + topic + "' has no partition " + partition);
      }
      consumer.assign(tps);
      if (offset != null) {
        switch (offset) {
          case "earliest" -> consumer.seekToBeginning(tps);
          case "latest" -> consumer.seekToEnd(tps);
          default -> {
            long o;
            try {
              o = Long.parseLong(offset);
            } catch (NumberFormatException e) {
              throw new IllegalArgumentException("--offset must be a number, earliest or latest, got '" + offset + "'");
            }
            consumer.seek(tps.get(0), o);
          }
        }
      } else if (fromBeginning) {
        consumer.seekToBeginning(tps);
      } else {
        consumer.seekToEnd(tps);
      }
      long lastRecordNs = System.nanoTime();
      while (maxMessages == null || printed < maxMessages) {
        List<ConsumerRecord> records = consumer.poll(Duration.ofMillis(200));
        if (records.isEmpty()) {
          if (timeoutMs != null && System.nanoTime() - lastRecordNs > timeoutMs * 1_000_000L) {
            break;
          }
          continue;
        }
        lastRecordNs = System.nanoTime();
        for (ConsumerRecord r : records) {
          if (printKey) {
            out.write(r.key() == null ? "null" : new String(r.key(), StandardCharsets.UTF_8));
            out.write('\t');
          }
          out.write(r.value() == null ? "null" : new String(r.value(), StandardCharsets.UTF_8));
          out.write('\n');
          if (maxMessages != null && ++printed >= maxMessages) {
            break;
          }
        }
        out.flush();
      }
      out.flush();
    }
    return 0;
  }

  /**
   * Subscribes as a member of {@code group}; commits exactly what was printed, and for partitions
   * nothing was printed from, the position it started at.
   */
  private int consumeAsGroupMember() throws IOException, InterruptedException {
    ConsumerConfig config = ConsumerConfig.defaults(client.bootstrap().toArray(String[]::new))
        .withRequestTimeoutMs(client.requestTimeoutMs())
        .withGroupId(group).withClientId(clientId == null ? "brook-console-consumer" : clientId)
        .withEnableAutoCommit(false).withAutoOffsetReset(fromBeginning ? "earliest" : "latest");
    Map<TopicPartition, OffsetAndMetadata> printedUpTo = new HashMap<>();
    boolean[] dirty = {false}; // printedUpTo changed since the last commit
    long printed = 0;
    CountDownLatch done = new CountDownLatch(1);
    Thread main = Thread.currentThread();
    final boolean[] stop = {false};
    Thread hook = new Thread(() -> {
      synchronized (stop) {
        stop[0] = true;
      }
      try {
        done.await(10, TimeUnit.SECONDS); // let the loop commit and leave the group
      } catch (InterruptedException ignored) {
        Thread.currentThread().interrupt();
      }
    }, "brook-consume-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
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
      while (maxMessages == null || printed < maxMessages) {
        synchronized (stop) {
          if (stop[0]) {
            break;
          }
        }
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
          if (printKey) {
            out.write(r.key() == null ? "null" : new String(r.key(), StandardCharsets.UTF_8));
            out.write('\t');
          }
          out.write(r.value() == null ? "null" : new String(r.value(), StandardCharsets.UTF_8));
          out.write('\n');
          dirty[0] = true;
          printedUpTo.put(new TopicPartition(r.topic(), r.partition()), new OffsetAndMetadata(r.offset() + 1));
          if (maxMessages != null && ++printed >= maxMessages) {
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
    } finally {
      done.countDown();
      if (Thread.currentThread() == main) {
        try {
          Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException ignored) {
          // the JVM is shutting down: the hook is running
        }
      }
    }
    return 0;
  }
}
