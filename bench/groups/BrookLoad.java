import io.brook.clients.admin.Admin;
import io.brook.clients.producer.Producer;
import io.brook.clients.producer.ProducerConfig;
import io.brook.clients.producer.ProducerRecord;
import io.brook.proto.common.v1.ErrorCode;
import io.brook.proto.errors.BrookException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The steady producer of the group settle benchmark on Brook, like KafkaLoad.java: creates the
 * topic (retrying while brokers register), then sends RATE records per second round-robin over
 * the partitions by explicit partition number, each value "SENDMS SEQ". Brook's producer defaults
 * (acks=all, idempotent, linger 5 ms, as Kafka's).
 *
 * <pre>java -cp 'deploy/target/lib/*' BrookLoad.java BOOTSTRAP TOPIC PARTITIONS RF RATE</pre>
 *
 * <p>Prints {@code {"ev":"topic",...}} once the topic exists, then a {@code tick} JSON line a
 * second (sent, acked, errors). Runs until SIGTERM.
 */
public final class BrookLoad {
  static final PrintStream OUT = new PrintStream(System.out, true, StandardCharsets.UTF_8);

  public static void main(String[] args) throws Exception {
    if (args.length != 5) {
      System.err.println("usage: BrookLoad BOOTSTRAP TOPIC PARTITIONS RF RATE");
      System.exit(2);
    }
    List<String> bootstrap = List.of(args[0].split(","));
    String topic = args[1];
    int partitions = Integer.parseInt(args[2]);
    int rf = Integer.parseInt(args[3]);
    int rate = Integer.parseInt(args[4]);
    try (Admin admin = new Admin(bootstrap, 30_000)) {
      for (int attempt = 0; ; attempt++) {
        try {
          admin.createTopic(topic, partitions, rf, Map.of());
          break;
        } catch (BrookException e) {
          if (e.code() == ErrorCode.TOPIC_ALREADY_EXISTS) {
            break;
          }
          if (attempt >= 60) {
            throw e;
          }
          TimeUnit.SECONDS.sleep(1); // brokers still registering (INVALID_REPLICATION_FACTOR)
        }
      }
    }
    OUT.println("{\"ev\":\"topic\",\"ts\":" + System.currentTimeMillis() + "}");

    AtomicLong acked = new AtomicLong();
    AtomicLong errors = new AtomicLong();
    Producer producer = new Producer(ProducerConfig.builder(bootstrap.toArray(String[]::new)).build());
    Runtime.getRuntime().addShutdownHook(new Thread(producer::close));
    long seq = 0;
    long start = System.nanoTime();
    long nextTick = System.currentTimeMillis() + 1000;
    while (true) {
      long due = (System.nanoTime() - start) * rate / 1_000_000_000L;
      for (; seq < due; seq++) {
        byte[] value = (System.currentTimeMillis() + " " + seq).getBytes(StandardCharsets.UTF_8);
        producer.send(new ProducerRecord(topic, (int) (seq % partitions), null, value, List.of(), null))
            .whenComplete((md, e) -> (e == null ? acked : errors).incrementAndGet());
      }
      long now = System.currentTimeMillis();
      if (now >= nextTick) {
        OUT.println("{\"ev\":\"tick\",\"ts\":" + now + ",\"sent\":" + seq + ",\"acked\":" + acked.get()
            + ",\"errors\":" + errors.get() + "}");
        nextTick += 1000;
      }
      TimeUnit.MILLISECONDS.sleep(5);
    }
  }
}
