package io.brook.clients.cli;

import io.brook.clients.producer.Producer;
import io.brook.clients.producer.ProducerConfig;
import io.brook.clients.producer.ProducerRecord;
import io.brook.storage.record.CompressionType;
import java.io.PrintWriter;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code brook perf produce}: Kafka's {@code kafka-producer-perf-test} for Brook. Sends {@code
 * --num-records} records of {@code --record-size} random bytes (at most {@code --throughput} per
 * second, -1 for no limit), prints a progress line every 5 s and a summary: records/s, MB/s, and
 * send-to-acknowledgement latency (avg, max, percentiles).
 */
@Command(name = "produce", mixinStandardHelpOptions = true, description = "Producer throughput and latency, like kafka-producer-perf-test.")
public final class ProducerPerfCommand implements Callable<Integer> {
  @Mixin ClientOptions client;
  @Spec CommandSpec spec;
  @Option(names = "--topic", required = true) String topic;
  @Option(names = "--num-records", required = true) long numRecords;
  @Option(names = "--record-size", defaultValue = "100") int recordSize;
  @Option(names = "--throughput", defaultValue = "-1", description = "Max records/sec; -1 for no limit.") long throughput;
  @Option(names = "--acks", defaultValue = "1") String acks;
  @Option(names = "--compression", defaultValue = "none") String compression;
  @Option(names = "--batch-size", defaultValue = "16384", description = "Producer batch size in bytes.") int batchSize;
  @Option(names = "--linger-ms", defaultValue = "5") long lingerMs;
  @Option(names = "--buffer-memory", defaultValue = "67108864") long bufferMemory;

  @Override
  public Integer call() throws Exception {
    if (numRecords <= 0 || recordSize <= 0) {
      throw new IllegalArgumentException("--num-records and --record-size must be positive");
    }
    PrintWriter out = spec.commandLine().getOut();
    ProducerConfig config = ProducerConfig.builder(client.bootstrap().toArray(String[]::new))
        .acks(acks).compression(CompressionType.forName(compression)).batchSizeBytes(batchSize)
        .lingerMs(lingerMs).bufferMemoryBytes(bufferMemory).requestTimeoutMs(client.requestTimeoutMs()).build();
    byte[][] payloads = new byte[64][];
    Random random = new Random(0);
    for (int i = 0; i < payloads.length; i++) {
      payloads[i] = new byte[recordSize];
      for (int j = 0; j < recordSize; j++) {
        payloads[i][j] = (byte) ('A' + random.nextInt(26)); // like Kafka's tool: random uppercase letters
      }
    }
    Stats stats = new Stats(numRecords, recordSize, out);
    AtomicReference<Throwable> failure = new AtomicReference<>();
    long start = System.nanoTime();
    try (Producer producer = new Producer(config)) {
      for (long i = 0; i < numRecords && failure.get() == null; i++) {
        long sendNs = System.nanoTime();
        producer.send(new ProducerRecord(topic, null, null, payloads[(int) (i & 63)], List.of(), null))
            .whenComplete((md, e) -> {
              if (e != null) {
                failure.compareAndSet(null, e);
              } else {
                stats.record(System.nanoTime() - sendNs);
              }
            });
        if (throughput > 0) {
          long due = start + (long) ((i + 1) * 1e9 / throughput);
          long wait = due - System.nanoTime();
          if (wait > 0) {
            LockSupport.parkNanos(wait);
          }
        }
      }
      producer.flush();
    }
    if (failure.get() != null) {
      throw new IllegalStateException("send failed: " + failure.get().getMessage(), failure.get());
    }
    stats.printTotal(System.nanoTime() - start);
    return 0;
  }

  /** Latency bookkeeping in the style of Kafka's tool (sampled for percentiles). */
  static final class Stats {
    private final long records;
    private final int recordSize;
    private final PrintWriter out;
    private final int[] samples;
    private final int sampleEvery;
    private final AtomicLong count = new AtomicLong();
    private final AtomicLong totalLatencyNs = new AtomicLong();
    private final AtomicLong maxLatencyNs = new AtomicLong();
    private long windowStartNs = System.nanoTime();
    private long windowCount;
    private long windowLatencyNs;
    private long windowMaxNs;

    Stats(long records, int recordSize, PrintWriter out) {
      this.records = records;
      this.recordSize = recordSize;
      this.out = out;
      this.sampleEvery = (int) Math.max(1, records / 500_000);
      this.samples = new int[(int) (records / sampleEvery) + 1];
    }

    synchronized void record(long latencyNs) {
      long n = count.getAndIncrement();
      totalLatencyNs.addAndGet(latencyNs);
      maxLatencyNs.accumulateAndGet(latencyNs, Math::max);
      if (n % sampleEvery == 0 && n / sampleEvery < samples.length) {
        samples[(int) (n / sampleEvery)] = (int) Math.min(Integer.MAX_VALUE, latencyNs / 1_000_000);
      }
      windowCount++;
      windowLatencyNs += latencyNs;
      windowMaxNs = Math.max(windowMaxNs, latencyNs);
      long now = System.nanoTime();
      if (now - windowStartNs >= 5_000_000_000L) {
        double sec = (now - windowStartNs) / 1e9;
        out.printf("%d records sent, %.1f records/sec (%.2f MB/sec), %.1f ms avg latency, %.1f ms max latency.%n",
            windowCount, windowCount / sec, windowCount * recordSize / sec / (1024 * 1024),
            windowLatencyNs / 1e6 / windowCount, windowMaxNs / 1e6);
        out.flush();
        windowStartNs = now;
        windowCount = 0;
        windowLatencyNs = 0;
        windowMaxNs = 0;
      }
    }

    synchronized void printTotal(long elapsedNs) {
      long n = count.get();
      double sec = elapsedNs / 1e9;
      int taken = (int) Math.min(samples.length, (n + sampleEvery - 1) / sampleEvery);
      int[] sorted = Arrays.copyOf(samples, taken);
      Arrays.sort(sorted);
      out.printf("%d records sent, %.1f records/sec (%.2f MB/sec), %.2f ms avg latency, %.2f ms max latency, "
              + "%d ms 50th, %d ms 95th, %d ms 99th, %d ms 99.9th.%n",
          n, n / sec, n * (double) recordSize / sec / (1024 * 1024), n == 0 ? 0 : totalLatencyNs.get() / 1e6 / n,
          maxLatencyNs.get() / 1e6, pct(sorted, 0.5), pct(sorted, 0.95), pct(sorted, 0.99), pct(sorted, 0.999));
      out.flush();
      if (n != records) {
        throw new IllegalStateException(n + " of " + records + " records acknowledged");
      }
    }

    private static int pct(int[] sorted, double p) {
      return sorted.length == 0 ? 0 : sorted[(int) Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
    }
  }
}
