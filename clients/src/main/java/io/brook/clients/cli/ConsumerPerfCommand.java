package io.brook.clients.cli;

import io.brook.clients.consumer.Consumer;
import io.brook.clients.consumer.ConsumerConfig;
import io.brook.clients.consumer.ConsumerRecord;
import io.brook.storage.TopicPartition;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.text.SimpleDateFormat;
import java.time.Duration;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code brook perf consume}: Kafka's {@code kafka-consumer-perf-test} ({@code
 * ConsumerPerformance}) for Brook, with its flags. Reads {@code --num-records} records of a topic
 * (from the start of every partition, or from the end with {@code --from-latest}), by assignment,
 * or as a member of {@code --group} when one is given, and prints Kafka's CSV summary: MB (MiB of
 * keys and values) and records consumed, per second over the whole run and over the fetch time
 * (after the first record arrived; the time before it is reported as {@code rebalance.time.ms}).
 * {@code --json} adds one JSON line with the same figures.
 */
@Command(name = "consume", mixinStandardHelpOptions = true,
    description = "Consumer throughput, like kafka-consumer-perf-test (same flags).")
public final class ConsumerPerfCommand implements Callable<Integer> {
  @Mixin ClientOptions client;
  @Spec CommandSpec spec;
  @Option(names = "--topic", required = true, description = "Topic to read.") String topic;
  @Option(names = {"--num-records", "--messages"}, required = true, description = "Records to read.") long numRecords;
  @Option(names = {"--timeout", "--timeout-ms"}, defaultValue = "10000",
      description = "Give up when no record arrives for this many ms (default ${DEFAULT-VALUE}).") long timeoutMs;
  @Option(names = {"--fetch-size", "--fetch-max-bytes"}, defaultValue = "1048576",
      description = "Bytes per partition per fetch (default ${DEFAULT-VALUE}).") int fetchSize;
  @Option(names = "--group", description = "Consume as a member of this group (subscribe) instead of by assignment.") String group;
  @Option(names = "--from-latest", description = "Start at the end of each partition instead of the beginning.") boolean fromLatest;
  @Option(names = "--consumer.config", paramLabel = "FILE", description = "Consumer settings file (Kafka property names); --command-config is read the same way when this is not given.")
  Path consumerConfig;
  @Option(names = "--command-property", arity = "1..*", paramLabel = "KEY=VALUE", description = "Consumer settings by Kafka name; override the file.")
  List<String> commandProperties;
  @Option(names = "--show-detailed-stats", description = "Print a line every --reporting-interval.") boolean detailed;
  @Option(names = "--reporting-interval", defaultValue = "5000", description = "Interval of the detailed lines in ms (default ${DEFAULT-VALUE}).")
  long reportingIntervalMs;
  @Option(names = "--hide-header", description = "Leave out the CSV header line.") boolean hideHeader;
  @Option(names = "--json", description = "Also print the summary as one JSON line.") boolean json;

  @Override
  public Integer call() {
    if (numRecords <= 0) {
      throw new ParameterException(spec.commandLine(), "--num-records must be positive, got " + numRecords);
    }
    if (timeoutMs <= 0 || fetchSize <= 0 || reportingIntervalMs <= 0) {
      throw new ParameterException(spec.commandLine(), "--timeout, --fetch-size and --reporting-interval must be positive");
    }
    PrintWriter out = spec.commandLine().getOut();
    Map<String, String> props = new LinkedHashMap<>();
    props.put("bootstrap.servers", String.join(",", client.bootstrap()));
    props.put("auto.offset.reset", fromLatest ? "latest" : "earliest");
    props.put("max.partition.fetch.bytes", Integer.toString(fetchSize));
    props.put("request.timeout.ms", Long.toString(client.requestTimeoutMs()));
    if (group != null) {
      props.put("group.id", group);
    }
    props.putAll(PerfSupport.properties(spec, consumerConfig != null ? consumerConfig : client.commandConfig(), commandProperties));
    ConsumerConfig config;
    try {
      config = ConsumerConfig.fromProperties(props);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage());
    }
    long records = 0;
    long bytes = 0;
    long startMs = System.currentTimeMillis();
    long start = System.nanoTime();
    long firstNs = 0;
    long lastNs = start;
    long windowStart = start;
    long windowRecords = 0;
    long windowBytes = 0;
    if (detailed && !hideHeader) {
      out.println("time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec");
    }
    try (Consumer consumer = new Consumer(config)) {
      if (config.groupId() != null) {
        consumer.subscribe(List.of(topic));
      } else {
        List<TopicPartition> tps = consumer.partitionsFor(topic);
        consumer.assign(tps);
        if (fromLatest) {
          consumer.seekToEnd(tps);
        } else {
          consumer.seekToBeginning(tps);
        }
      }
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
          if (records == numRecords) {
            break; // the last poll may bring more than asked for
          }
          int size = (r.value() == null ? 0 : r.value().length) + (r.key() == null ? 0 : r.key().length);
          records++;
          bytes += size;
          windowRecords++;
          windowBytes += size;
        }
        if (detailed && now - windowStart >= reportingIntervalMs * 1_000_000L) {
          double sec = (now - windowStart) / 1e9;
          out.printf(Locale.ROOT, "%s, %.4f, %.4f, %d, %.4f%n", format(System.currentTimeMillis()),
              windowBytes / 1048576.0, windowBytes / 1048576.0 / sec, windowRecords, windowRecords / sec);
          out.flush();
          windowStart = now;
          windowRecords = 0;
          windowBytes = 0;
        }
      }
    }
    long end = System.nanoTime();
    long endMs = System.currentTimeMillis();
    double sec = (end - start) / 1e9;
    double fetchSec = firstNs == 0 ? sec : (end - firstNs) / 1e9;
    long rebalanceMs = firstNs == 0 ? 0 : (firstNs - start) / 1_000_000;
    double mb = bytes / (1024.0 * 1024);
    if (!hideHeader) {
      out.println("start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, "
          + "rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec");
    }
    out.printf(Locale.ROOT, "%s, %s, %.4f, %.4f, %d, %.4f, %d, %d, %.4f, %.4f%n", format(startMs), format(endMs),
        mb, mb / sec, records, records / sec, rebalanceMs, (long) (fetchSec * 1000), mb / fetchSec, records / fetchSec);
    out.flush();
    if (json) {
      Map<String, Object> line = new LinkedHashMap<>();
      line.put("tool", "consume");
      line.put("topic", topic);
      line.put("records", records);
      line.put("records_per_sec", records / sec);
      line.put("mb_per_sec", mb / sec);
      line.put("fetch_records_per_sec", records / fetchSec);
      line.put("fetch_mb_per_sec", mb / fetchSec);
      line.put("rebalance_ms", rebalanceMs);
      line.put("elapsed_s", sec);
      PerfSupport.printJson(out, line);
    }
    if (records < numRecords) {
      throw new IllegalStateException("only " + records + " of " + numRecords + " records arrived (none for --timeout " + timeoutMs + " ms)");
    }
    return 0;
  }

  private static String format(long ms) {
    return new SimpleDateFormat("yyyy-MM-dd HH:mm:ss:SSS", Locale.ROOT).format(new Date(ms));
  }
}
