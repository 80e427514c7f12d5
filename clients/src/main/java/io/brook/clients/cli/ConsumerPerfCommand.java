package io.brook.clients.cli;

import io.brook.clients.consumer.Consumer;
import io.brook.clients.consumer.ConsumerConfig;
import io.brook.clients.consumer.ConsumerRecord;
import io.brook.storage.TopicPartition;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code brook perf consume}: Kafka's {@code kafka-consumer-perf-test} for Brook. Reads {@code
 * --num-records} records from the start of every partition of a topic and prints records/s and
 * MB/s, for the whole run and for the time spent fetching (after the first record arrived).
 */
@Command(name = "consume", mixinStandardHelpOptions = true, description = "Consumer throughput, like kafka-consumer-perf-test.")
public final class ConsumerPerfCommand implements Callable<Integer> {
  @Mixin ClientOptions client;
  @Spec CommandSpec spec;
  @Option(names = "--topic", required = true) String topic;
  @Option(names = "--num-records", required = true) long numRecords;
  @Option(names = "--timeout-ms", defaultValue = "10000", description = "Give up when no record arrives for this long.") long timeoutMs;
  @Option(names = "--fetch-max-bytes", defaultValue = "1048576") int fetchMaxBytes;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    ConsumerConfig config = ConsumerConfig.defaults(client.bootstrap().toArray(String[]::new))
        .withAutoOffsetReset("earliest").withFetchMaxBytes(fetchMaxBytes);
    long records = 0;
    long bytes = 0;
    long start = System.nanoTime();
    long firstNs = 0;
    long lastNs = start;
    try (Consumer consumer = new Consumer(config)) {
      List<TopicPartition> tps = consumer.partitionsFor(topic);
      consumer.assign(tps);
      consumer.seekToBeginning(tps);
      while (records < numRecords) {
        List<ConsumerRecord> batch = consumer.poll(Duration.ofMillis(100));
        long now = System.nanoTime();
        if (batch.isEmpty()) {
          if (now - lastNs > timeoutMs * 1_000_000L) {
            break;
          }
          continue;
        }
        if (firstNs == 0) {
          firstNs = now;
        }
        lastNs = now;
        for (ConsumerRecord r : batch) {
          records++;
          bytes += (r.value() == null ? 0 : r.value().length) + (r.key() == null ? 0 : r.key().length);
        }
      }
    }
    long end = System.nanoTime();
    double sec = (end - start) / 1e9;
    double fetchSec = firstNs == 0 ? sec : (end - firstNs) / 1e9;
    double mb = bytes / (1024.0 * 1024);
    out.printf("%d records consumed, %.1f records/sec (%.2f MB/sec) in %.2f s; fetching: %.1f records/sec (%.2f MB/sec)%n",
        records, records / sec, mb / sec, sec, records / fetchSec, mb / fetchSec);
    out.flush();
    if (records < numRecords) {
      throw new IllegalStateException("only " + records + " of " + numRecords + " records arrived within --timeout-ms=" + timeoutMs);
    }
    return 0;
  }
}
