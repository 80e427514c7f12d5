package io.brook.storage.record;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.brook.storage.CorruptRecordException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

@Timeout(60)
class RecordBatchTest {

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @ParameterizedTest
  @EnumSource(CompressionType.class)
  void roundTripsKeysValuesHeadersAndTimestampsThroughEveryCodec(CompressionType codec) {
    Random random = new Random(42);
    List<Record> expected = new ArrayList<>();
    RecordBatchBuilder builder = new RecordBatchBuilder().compression(codec);
    long ts = 1_700_000_000_000L;
    for (int i = 0; i < 500; i++) {
      byte[] key = i % 7 == 0 ? null : bytes("key-" + random.nextInt(50));
      byte[] value = i % 11 == 0 ? null : new byte[random.nextInt(300)];
      if (value != null) {
        random.nextBytes(value);
      }
      List<Header> headers = i % 3 == 0 ? List.of(new Header("h" + i, bytes("v")), new Header("empty", null)) : List.of();
      long t = ts + random.nextInt(10_000) - 5_000; // timestamps need not be monotonic
      builder.append(t, key, value, headers);
      expected.add(new Record(i, t, key, value, headers));
    }
    ByteBuffer buf = builder.build();
    RecordBatch batch = RecordBatch.wrap(buf);

    batch.ensureValid();
    batch.validateRecords(true, false);
    assertThat(batch.compressionType()).isEqualTo(codec);
    assertThat(batch.recordCount()).isEqualTo(500);
    assertThat(batch.lastOffsetDelta()).isEqualTo(499);
    assertThat(batch.maxTimestamp()).isEqualTo(expected.stream().mapToLong(Record::timestamp).max().orElseThrow());
    assertThat(batch.records()).containsExactlyElementsOf(expected);
  }

  @Test
  void compressionShrinksRepetitiveData() {
    int uncompressed = 0;
    for (CompressionType codec : CompressionType.values()) {
      RecordBatchBuilder b = new RecordBatchBuilder().compression(codec);
      for (int i = 0; i < 1000; i++) {
        b.append(0L, null, bytes("the same value over and over again"));
      }
      int size = b.build().remaining();
      if (codec == CompressionType.NONE) {
        uncompressed = size;
        assertThat(size).isGreaterThan(30_000);
      } else {
        assertThat(size).as(codec.name()).isLessThan(uncompressed / 4);
      }
    }
  }

  @Test
  void offsetAndEpochAreRewrittenInPlaceWithoutTouchingTheChecksum() {
    ByteBuffer buf = new RecordBatchBuilder().compression(CompressionType.LZ4)
        .append(5L, bytes("a"), bytes("1")).append(6L, bytes("b"), bytes("2")).build();
    RecordBatch batch = RecordBatch.wrap(buf);
    long crc = batch.checksum();
    byte[] body = new byte[buf.remaining() - RecordBatch.ATTRIBUTES_OFFSET];
    buf.duplicate().position(RecordBatch.ATTRIBUTES_OFFSET).get(body);

    batch.setBaseOffset(1_000_000L);
    batch.setPartitionLeaderEpoch(7);

    assertThat(batch.checksum()).isEqualTo(crc);
    batch.ensureValid();
    byte[] after = new byte[body.length];
    buf.duplicate().position(RecordBatch.ATTRIBUTES_OFFSET).get(after);
    assertThat(after).isEqualTo(body);
    assertThat(batch.baseOffset()).isEqualTo(1_000_000L);
    assertThat(batch.partitionLeaderEpoch()).isEqualTo(7);
    assertThat(batch.records()).extracting(Record::offset).containsExactly(1_000_000L, 1_000_001L);
  }

  @Test
  void everyFlippedBitIsCaughtByTheCrcOrTheFraming() {
    ByteBuffer good = new RecordBatchBuilder().append(1L, bytes("k"), bytes("some value")).build();
    // Base offset and epoch are outside the CRC by design; everything from magic on is covered.
    for (int pos = RecordBatch.MAGIC_OFFSET; pos < good.remaining(); pos++) {
      if (pos >= RecordBatch.CRC_OFFSET && pos < RecordBatch.ATTRIBUTES_OFFSET) {
        continue; // flipping the stored CRC itself is covered below
      }
      for (int bit = 0; bit < 8; bit++) {
        ByteBuffer bad = copy(good);
        bad.put(pos, (byte) (bad.get(pos) ^ (1 << bit)));
        assertThat(RecordBatch.wrap(bad).isValid()).as("flip at %d bit %d", pos, bit).isFalse();
      }
    }
    ByteBuffer badCrc = copy(good);
    badCrc.put(RecordBatch.CRC_OFFSET, (byte) (badCrc.get(RecordBatch.CRC_OFFSET) ^ 1));
    assertThatThrownBy(() -> RecordBatch.wrap(badCrc).ensureValid())
        .isInstanceOf(CorruptRecordException.class).hasMessageContaining("CRC");
  }

  @Test
  void wrongMagicAndWrongLengthAreNamedInTheError() {
    ByteBuffer good = new RecordBatchBuilder().append(1L, null, bytes("v")).build();
    ByteBuffer badMagic = copy(good);
    badMagic.put(RecordBatch.MAGIC_OFFSET, (byte) 1);
    assertThatThrownBy(() -> RecordBatch.wrap(badMagic).ensureValid()).hasMessageContaining("magic");

    ByteBuffer badLength = copy(good);
    badLength.putInt(RecordBatch.LENGTH_OFFSET, badLength.getInt(RecordBatch.LENGTH_OFFSET) + 1);
    assertThatThrownBy(() -> RecordBatch.wrap(badLength).ensureValid()).hasMessageContaining("length");
    assertThatThrownBy(() -> RecordBatch.iterate(badLength).iterator().next())
        .isInstanceOf(CorruptRecordException.class).hasMessageContaining("only");
  }

