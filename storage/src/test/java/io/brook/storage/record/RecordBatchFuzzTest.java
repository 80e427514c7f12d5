package io.brook.storage.record;

import static org.assertj.core.api.Assertions.assertThat;

import io.brook.storage.CorruptRecordException;
import io.brook.storage.InvalidRecordException;
import io.brook.storage.RecordTooLargeException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Seeded mutation fuzzing of what a produce request's bytes reach in the storage engine: framing
 * ({@link RecordBatch#iterate}), {@link RecordBatch#ensureValid()}, {@link
 * RecordBatch#validateRecords(boolean, boolean, int)} and {@link RecordBatch#records()}, in the
 * order {@code Log.appendAsLeader} runs them. Inputs are valid batches of every codec mutated by
 * {@link BatchMutator} (header fields, attributes, lengths, varints, header keys, codec payloads,
 * framing).
 *
 * <p>Properties: (1) the only exceptions are the storage engine's own refusals ({@link
 * CorruptRecordException}, {@link InvalidRecordException}, {@link RecordTooLargeException}),
 * each with a message, never another RuntimeException or Error; (2) a batch that is accepted
 * decodes back fully: {@code records()} yields exactly {@code recordCount} records at consecutive
 * offsets, and the same keys, values, header keys (byte for byte, so UTF-8 round-trips) and header
 * values as an independent decoder of the section.
 *
 * <p>Runs {@value #DEFAULT_INPUTS} inputs by default (seconds); {@code -Dbrook.fuzz.inputs=N} and
 * {@code -Dbrook.fuzz.seed=S} run more or replay. Plain seeded JUnit rather than Jazzer: the
 * mutator knows the format, a failure replays from its seed and index with no corpus files, and
 * nothing is instrumented, so the CI run stays fast and deterministic.
 */
@Timeout(300)
class RecordBatchFuzzTest {
  static final int DEFAULT_INPUTS = 100_000;
  private static final int MAX_MESSAGE_BYTES = 64 * 1024;

  @Test
  void mutatedBatchesAreRefusedWithOurExceptionsOrDecodeBackFully() {
    long seed = Long.getLong("brook.fuzz.seed", 20240611L);
    int inputs = Integer.getInteger("brook.fuzz.inputs", DEFAULT_INPUTS);
    Random random = new Random(seed);
    BatchMutator mutator = new BatchMutator(random);
    CompressionType[] codecs = CompressionType.values();
    TreeMap<String, Integer> outcomes = new TreeMap<>();
    List<ByteBuffer> seeds = new ArrayList<>();
    for (int i = 0; i < 64; i++) {
      seeds.add(mutator.validBatch(codecs[i % codecs.length]));
    }
    int accepted = 0;
    long mutateNanos = 0;
    long t0 = System.nanoTime();
    for (int i = 0; i < inputs; i++) {
      long m0 = System.nanoTime();
      ByteBuffer input = i % 50 == 0 ? mutator.validBatch(codecs[random.nextInt(codecs.length)])
          : mutator.mutate(seeds.get(random.nextInt(seeds.size())));
      mutateNanos += System.nanoTime() - m0;
      byte[] snapshot = new byte[input.remaining()];
      input.duplicate().get(snapshot);
      boolean requireKeys = random.nextInt(4) == 0;
      try {
        List<RecordBatch> batches = validateAsTheLogDoes(input, requireKeys);
        for (RecordBatch b : batches) {
          assertDecodesBackFully(b);
        }
        accepted++;
        outcomes.merge("accepted", 1, Integer::sum);
      } catch (CorruptRecordException | InvalidRecordException | RecordTooLargeException e) {
        assertThat(e.getMessage()).as("refusal message").isNotBlank();
        outcomes.merge(e.getClass().getSimpleName() + ": " + e.getMessage().replaceAll("-?\\d+", "N"), 1, Integer::sum);
      } catch (Throwable t) {
        throw new AssertionError("input " + i + " (seed " + seed + ") escaped as " + t + "; bytes: "
            + HexFormat.of().formatHex(snapshot), t);
      }
    }
    System.out.printf("record batch fuzz: %d inputs (seed %d), %d accepted, %d kinds of refusal; %d ms, %d of them mutating%n",
        inputs, seed, accepted, outcomes.size() - 1, (System.nanoTime() - t0) / 1_000_000, mutateNanos / 1_000_000);
    outcomes.entrySet().stream().sorted((a, b) -> b.getValue() - a.getValue()).limit(40)
        .forEach(e -> System.out.printf("%8d  %s%n", e.getValue(), e.getKey()));
    // The mutator must keep reaching the deep checks, not only the CRC and framing.
    assertThat(accepted).as("accepted inputs").isGreaterThan(inputs / 50);
    assertThat(outcomes.keySet()).anyMatch(k -> k.contains("not valid UTF"));
    assertThat(outcomes.keySet()).anyMatch(k -> k.contains("cannot decompress"));
    assertThat(outcomes.keySet()).anyMatch(k -> k.contains("runs past"));
  }

  /** What Log.appendAsLeader checks before it writes anything. */
  private static List<RecordBatch> validateAsTheLogDoes(ByteBuffer input, boolean requireKeys) {
    if (!input.hasRemaining()) {
      throw new InvalidRecordException("append of zero record batches");
    }
    List<RecordBatch> batches = new ArrayList<>();
    for (RecordBatch b : RecordBatch.iterate(input)) {
      if (b.sizeInBytes() > MAX_MESSAGE_BYTES) {
        throw new RecordTooLargeException(b.sizeInBytes(), MAX_MESSAGE_BYTES);
      }
      b.ensureValid();
      b.validateRecords(true, requireKeys, MAX_MESSAGE_BYTES);
      batches.add(b);
    }
    return batches;
  }

  private static void assertDecodesBackFully(RecordBatch b) {
    List<Record> records = b.records();
    assertThat(records).hasSize(b.recordCount());
    byte[] raw = new byte[b.sizeInBytes() - RecordBatch.HEADER_SIZE];
    b.buffer().position(RecordBatch.HEADER_SIZE).get(raw);
    byte[] section = BatchMutator.decompressOrNull(b.compressionType(), raw);
    assertThat(section).as("an accepted batch decompresses with the codec library").isNotNull();
    List<Object[]> reference = BatchMutator.decodeSection(section);
    assertThat(reference).hasSize(records.size());
    long maxTs = Long.MIN_VALUE;
    for (int i = 0; i < records.size(); i++) {
      Record r = records.get(i);
      Object[] ref = reference.get(i);
      assertThat(r.offset()).isEqualTo(b.baseOffset() + i);
      assertThat((int) ref[0]).isEqualTo(i);
      assertThat(r.timestamp()).isEqualTo(b.baseTimestamp() + (long) ref[1]);
      assertThat(r.key()).isEqualTo((byte[]) ref[2]);
      assertThat(r.value()).isEqualTo((byte[]) ref[3]);
      @SuppressWarnings("unchecked")
      List<byte[]> headers = (List<byte[]>) ref[4];
      assertThat(r.headers()).hasSize(headers.size() / 2);
      for (int h = 0; h < r.headers().size(); h++) {
        assertThat(r.headers().get(h).key().getBytes(StandardCharsets.UTF_8))
            .as("header key round-trips byte for byte").isEqualTo(headers.get(2 * h));
        assertThat(r.headers().get(h).value()).isEqualTo(headers.get(2 * h + 1));
      }
      maxTs = Math.max(maxTs, r.timestamp());
    }
    assertThat(maxTs).isEqualTo(b.maxTimestamp());
    assertThat(Arrays.asList(b.isControl(), b.isTransactional())).containsOnly(false);
  }
}
