package io.brook.clients.cli;

import io.brook.clients.consumer.Consumer;
import io.brook.clients.consumer.ConsumerConfig;
import io.brook.clients.consumer.ConsumerRecord;
import io.brook.storage.TopicPartition;
import java.io.BufferedWriter;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code brook consume TOPIC}: prints one value per line ({@code key<TAB>value} with {@code
 * --print-key}). Without {@code --max-messages} or {@code --timeout-ms} it runs until interrupted.
 */
@Command(name = "consume", mixinStandardHelpOptions = true,
    description = "Print records of a topic, one value per line (key<TAB>value with --print-key).")
public final class ConsumeCommand implements Callable<Integer> {
  @Mixin ClientOptions client;
  @Parameters(index = "0", paramLabel = "TOPIC") String topic;
  @Option(names = "--from-beginning", description = "Start at the earliest offset instead of the end.") boolean fromBeginning;
  @Option(names = "--partition", description = "Read only this partition.") Integer partition;
  @Option(names = "--offset", description = "With --partition: start at this offset, or earliest / latest.") String offset;
  @Option(names = "--max-messages", description = "Exit after printing this many records.") Long maxMessages;
  @Option(names = "--timeout-ms", description = "Exit when no record arrives for this long.") Long timeoutMs;
  @Option(names = "--print-key", description = "Print key<TAB>value.") boolean printKey;

  @Override
  public Integer call() throws Exception {
    if (offset != null && partition == null) {
      throw new IllegalArgumentException("--offset needs --partition");
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
}
