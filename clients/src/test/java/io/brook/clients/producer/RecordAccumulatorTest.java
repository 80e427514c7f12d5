package io.brook.clients.producer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.brook.storage.TopicPartition;
import io.brook.storage.record.Record;
import io.brook.storage.record.RecordBatch;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The producer's accumulator: wake-ups of the sender and of flush, and reuse of batch builders. */
@Timeout(30)
class RecordAccumulatorTest {
  private static final TopicPartition TP = new TopicPartition("t", 0);

  private static RecordAccumulator accumulator(int maxInFlight) {
    return new RecordAccumulator(ProducerConfig.builder("127.0.0.1:1").lingerMs(0).batchSizeBytes(1024)
        .maxInFlightPerPartition(maxInFlight).enableIdempotence(false).build());
  }

  private static CompletableFuture<RecordMetadata> append(RecordAccumulator acc, String value) throws Exception {
    return acc.append(TP, 1_000L, null, value.getBytes(StandardCharsets.UTF_8), List.of(), System.currentTimeMillis());
  }

  private static List<String> values(ByteBuffer batch) {
    return RecordBatch.wrap(batch).records().stream().map(r -> new String(r.value(), StandardCharsets.UTF_8)).toList();
  }

  @Test
  void aBatchAnsweredBetweenDrainAndWaitWakesTheSenderAtOnce() throws Exception {
    RecordAccumulator acc = accumulator(1);
    append(acc, "a");
    long[] sleep = new long[1];
    List<ProducerBatch> first = acc.drain(System.currentTimeMillis(), sleep);
    assertThat(first).hasSize(1);
    append(acc, "b"); // a new batch, held back: one batch of the partition is in flight
    assertThat(acc.drain(System.currentTimeMillis(), sleep)).isEmpty();

    acc.release(first.get(0)); // the answer arrives before the sender goes to sleep

    // The sender must not sleep through it (it used to wait the whole time it was given).
    assertTimeoutPreemptively(Duration.ofSeconds(5), () -> acc.awaitWork(60_000));
    List<ProducerBatch> second = acc.drain(System.currentTimeMillis(), sleep);
    assertThat(second).hasSize(1);
    assertThat(values(second.get(0).close())).containsExactly("b");
  }

  /**
   * retry.backoff.ms: a batch refused with a retriable error is not sent again at once (a broker
   * refusing it for a while got tens of thousands of attempts per minute), and younger batches of
   * its partition wait behind it, so the order holds.
   */
  @Test
  void aRetriedBatchWaitsOutItsBackoffAndYoungerBatchesWaitBehindIt() throws Exception {
    RecordAccumulator acc = accumulator(5);
    append(acc, "a");
    long[] sleep = new long[1];
    long now = System.currentTimeMillis();
    List<ProducerBatch> first = acc.drain(now, sleep);
    assertThat(first).hasSize(1);
    ProducerBatch a = first.get(0);
    a.attempts = 1;
    a.retryNotBeforeMs = now + 100;
    acc.requeue(a);
    append(acc, "b");
    assertThat(acc.drain(now + 50, sleep)).as("within the backoff: neither a nor b").isEmpty();
    assertThat(sleep[0]).as("wakes when the backoff ends").isBetween(1L, 50L);
    List<ProducerBatch> again = acc.drain(now + 100, sleep);
    assertThat(again).extracting(bt -> values(bt.close())).containsExactly(List.of("a"), List.of("b"));
  }

  @Test
  void flushReturnsOnceEveryBatchIsAnsweredWithoutSpinning() throws Exception {
    RecordAccumulator acc = accumulator(5);
    append(acc, "a");
    List<ProducerBatch> sent = acc.drain(System.currentTimeMillis(), new long[1]);
    Thread flusher = new Thread(() -> {
      try {
        acc.awaitEmpty();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    flusher.start();
    flusher.join(300);
    assertThat(flusher.isAlive()).as("flush waits while a batch is in flight").isTrue();
    sent.forEach(acc::release);
    flusher.join(5_000);
    assertThat(flusher.isAlive()).as("flush returns once the batch is answered").isFalse();
  }

  @Test
  void aReusedBuilderLeavesEarlierBatchesIntact() throws Exception {
    RecordAccumulator acc = accumulator(100);
    long[] sleep = new long[1];
    for (int round = 0; round < 50; round++) {
      String big = "q".repeat(round * 37 % 800); // both records fit one 1024-byte batch
      List<String> expected = List.of("r" + round + "-x", "r" + round + "-y" + big);
      for (String v : expected) {
        append(acc, v);
      }
      List<ProducerBatch> drained = acc.drain(System.currentTimeMillis(), sleep);
      ByteBuffer bytes = drained.get(0).close();
      // Later batches are built in recycled builders: this one's bytes, a view of its own builder's
      // buffer, must not change while it is not answered.
      for (int later = 0; later < 3; later++) {
        append(acc, "later-" + later + "-" + "z".repeat(200));
        acc.drain(System.currentTimeMillis(), sleep).forEach(acc::releaseAnswered);
      }
      RecordBatch batch = RecordBatch.wrap(bytes);
      batch.ensureValid();
      assertThat(batch.records().stream().map(Record::value).map(v -> new String(v, StandardCharsets.UTF_8)).toList())
          .containsExactlyElementsOf(expected);
      assertThat(drained).hasSize(1);
      drained.forEach(acc::release);
    }
  }

  @Test
  void onlyAnAnsweredBatchGivesItsBufferToALaterBatch() throws Exception {
    RecordAccumulator acc = accumulator(100);
    long[] sleep = new long[1];
    append(acc, "first");
    ProducerBatch first = acc.drain(System.currentTimeMillis(), sleep).get(0);
    byte[] firstArray = first.close().array();
    acc.release(first); // failed or sent without acks: the transport may still replay its bytes

    append(acc, "second");
    ProducerBatch second = acc.drain(System.currentTimeMillis(), sleep).get(0);
    byte[] secondArray = second.close().array();
    assertThat(secondArray).as("a released, unanswered batch's buffer is not reused").isNotSameAs(firstArray);
    assertThat(values(ByteBuffer.wrap(firstArray, 0, first.close().remaining()))).containsExactly("first");
    acc.releaseAnswered(second);

    append(acc, "third");
    ProducerBatch third = acc.drain(System.currentTimeMillis(), sleep).get(0);
    assertThat(third.close().array()).as("an answered batch's buffer is reused, no copy per batch").isSameAs(secondArray);
    assertThat(values(third.close())).containsExactly("third");
  }
}
