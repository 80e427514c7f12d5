import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * One member of the group settle benchmark on Apache Kafka: a {@link KafkaConsumer} with
 * {@code group.protocol=consumer} (KIP-848: server-side assignment, the member only heartbeats),
 * Kafka's defaults otherwise (heartbeat 5 s and session 45 s are set on the broker).
 *
 * <pre>java -cp 'lib/*' KafkaMember.java BOOTSTRAP GROUP TOPIC NAME</pre>
 *
 * <p>Prints JSON lines on stdout, every {@code ts} a wall-clock epoch time in ms:
 * {@code start} (subscribed, about to poll), {@code assigned}/{@code revoked}/{@code lost}
 * (the partitions of the callback and {@code owned}, the whole set owned afterwards),
 * {@code first} (first record of a partition after it was assigned), {@code gap} (no record at
 * all for more than {@code GAP_MS} ms, from/to), {@code pgap} (same per partition), and once a
 * second {@code tick} (records since the last tick, last record receive time overall and per
 * partition, the longest gap between records that ended since the last tick as gap_from/gap_to,
 * the largest produce-to-receive latency in ms, from the send time the producer writes first in
 * each value). SIGTERM closes the consumer, which leaves the group.
 */
public final class KafkaMember {
  static final long GAP_MS = Long.getLong("gap.ms", 250);
  static final PrintStream OUT = new PrintStream(System.out, true, StandardCharsets.UTF_8);

  final String name;
  final TreeSet<Integer> owned = new TreeSet<>();
  final Map<Integer, Long> lastRecv = new HashMap<>();
  final TreeSet<Integer> awaitingFirst = new TreeSet<>();
  long lastAny;
  long records;
  long maxLatency;
  long gapFrom;
  long gapTo;

  KafkaMember(String name) {
    this.name = name;
  }

  public static void main(String[] args) throws Exception {
    if (args.length != 4) {
      System.err.println("usage: KafkaMember BOOTSTRAP GROUP TOPIC NAME");
      System.exit(2);
    }
    Properties props = new Properties();
    props.put("bootstrap.servers", args[0]);
    props.put("group.id", args[1]);
    props.put("group.protocol", "consumer");
    props.put("client.id", args[3]);
    props.put("auto.offset.reset", "earliest");
    props.put("key.deserializer", ByteArrayDeserializer.class.getName());
    props.put("value.deserializer", ByteArrayDeserializer.class.getName());
    KafkaMember m = new KafkaMember(args[3]);
    KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props);
    CountDownLatch done = new CountDownLatch(1);
    Thread main = Thread.currentThread();
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      consumer.wakeup();
      try {
        done.await();
      } catch (InterruptedException ignored) {
        Thread.currentThread().interrupt();
      }
    }));
    try {
      consumer.subscribe(List.of(args[2]), m.listener());
      m.emit("start", "");
      m.run(consumer);
    } catch (WakeupException e) {
      // SIGTERM
    } finally {
      consumer.close(); // commits (auto-commit) and leaves the group
      m.emit("closed", "");
      done.countDown();
    }
  }

  ConsumerRebalanceListener listener() {
    return new ConsumerRebalanceListener() {
      @Override
      public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
        change("revoked", partitions, false);
      }

      @Override
      public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
        change("assigned", partitions, true);
      }

      @Override
      public void onPartitionsLost(Collection<TopicPartition> partitions) {
        change("lost", partitions, false);
      }
    };
  }

  void change(String ev, Collection<TopicPartition> partitions, boolean add) {
    List<Integer> ps = new ArrayList<>();
    for (TopicPartition tp : partitions) {
      ps.add(tp.partition());
      if (add) {
        owned.add(tp.partition());
        awaitingFirst.add(tp.partition());
      } else {
        owned.remove(tp.partition());
        awaitingFirst.remove(tp.partition());
        lastRecv.remove(tp.partition());
      }
    }
    emit(ev, ",\"partitions\":" + ps + ",\"owned\":" + new ArrayList<>(owned));
  }

  void run(KafkaConsumer<byte[], byte[]> consumer) {
    long nextTick = System.currentTimeMillis() + 1000;
    while (true) {
      ConsumerRecords<byte[], byte[]> batch = consumer.poll(Duration.ofMillis(100));
      long now = System.currentTimeMillis();
      if (!batch.isEmpty()) {
        if (lastAny > 0 && now - lastAny > GAP_MS) {
          emit("gap", ",\"from\":" + lastAny + ",\"to\":" + now);
        }
        if (lastAny > 0 && now - lastAny > gapTo - gapFrom) {
          gapFrom = lastAny;
          gapTo = now;
        }
        lastAny = now;
        for (ConsumerRecord<byte[], byte[]> r : batch) {
          received(r.partition(), r.value(), now);
        }
      }
      if (now >= nextTick) {
        tick(now);
        nextTick = now + 1000;
      }
    }
  }

  void received(int p, byte[] value, long now) {
    records++;
    Long prev = lastRecv.put(p, now);
    if (prev != null && now - prev > GAP_MS) {
      emit("pgap", ",\"p\":" + p + ",\"from\":" + prev + ",\"to\":" + now);
    }
    if (awaitingFirst.remove(p)) {
      emit("first", ",\"p\":" + p);
    }
    long sent = sendTime(value);
    if (sent > 0) {
      maxLatency = Math.max(maxLatency, now - sent);
    }
  }

  void tick(long now) {
    StringBuilder last = new StringBuilder("{");
    lastRecv.forEach((p, t) -> last.append(last.length() > 1 ? "," : "").append('"').append(p).append("\":").append(t));
    emit("tick", ",\"records\":" + records + ",\"last_any\":" + lastAny + ",\"last\":" + last.append('}')
        + ",\"max_latency_ms\":" + maxLatency + ",\"gap_from\":" + gapFrom + ",\"gap_to\":" + gapTo
        + ",\"owned\":" + new ArrayList<>(owned));
    records = 0;
    maxLatency = 0;
    gapFrom = 0;
    gapTo = 0;
  }

  /** The producer writes "SENDMS SEQ"; 0 when the value is not of that form. */
  static long sendTime(byte[] value) {
    long v = 0;
    int i = 0;
    for (; value != null && i < value.length && value[i] >= '0' && value[i] <= '9'; i++) {
      v = v * 10 + (value[i] - '0');
    }
    return i > 0 ? v : 0;
  }

  void emit(String ev, String rest) {
    OUT.println("{\"ev\":\"" + ev + "\",\"member\":\"" + name + "\",\"ts\":" + System.currentTimeMillis() + rest + "}");
  }
}
