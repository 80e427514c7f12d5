package io.brook.clients.producer;

import static org.assertj.core.api.Assertions.assertThat;

import io.brook.clients.testing.FakeBrook;
import io.brook.storage.TopicPartition;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The idempotent producer with several batches of one partition in flight when the first is
 * refused before its append (NOT_ENOUGH_REPLICAS, retriable): the broker then refuses the next
 * ones as out of sequence (OUT_OF_ORDER_SEQUENCE is retriable). They must be retried after the
 * first, not failed: every record is acknowledged, once, in send order. A sibling of the fault
 * InOrderAnswersTest covers on the broker side (a batch's retry refused as out of sequence after a
 * later batch of its partition had been answered first).
 */
@Timeout(60)
class IdempotentRetryOrderTest {
  private static final TopicPartition TP = new TopicPartition("t", 0);

  private static List<String> values(int n) {
    // One record per batch (batch.size below a record), so the records are separate batches in flight.
    return IntStream.range(0, n).mapToObj(i -> String.format("value-%03d-%s", i, "x".repeat(60))).toList();
  }

  private static void sendAll(Producer producer, List<String> values, List<Long> offsets) throws Exception {
    List<CompletableFuture<RecordMetadata>> fs = new ArrayList<>();
    for (String v : values) {
      fs.add(producer.send(new ProducerRecord("t", 0, null, v.getBytes(StandardCharsets.UTF_8), List.of(), null)));
    }
    for (CompletableFuture<RecordMetadata> f : fs) {
      offsets.add(f.get(30, TimeUnit.SECONDS).offset());
    }
  }

  @Test
  void batchesBehindARefusedBatchAreRetriedAfterItNotFailedAsOutOfSequence() throws Exception {
    try (FakeBrook fake = new FakeBrook()) {
      fake.createTopic("t", 1);
      List<String> values = values(20);
      List<Long> offsets = new ArrayList<>();
      try (Producer producer = new Producer(ProducerConfig.builder(fake.address()).acks("all").lingerMs(0)
          .batchSizeBytes(64).maxInFlightPerPartition(5).build())) {
        // The first batch is refused (its answer held until the second batch arrived); so is a later one.
        fake.refuseProduce.set(1);
        sendAll(producer, values.subList(0, 10), offsets);
        fake.refuseProduce.set(1);
        sendAll(producer, values.subList(10, 20), offsets);
      }
      assertThat(fake.produced.get(TP)).as("written once each, in send order").containsExactlyElementsOf(values);
      assertThat(offsets).containsExactlyElementsOf(java.util.stream.LongStream.range(0, 20).boxed().toList());
    }
  }
}
