package io.brook.storage.record;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import io.brook.storage.CorruptRecordException;
import io.brook.storage.InvalidRecordException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The fast path of record validation against the general path, on valid and on mutated
 * uncompressed batches: whatever the fast path accepts, the general path accepts too (it may
 * only be stricter), and it does accept the common case, so produce requests really take it.
 */
class UncompressedRecordsCheckTest {
  private static final int MAX_MESSAGE_BYTES = 64 * 1024;

  @Test
  void acceptsPlainProducerBatches() {
    RecordBatchBuilder b = new RecordBatchBuilder();
    for (int i = 0; i < 80; i++) {
      b.append(1_700_000_000_000L + i, i % 3 == 0 ? null : ("k" + i).getBytes(), new byte[100]);
    }
    RecordBatch batch = RecordBatch.wrap(b.build());
    assertThat(UncompressedRecordsCheck.passes(batch, batch.buffer(), true, false, MAX_MESSAGE_BYTES)).isTrue();
    assertThat(UncompressedRecordsCheck.passes(batch, batch.buffer(), true, true, MAX_MESSAGE_BYTES))
        .as("a compacted log requires keys: left to the general path, which names the record").isFalse();
  }

  @Test
  void leavesBatchesWithHeadersOrCompressionToTheGeneralPath() {
    RecordBatchBuilder withHeaders = new RecordBatchBuilder();
    withHeaders.append(1L, null, new byte[10], List.of(new Header("h", new byte[1])));
    RecordBatch h = RecordBatch.wrap(withHeaders.build());
    assertThat(UncompressedRecordsCheck.passes(h, h.buffer(), true, false, MAX_MESSAGE_BYTES)).isFalse();
    assertThatCode(() -> h.validateRecords(true, false, MAX_MESSAGE_BYTES)).doesNotThrowAnyException();

    RecordBatchBuilder lz4 = new RecordBatchBuilder().compression(CompressionType.LZ4);
    lz4.append(1L, null, new byte[10]);
    RecordBatch c = RecordBatch.wrap(lz4.build());
    assertThat(UncompressedRecordsCheck.passes(c, c.buffer(), true, false, MAX_MESSAGE_BYTES)).isFalse();
  }

  @Test
  void neverAcceptsWhatTheGeneralPathRefuses() {
    Random random = new Random(7);
    BatchMutator mutator = new BatchMutator(random);
    int fastAccepted = 0;
    for (int i = 0; i < 50_000; i++) {
      ByteBuffer input = i % 10 == 0 ? mutator.validBatch(CompressionType.NONE) : mutator.mutate(mutator.validBatch(CompressionType.NONE));
      boolean producerBatch = random.nextBoolean();
      boolean requireKeys = random.nextInt(4) == 0;
      RecordBatch batch;
      try {
        batch = RecordBatch.iterate(input).iterator().next();
      } catch (CorruptRecordException | java.util.NoSuchElementException e) {
        continue; // framing is checked before either path runs
      }
      if (!UncompressedRecordsCheck.passes(batch, batch.buffer(), producerBatch, requireKeys, MAX_MESSAGE_BYTES)) {
        continue;
      }
      fastAccepted++;
      try {
        batch.validateRecordsInDetail(producerBatch, requireKeys, MAX_MESSAGE_BYTES);
      } catch (CorruptRecordException | InvalidRecordException e) {
        throw new AssertionError("input " + i + ": the fast path accepted what the general path refuses: " + e.getMessage(), e);
      }
    }
    assertThat(fastAccepted).as("inputs the fast path accepted").isGreaterThan(1_000);
  }
}