  @Test
  void iterateFramesBackToBackBatchesAndRefusesATrailingFragment() {
    ByteBuffer a = new RecordBatchBuilder().append(1L, null, bytes("a")).build();
    ByteBuffer b = new RecordBatchBuilder().append(2L, null, bytes("b")).append(3L, null, bytes("c")).build();
    ByteBuffer both = ByteBuffer.allocate(a.remaining() + b.remaining() + 10);
    both.put(a.duplicate()).put(b.duplicate());
    ByteBuffer exact = both.duplicate().flip();
    List<Integer> counts = new ArrayList<>();
    RecordBatch.iterate(exact).forEach(x -> counts.add(x.recordCount()));
    assertThat(counts).containsExactly(1, 2);

    both.position(both.capacity()).flip(); // 10 stray bytes at the end
    var it = RecordBatch.iterate(both).iterator();
    it.next();
    it.next();
    assertThatThrownBy(it::next).isInstanceOf(CorruptRecordException.class).hasMessageContaining("incomplete");
  }

  @Test
  void validateRecordsRejectsCountsThatDisagreeWithTheRecords() {
    ByteBuffer buf = new RecordBatchBuilder().append(1L, null, bytes("a")).append(2L, null, bytes("b")).build();
    buf.putInt(RecordBatch.RECORD_COUNT_OFFSET, 3);
    fixCrc(buf);
    RecordBatch batch = RecordBatch.wrap(buf);
    batch.ensureValid(); // the CRC is right: only decoding shows the lie
    assertThatThrownBy(() -> batch.validateRecords(true, false)).isInstanceOf(CorruptRecordException.class);
  }

  @Test
  void appendWithOffsetKeepsOffsetsAndSpan() {
    ByteBuffer buf = new RecordBatchBuilder().baseOffset(100).lastOffsetDelta(9)
        .appendWithOffset(102, 1L, bytes("k1"), bytes("v"), List.of())
        .appendWithOffset(107, 1L, bytes("k2"), null, List.of())
        .build();
    RecordBatch batch = RecordBatch.wrap(buf);
    batch.ensureValid();
    batch.validateRecords(false, true);
    assertThat(batch.baseOffset()).isEqualTo(100);
    assertThat(batch.lastOffset()).isEqualTo(109);
    assertThat(batch.records()).extracting(Record::offset).containsExactly(102L, 107L);
    assertThatThrownBy(() -> batch.validateRecords(true, false)).isInstanceOf(CorruptRecordException.class);
  }

  @Test
  void varintsRoundTripAtTheEdges() {
    ByteArrayWriter w = new ByteArrayWriter(16);
    long[] longs = {0, 1, -1, 63, -64, 64, Long.MAX_VALUE, Long.MIN_VALUE, 1L << 40};
    int[] ints = {0, 1, -1, Integer.MAX_VALUE, Integer.MIN_VALUE, 300, -300};
    for (long v : longs) {
      Varint.write(v, w);
    }
    for (int v : ints) {
      Varint.write(v, w);
    }
    ByteBuffer in = ByteBuffer.wrap(w.array(), 0, w.size());
    for (long v : longs) {
      int before = in.position();
      assertThat(Varint.readLong(in)).isEqualTo(v);
      assertThat(in.position() - before).isEqualTo(Varint.sizeOf(v));
    }
    for (int v : ints) {
      int before = in.position();
      assertThat(Varint.readInt(in)).isEqualTo(v);
      assertThat(in.position() - before).isEqualTo(Varint.sizeOf(v));
    }
    assertThat(in.hasRemaining()).isFalse();
    assertThatThrownBy(() -> Varint.readInt(ByteBuffer.wrap(new byte[] {(byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, 1})))
        .isInstanceOf(CorruptRecordException.class);
  }

  @Test
  void builderIsReusableAfterReset() {
    RecordBatchBuilder b = new RecordBatchBuilder().compression(CompressionType.ZSTD);
    ByteBuffer first = b.append(1L, bytes("k"), bytes("v1")).build();
    ByteBuffer second = b.reset().append(2L, bytes("k"), bytes("v2")).build();
    assertThat(RecordBatch.wrap(first).records().get(0).value()).isEqualTo(bytes("v1"));
    RecordBatch s = RecordBatch.wrap(second);
    s.ensureValid();
    assertThat(s.recordCount()).isEqualTo(1);
    assertThat(s.records().get(0).value()).isEqualTo(bytes("v2"));
    assertThat(s.compressionType()).isEqualTo(CompressionType.ZSTD);
  }

  static ByteBuffer copy(ByteBuffer b) {
    ByteBuffer c = ByteBuffer.allocate(b.remaining());
    c.put(b.duplicate()).flip();
    return c;
  }

  static void fixCrc(ByteBuffer buf) {
    java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
    crc.update(buf.duplicate().position(RecordBatch.ATTRIBUTES_OFFSET));
    buf.putInt(RecordBatch.CRC_OFFSET, (int) crc.getValue());
  }
}
