import io.brook.clients.consumer.Consumer;
import io.brook.clients.consumer.ConsumerConfig;
import io.brook.clients.consumer.ConsumerRebalanceListener;
import io.brook.clients.consumer.ConsumerRecord;
import io.brook.storage.TopicPartition;
import java.io.PrintStream;
import java.lang.reflect.Constructor;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
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

/**
 * One member of the group settle benchmark on Brook: Brook's Java {@link Consumer} subscribed to
 * one topic (KIP-848 model: the active controller assigns, the member only heartbeats), with
 * Brook's defaults (heartbeat interval and session timeout are controller settings).
 *
 * <pre>java -cp 'deploy/target/lib/*' BrookMember.java BOOTSTRAP GROUP TOPIC NAME</pre>
 *
 * <p>Prints the same JSON lines as KafkaMember.java, every {@code ts} a wall-clock epoch time in
 * ms: {@code start}, {@code assigned}/{@code revoked}/{@code lost} (callback partitions and
 * {@code owned}, the set owned afterwards), {@code first} (first record of a partition after it
 * was assigned), {@code gap}/{@code pgap} (no record for more than {@code gap.ms}, overall / per
 * partition), and a {@code tick} a second. SIGTERM ends the poll loop and closes the consumer,
 * which commits and leaves the group.
 */
public final class BrookMember {
  static final long GAP_MS = Long.getLong("gap.ms", 250);
  static final PrintStream OUT = new PrintStream(System.out, true, StandardCharsets.UTF_8);

  final String name;
  final TreeSet<Integer> owned = new TreeSet<>();
  final Map<Integer, Long> lastRecv = new HashMap<>();
  final TreeSet<Integer> awaitingFirst = new TreeSet<>();
  volatile boolean running = true;
  long lastAny;
  long records;
  long maxLatency;
  long gapFrom;
  long gapTo;

  BrookMember(String name) {
    this.name = name;
  }

  public static void main(String[] args) throws Exception {
    if (args.length != 4) {
      System.err.println("usage: BrookMember BOOTSTRAP GROUP TOPIC NAME");
      System.exit(2);
    }
    Properties props = new Properties();
    props.put("bootstrap.servers", args[0]);
    props.put("group.id", args[1]);
    props.put("auto.offset.reset", "earliest");
    BrookMember m = new BrookMember(args[3]);
    CountDownLatch done = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      m.running = false;
      try {
        done.await();
      } catch (InterruptedException ignored) {
        Thread.currentThread().interrupt();
      }
    }));
    try (Consumer consumer = new Consumer(config(props))) {
      consumer.subscribe(List.of(args[2]), m.listener());
      m.emit("start", "");
      m.run(consumer);
    } finally {
      m.emit("closed", "");
      done.countDown();
    }
  }

  /**
   * The consumer config from Kafka-named properties: ConsumerConfig's public static factory taking
   * a {@link Properties} (or a {@link Map}), else its public constructor taking one. Looked up by
   * type because the factory's name was not settled when this was written.
   *
   * @throws IllegalStateException when ConsumerConfig has neither
   */
  static ConsumerConfig config(Properties props) throws Exception {
    Map<String, String> map = new HashMap<>();
    props.stringPropertyNames().forEach(k -> map.put(k, props.getProperty(k)));
    for (Class<?> type : List.of(Properties.class, Map.class)) {
      for (Method method : ConsumerConfig.class.getMethods()) {
        if (Modifier.isStatic(method.getModifiers()) && method.getReturnType() == ConsumerConfig.class
            && method.getParameterCount() == 1 && method.getParameterTypes()[0] == type) {
          return (ConsumerConfig) method.invoke(null, type == Properties.class ? props : map);
        }
      }
      for (Constructor<?> c : ConsumerConfig.class.getConstructors()) {
        if (c.getParameterCount() == 1 && c.getParameterTypes()[0] == type) {
          return (ConsumerConfig) c.newInstance(type == Properties.class ? props : map);
        }
      }
    }
    throw new IllegalStateException("ConsumerConfig has no public static factory or constructor taking Properties or Map");
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

      // Overrides the interface's method if it has one (as Kafka's does): fenced, no commit.
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
        if (owned.add(tp.partition())) {
          awaitingFirst.add(tp.partition());
        }
      } else {
        owned.remove(tp.partition());
        awaitingFirst.remove(tp.partition());
        lastRecv.remove(tp.partition());
      }
    }
    emit(ev, ",\"partitions\":" + ps + ",\"owned\":" + new ArrayList<>(owned));
  }

  void run(Consumer consumer) {
    long nextTick = System.currentTimeMillis() + 1000;
    while (running) {
      List<ConsumerRecord> batch = consumer.poll(Duration.ofMillis(100));
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
        for (ConsumerRecord r : batch) {
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
