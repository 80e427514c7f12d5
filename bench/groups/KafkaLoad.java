import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The steady producer of the group settle benchmark on Apache Kafka. Creates the topic (retrying
 * until enough brokers are registered), then sends RATE records per second, spread round-robin
 * over the partitions by explicit partition number, each value "SENDMS SEQ" (the wall-clock send
 * time in ms first, so members can measure produce-to-receive latency). Kafka producer defaults
 * (acks=all, idempotent, linger 5 ms).
 *
 * <pre>java -cp 'lib/*' KafkaLoad.java BOOTSTRAP TOPIC PARTITIONS RF RATE</pre>
 *
 * <p>Prints {@code {"ev":"topic",...}} once the topic exists, then one {@code tick} JSON line a
 * second with records sent and acknowledged so far and send errors. Runs until SIGTERM.
 */
public final class KafkaLoad {
  static final PrintStream OUT = new PrintStream(System.out, true, StandardCharsets.UTF_8);

  public static void main(String[] args) throws Exception {
    if (args.length != 5) {
      System.err.println("usage: KafkaLoad BOOTSTRAP TOPIC PARTITIONS RF RATE");
      System.exit(2);
    }
    String bootstrap = args[0];
    String topic = args[1];
    int partitions = Integer.parseInt(args[2]);
    short rf = Short.parseShort(args[3]);
    int rate = Integer.parseInt(args[4]);
    createTopic(bootstrap, topic, partitions, rf);
    OUT.println("{\"ev\":\"topic\",\"ts\":" + System.currentTimeMillis() + "}");

    Properties props = new Properties();
    props.put("bootstrap.servers", bootstrap);
    props.put("key.serializer", ByteArraySerializer.class.getName());
    props.put("value.serializer", ByteArraySerializer.class.getName());
    AtomicLong acked = new AtomicLong();
    AtomicLong errors = new AtomicLong();
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props)) {
      Runtime.getRuntime().addShutdownHook(new Thread(() -> producer.close(java.time.Duration.ofSeconds(5))));
      long seq = 0;
      long start = System.nanoTime();
      long nextTick = System.currentTimeMillis() + 1000;
      while (true) {
        // catch up to RATE * elapsed, in steps of 5 ms
        long due = (System.nanoTime() - start) * rate / 1_000_000_000L;
        for (; seq < due; seq++) {
          byte[] value = (System.currentTimeMillis() + " " + seq).getBytes(StandardCharsets.UTF_8);
          producer.send(new ProducerRecord<>(topic, (int) (seq % partitions), null, value), (md, e) -> {
            if (e == null) {
              acked.incrementAndGet();
            } else {
              errors.incrementAndGet();
            }
          });
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

  static void createTopic(String bootstrap, String topic, int partitions, short rf) throws Exception {
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
      for (int attempt = 0; ; attempt++) {
        try {
          admin.createTopics(List.of(new NewTopic(topic, partitions, rf))).all().get(30, TimeUnit.SECONDS);
          return;
        } catch (ExecutionException e) {
          if (e.getCause() instanceof TopicExistsException) {
            return;
          }
          if (attempt >= 60) {
            throw e;
          }
          TimeUnit.SECONDS.sleep(1); // brokers still registering (INVALID_REPLICATION_FACTOR)
        }
      }
    }
  }
}
