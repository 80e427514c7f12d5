package io.brook.clients.cli;

import io.brook.clients.consumer.Consumer;
import io.brook.clients.consumer.ConsumerConfig;
import io.brook.clients.consumer.ConsumerRecord;
import io.brook.clients.producer.Producer;
import io.brook.clients.producer.ProducerConfig;
import io.brook.clients.producer.ProducerRecord;
import io.brook.storage.TopicPartition;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code brook perf e2e}: Kafka's {@code EndToEndLatency} for Brook. Sends {@code --num-records}
 * records one at a time to partition 0 of {@code --topic} (acks {@code --producer-acks}, no
 * linger), and after each send polls a consumer assigned to that partition until the record is
 * back (a long-polling fetch, {@code --fetch-max-wait-ms}, that the leader answers as soon as the
 * record is readable; Kafka's tool polls with a fetch max wait of 0 instead); the time from send to receipt is one sample. Prints avg, p50, p99,
 * p99.9 and max in microseconds (Kafka's tool truncates percentiles to whole ms) and, with {@code
 * --json}, one JSON line. Each record's value carries its sequence number, so a record that comes
 * back out of order or not at all fails the run.
 */
@Command(name = "e2e", mixinStandardHelpOptions = true,
    description = "End-to-end latency (produce, then consume the same record), like Kafka's EndToEndLatency; percentiles in microseconds.")
public final class EndToEndLatencyCommand implements Callable<Integer> {
  @Mixin ClientOptions client;
  @Spec CommandSpec spec;
  @Option(names = "--topic", required = true, description = "Topic to use (partition 0).") String topic;
  @Option(names = "--num-records", defaultValue = "5000", description = "Round trips (default ${DEFAULT-VALUE}).") int numRecords;
  @Option(names = "--producer-acks", defaultValue = "all", description = "acks of the producer: 1 or all (default ${DEFAULT-VALUE}).") String acks;
  @Option(names = "--record-size", defaultValue = "100", description = "Value size in bytes (default ${DEFAULT-VALUE}).") int recordSize;
  @Option(names = "--fetch-max-wait-ms", defaultValue = "500",
      description = "How long the leader may hold a fetch that finds nothing new (default ${DEFAULT-VALUE}).") int fetchMaxWaitMs;
  @Option(names = "--warmup-records", defaultValue = "0", description = "Round trips left out of the figures (JIT warm-up).") int warmup;
  @Option(names = "--json", description = "Also print the summary as one JSON line.") boolean json;

  @Override
  public Integer call() throws Exception {
    if (numRecords <= 0 || recordSize < 8) {
      throw new ParameterException(spec.commandLine(), "--num-records must be positive and --record-size at least 8");
    }
    if (fetchMaxWaitMs < 0) {
      throw new ParameterException(spec.commandLine(), "--fetch-max-wait-ms must not be negative");
    }
    if (warmup < 0 || warmup >= numRecords) {
      throw new ParameterException(spec.commandLine(), "--warmup-records must be in [0, --num-records)");
    }
    if (!acks.equals("1") && !acks.equalsIgnoreCase("all") && !acks.equals("-1")) {
      throw new ParameterException(spec.commandLine(), "--producer-acks must be 1 or all, got '" + acks + "'");
    }
    PrintWriter out = spec.commandLine().getOut();
    String[] bootstrap = client.bootstrap().toArray(String[]::new);
    ProducerConfig pc = ProducerConfig.builder(bootstrap).acks(acks).lingerMs(0).requestTimeoutMs(client.requestTimeoutMs())
        .security(client.security()).build();
    ConsumerConfig cc = ConsumerConfig.defaults(bootstrap).withFetchMaxWaitMs(fetchMaxWaitMs).withAutoOffsetReset("latest")
        .withRequestTimeoutMs(client.requestTimeoutMs()).withSecurity(client.security());
    TopicPartition tp = new TopicPartition(topic, 0);
    long[] latenciesNs = new long[numRecords - warmup];
    byte[] value = new byte[recordSize];
    new Random(0).nextBytes(value);
    long timeoutNs = TimeUnit.MILLISECONDS.toNanos(client.requestTimeoutMs());
    try (Producer producer = new Producer(pc); Consumer consumer = new Consumer(cc)) {
      consumer.assign(List.of(tp));
      consumer.seekToEnd(List.of(tp));
      consumer.poll(Duration.ZERO); // resolves the start position before the first send
      for (int i = 0; i < numRecords; i++) {
        byte[] v = value.clone();
        putInt(v, i);
        long begin = System.nanoTime();
        producer.send(new ProducerRecord(topic, 0, null, v, List.of(), null)).get(client.requestTimeoutMs(), TimeUnit.MILLISECONDS);
        ConsumerRecord got = null;
        while (got == null) {
          List<ConsumerRecord> records = consumer.poll(Duration.ofMillis(100));
          if (records.size() > 1) {
            throw new IllegalStateException("round trip " + i + ": " + records.size() + " records came back, expected 1");
          }
          if (!records.isEmpty()) {
            got = records.get(0);
          } else if (System.nanoTime() - begin > timeoutNs) {
            throw new IllegalStateException("round trip " + i + ": the record did not come back within "
                + client.requestTimeoutMs() + " ms");
          }
        }
        long elapsed = System.nanoTime() - begin;
        if (got.value() == null || got.value().length != recordSize || getInt(got.value()) != i) {
          throw new IllegalStateException("round trip " + i + ": a different record came back (offset " + got.offset() + ")");
        }
        if (i >= warmup) {
          latenciesNs[i - warmup] = elapsed;
        }
        if (i % 1000 == 0) {
          out.printf(Locale.ROOT, "%d\t%.3f ms%n", i, elapsed / 1e6);
          out.flush();
        }
      }
    }
    long[] sorted = latenciesNs.clone();
    Arrays.sort(sorted);
    double avgUs = Arrays.stream(sorted).average().orElse(0) / 1e3;
    double p50 = pct(sorted, 0.5), p99 = pct(sorted, 0.99), p999 = pct(sorted, 0.999), max = sorted[sorted.length - 1] / 1e3;
    out.printf(Locale.ROOT, "Avg latency: %.1f us (%.4f ms)%n", avgUs, avgUs / 1e3);
    out.printf(Locale.ROOT, "Percentiles: 50th = %.0f us, 99th = %.0f us, 99.9th = %.0f us, max = %.0f us%n", p50, p99, p999, max);
    out.flush();
    if (json) {
      Map<String, Object> line = new LinkedHashMap<>();
      line.put("tool", "e2e");
      line.put("topic", topic);
      line.put("acks", acks);
      line.put("records", sorted.length);
      line.put("avg_us", avgUs);
      line.put("p50_us", p50);
      line.put("p99_us", p99);
      line.put("p999_us", p999);
      line.put("max_us", max);
      PerfSupport.printJson(out, line);
    }
    return 0;
  }

  /** The p-quantile (nearest rank) of sorted nanoseconds, in microseconds. */
  static double pct(long[] sorted, double p) {
    int rank = (int) Math.ceil(p * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, rank))] / 1e3;
  }

  private static void putInt(byte[] b, int v) {
    b[0] = (byte) (v >>> 24);
    b[1] = (byte) (v >>> 16);
    b[2] = (byte) (v >>> 8);
    b[3] = (byte) v;
  }

  private static int getInt(byte[] b) {
    return ((b[0] & 0xff) << 24) | ((b[1] & 0xff) << 16) | ((b[2] & 0xff) << 8) | (b[3] & 0xff);
  }
}
