package io.brook.storage.record;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.brook.storage.CorruptRecordException;
import io.brook.storage.InvalidRecordException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What {@link RecordBatch#validateRecords(boolean, boolean, int)} refuses in a producer batch, one
 * kind at a time (the inputs of issue 8 §6), and that every refusal is one of the storage
 * engine's own exceptions naming the problem. {@link RecordBatchFuzzTest} covers their siblings.
 */
@Timeout(60)
class RecordBatchValidationTest {
  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static ByteBuffer oneRecord(CompressionType codec) {
    return new RecordBatchBuilder().compression(codec).append(1_000L, bytes("k"), bytes("hello hello hello hello"))
        .build();
  }

  private static RecordBatch valid(ByteBuffer b) {
    RecordBatch batch = RecordBatch.wrap(b);
    batch.ensureValid(); // the CRC is right: only the records show what is wrong
    return batch;
  }

  @Test
  void aRecordOfLengthZeroIsCorruptNotABufferUnderflow() {
    // issue 8 §6: CRC valid, recordCount=1, records section = the single byte 00.
    RecordBatch batch = valid(BatchMutator.withSection(oneRecord(CompressionType.NONE), new byte[] {0}));
    assertThat(batch.recordCount()).isEqualTo(1);
    assertThatThrownBy(() -> batch.validateRecords(true, false))
        .isInstanceOf(CorruptRecordException.class).hasMessageContaining("record 0 has length 0");
    assertThatThrownBy(batch::records).isInstanceOf(CorruptRecordException.class);
  }

  @Test
  void aRecordWhoseFieldsRunPastItsLengthIsCorrupt() {
    byte[] s = BatchMutator.section(oneRecord(CompressionType.NONE));
    s[0] = 2 * 6; // zig-zag 6: the record claims 6 bytes, far fewer than its fields take
    RecordBatch batch = valid(BatchMutator.withSection(oneRecord(CompressionType.NONE), s));
    assertThatThrownBy(() -> batch.validateRecords(true, false))
        .isInstanceOf(CorruptRecordException.class).hasMessageContaining("record 0");
    assertThatThrownBy(batch::records).isInstanceOf(CorruptRecordException.class);
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 2, 3, 4, 5, 8})
  void snappyWithTrailingJunkIsCorruptWhateverTheLibraryThrows(int junk) {
    // snappy-java ignores 1-3 junk bytes and throws SnappyError (a java.lang.Error) on 4 or more.
    ByteBuffer good = oneRecord(CompressionType.SNAPPY);
    byte[] s = BatchMutator.section(good);
    byte[] bad = Arrays.copyOf(s, s.length + junk);
    Arrays.fill(bad, s.length, bad.length, (byte) 0x33);
    RecordBatch batch = valid(BatchMutator.withSection(good, bad));
    assertThatThrownBy(() -> batch.validateRecords(true, false))
        .isInstanceOf(CorruptRecordException.class).hasMessageContaining("snappy");
    assertThatThrownBy(batch::records).isInstanceOf(CorruptRecordException.class);
  }

  @ParameterizedTest
  @EnumSource(value = CompressionType.class, names = "NONE", mode = EnumSource.Mode.EXCLUDE)
  void everyCodecRefusesTrailingBytesAndTruncation(CompressionType codec) {
    ByteBuffer good = oneRecord(codec);
    byte[] s = BatchMutator.section(good);
    for (int junk = 1; junk <= 9; junk++) {
      byte[] bad = Arrays.copyOf(s, s.length + junk);
      Arrays.fill(bad, s.length, bad.length, (byte) (0x40 + junk));
      RecordBatch batch = valid(BatchMutator.withSection(good, bad));
      assertThatThrownBy(() -> batch.validateRecords(true, false)).as("%s + %d junk bytes", codec, junk)
          .isInstanceOf(CorruptRecordException.class).hasMessageContaining(codec.configName);
    }
    for (int cut = 1; cut < s.length; cut++) {
      RecordBatch batch = valid(BatchMutator.withSection(good, Arrays.copyOf(s, s.length - cut)));
      assertThatThrownBy(() -> batch.validateRecords(true, false)).as("%s cut by %d", codec, cut)
          .isInstanceOf(CorruptRecordException.class);
    }
    valid(good).validateRecords(true, false);
  }

  @Test
  void gzipWithTrailingBytesIsRefusedButConcatenatedMembersAreNot() {
    ByteBuffer good = oneRecord(CompressionType.GZIP);
    byte[] s = BatchMutator.section(good);
    byte[] junk = Arrays.copyOf(s, s.length + 4); // GZIPInputStream ignores these
    assertThatThrownBy(() -> valid(BatchMutator.withSection(good, junk)).validateRecords(true, false))
        .isInstanceOf(CorruptRecordException.class).hasMessageContaining("after the last gzip member");
    // The records split over two gzip members is still one valid gzip stream (RFC 1952).
    byte[] plain = BatchMutator.section(oneRecord(CompressionType.NONE));
    byte[] a = BatchMutator.compress(CompressionType.GZIP, Arrays.copyOf(plain, 5));
    byte[] b = BatchMutator.compress(CompressionType.GZIP, Arrays.copyOfRange(plain, 5, plain.length));
    byte[] both = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, both, a.length, b.length);
    RecordBatch two = valid(BatchMutator.withSection(good, both));
    two.validateRecords(true, false);
    assertThat(two.records()).hasSize(1);
  }

  @Test
  void rawSnappyWithoutTheStreamHeaderIsAccepted() throws Exception {
    // librdkafka writes raw snappy blocks; snappy-java reads them, so must we.
    byte[] plain = BatchMutator.section(oneRecord(CompressionType.NONE));
    ByteBuffer template = oneRecord(CompressionType.SNAPPY);
    RecordBatch batch = valid(BatchMutator.withSection(template, org.xerial.snappy.Snappy.compress(plain)));
    batch.validateRecords(true, false);
    assertThat(batch.records()).extracting(r -> new String(r.value(), StandardCharsets.UTF_8))
        .containsExactly("hello hello hello hello");
  }

  @Test
  void aSnappyBlockClaimingAnImpossibleLengthIsRefusedBeforeAllocating() {
    // A raw block whose varint says 2 GiB follows from 5 bytes: refused, not allocated.
    byte[] liar = {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 0x07, 0, 0, 0};
    RecordBatch batch = valid(BatchMutator.withSection(oneRecord(CompressionType.SNAPPY), liar));
    assertThatThrownBy(() -> batch.validateRecords(true, false))
        .isInstanceOf(CorruptRecordException.class).hasMessageContaining("impossible");
  }

  @ParameterizedTest
  @EnumSource(value = CompressionType.class, names = "NONE", mode = EnumSource.Mode.EXCLUDE)
  void aDecompressionBombIsRefusedWithoutInflatingIt(CompressionType codec) {
    // 48 records of 512 KiB of zeros: 24 MiB inflated, a few KiB (gzip, zstd) to ~1 MiB (snappy) compressed.
    RecordBatchBuilder builder = new RecordBatchBuilder().compression(codec);
    byte[] zeros = new byte[512 * 1024];
    for (int i = 0; i < 48; i++) {
      builder.append(1L, null, zeros);
    }
    RecordBatch batch = valid(builder.build());
    int maxMessageBytes = 64 * 1024; // may inflate to 64 x 64 KiB = 4 MiB
    com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    long before = threads.getCurrentThreadAllocatedBytes();
    assertThatThrownBy(() -> batch.validateRecords(true, false, maxMessageBytes))
        .isInstanceOf(InvalidRecordException.class).hasMessageContaining("inflates beyond " + 64 * maxMessageBytes);
    long allocated = threads.getCurrentThreadAllocatedBytes() - before;
    assertThat(allocated).as("bytes allocated to refuse a 24 MiB bomb").isLessThan(2L * 1024 * 1024);
    // Within the default bound it is a legitimate batch.
    batch.validateRecords(true, false);
  }

  /** One zstd frame holding {@code data} as a raw block, declaring a window of 2^windowLog bytes. */
  private static byte[] zstdFrame(byte[] data, int windowLog) {
    ByteBuffer f = ByteBuffer.allocate(9 + data.length).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    f.putInt(0xFD2FB528); // magic
    f.put((byte) 0); // frame header: no content size, not single-segment, no checksum, no dictionary
    f.put((byte) ((windowLog - 10) << 3)); // window descriptor: exponent, mantissa 0
    int blockHeader = (data.length << 3) | 1; // raw block, the last one
    f.put((byte) blockHeader).put((byte) (blockHeader >> 8)).put((byte) (blockHeader >> 16));
    return f.put(data).array();
  }

  @Test
  void aZstdFrameAskingForAHugeWindowIsRefusedBeforeTheDecoderAllocatesIt() {
    ByteBuffer template = oneRecord(CompressionType.ZSTD);
    byte[] plain = BatchMutator.section(oneRecord(CompressionType.NONE));
    RecordBatch small = valid(BatchMutator.withSection(template, zstdFrame(plain, 24)));
    small.validateRecords(true, false);
    assertThat(small.records()).hasSize(1);
    // 2^27 is zstd's own default limit: 128 MiB of native memory for a 70-byte batch.
    RecordBatch huge = valid(BatchMutator.withSection(template, zstdFrame(plain, 27)));
    assertThatThrownBy(() -> huge.validateRecords(true, false))
        .isInstanceOf(CorruptRecordException.class).hasMessageContaining("zstd");
  }

  @Test
  void aCompressedRecordLyingAboutItsKeyLengthCostsWhatItHolds() {
    // record length 2^30, key length 2^30 - 10, then 20 bytes: decoding must not allocate 1 GiB.
    ByteArrayWriter w = new ByteArrayWriter(64);
    Varint.write(1 << 30, w);
    w.writeByte(0);
    Varint.write(0L, w);
    Varint.write(0, w);
    Varint.write((1 << 30) - 10, w);
    w.write(new byte[20], 0, 20);
    byte[] gz = BatchMutator.compress(CompressionType.GZIP, Arrays.copyOf(w.array(), w.size()));
    RecordBatch batch = valid(BatchMutator.withSection(oneRecord(CompressionType.GZIP), gz));
    com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    long before = threads.getCurrentThreadAllocatedBytes();
    assertThatThrownBy(batch::records).isInstanceOf(CorruptRecordException.class).hasMessageContaining("ends inside");
    assertThat(threads.getCurrentThreadAllocatedBytes() - before).isLessThan(1024 * 1024);
    assertThatThrownBy(() -> batch.validateRecords(true, false)).isInstanceOf(InvalidRecordException.class)
        .hasMessageContaining("inflates beyond");
  }

  private static ByteBuffer withHeader(ByteBuffer batch, java.util.function.Consumer<ByteBuffer> edit) {
    ByteBuffer b = ByteBuffer.allocate(batch.remaining());
    b.put(batch.duplicate()).flip();
    edit.accept(b);
    BatchMutator.fixCrc(b);
    return b;
  }

  @Test
  void attributeBitsAClientMayNotSetAreInvalid() {
    ByteBuffer good = oneRecord(CompressionType.LZ4);
    short attrs = good.getShort(RecordBatch.ATTRIBUTES_OFFSET);
    String[] expected = new String[16];
    expected[3] = "log-append-time";
    expected[4] = "transactional";
    expected[5] = "control";
    for (int bit = 3; bit < 16; bit++) {
      int b = bit;
      RecordBatch batch = valid(withHeader(good, x -> x.putShort(RecordBatch.ATTRIBUTES_OFFSET, (short) (attrs | 1 << b))));
      assertThatThrownBy(() -> batch.validateRecords(true, false)).as("attribute bit %d", bit)
          .isInstanceOf(InvalidRecordException.class)
          .hasMessageContaining(expected[bit] != null ? expected[bit] : "undefined bits");
    }
  }

  @Test
  void producerFieldsThatDoNotGoTogetherAreInvalid() {
    ByteBuffer plain = oneRecord(CompressionType.NONE);
    Object[][] cases = {
        {-1L, (short) -1, 0, "base sequence 0 but no producer id"},
        {-1L, (short) 0, -1, "producer epoch 0 but no producer id"},
        {-7L, (short) 0, 0, "invalid producer id -7"},
        {5L, (short) -1, 0, "invalid producer epoch -1"},
        {5L, (short) 0, -1, "invalid base sequence -1"},
        {5L, (short) 0, -9, "invalid base sequence -9"},
    };
    for (Object[] c : cases) {
      RecordBatch batch = valid(withHeader(plain, b -> b.putLong(RecordBatch.PRODUCER_ID_OFFSET, (long) c[0])
          .putShort(RecordBatch.PRODUCER_EPOCH_OFFSET, (short) c[1]).putInt(RecordBatch.BASE_SEQUENCE_OFFSET, (int) c[2])));
      assertThatThrownBy(() -> batch.validateRecords(true, false)).as("%s", Arrays.toString(c))
          .isInstanceOf(InvalidRecordException.class).hasMessageContaining((String) c[3]);
    }
    valid(withHeader(plain, b -> b.putLong(RecordBatch.PRODUCER_ID_OFFSET, 5).putShort(RecordBatch.PRODUCER_EPOCH_OFFSET,
        (short) 0).putInt(RecordBatch.BASE_SEQUENCE_OFFSET, 0))).validateRecords(true, false);
  }

  @Test
  void countsDeltasAndMaxTimestampMustMatchTheRecords() {
    ByteBuffer two = new RecordBatchBuilder().append(10L, null, bytes("a")).append(30L, null, bytes("b")).build();
    assertThatThrownBy(() -> valid(withHeader(two, b -> b.putInt(RecordBatch.LAST_OFFSET_DELTA_OFFSET, 5)))
        .validateRecords(true, false)).isInstanceOf(CorruptRecordException.class).hasMessageContaining("recordCount - 1");
    assertThatThrownBy(() -> valid(withHeader(two, b -> b.putInt(RecordBatch.RECORD_COUNT_OFFSET, 0)
        .putInt(RecordBatch.LAST_OFFSET_DELTA_OFFSET, 0))).validateRecords(true, false))
        .isInstanceOf(InvalidRecordException.class).hasMessageContaining("no records");
    assertThatThrownBy(() -> valid(withHeader(two, b -> b.putLong(RecordBatch.MAX_TIMESTAMP_OFFSET, 99)))
        .validateRecords(true, false)).isInstanceOf(CorruptRecordException.class).hasMessageContaining("maxTimestamp 99");
    assertThatThrownBy(() -> valid(withHeader(two, b -> b.putInt(RecordBatch.RECORD_COUNT_OFFSET, 1)
        .putInt(RecordBatch.LAST_OFFSET_DELTA_OFFSET, 0))).validateRecords(true, false))
        .isInstanceOf(CorruptRecordException.class).hasMessageContaining("holds more");
    valid(two).validateRecords(true, false);
  }

  @Test
  void headerKeysMustBePresentAndValidUtf8() {
    ByteBuffer good = new RecordBatchBuilder().append(1L, null, bytes("v"), List.of(new Header("KEY!", bytes("x"))))
        .build();
    byte[] s = BatchMutator.section(good);
    int at = indexOf(s, bytes("KEY!"));
    byte[][] bad = {{(byte) 0xC0, (byte) 0x80, 'a', 'b'}, {(byte) 0xED, (byte) 0xA0, (byte) 0x80, 'a'},
        {'a', 'b', 'c', (byte) 0xE2}, {(byte) 0xFF, 'a', 'b', 'c'}};
    for (byte[] key : bad) {
      byte[] copy = s.clone();
      System.arraycopy(key, 0, copy, at, 4);
      RecordBatch batch = valid(BatchMutator.withSection(good, copy));
      assertThatThrownBy(() -> batch.validateRecords(true, false)).as(Arrays.toString(key))
          .isInstanceOf(InvalidRecordException.class).hasMessageContaining("not valid UTF-8");
    }
    ByteBuffer nk = new RecordBatchBuilder().append(1L, null, bytes("v"), List.of(new Header("", bytes("x")))).build();
    byte[] ns = BatchMutator.section(nk);
    int hk = ns.length - 3; // ... | key len 0 | value len 1 | 'x'
    assertThat(ns[hk]).isEqualTo((byte) 0);
    ns[hk] = 1; // -1
    assertThatThrownBy(() -> valid(BatchMutator.withSection(nk, ns)).validateRecords(true, false))
        .isInstanceOf(InvalidRecordException.class).hasMessageContaining("null key");
    valid(good).validateRecords(true, false);
  }

  private static int indexOf(byte[] hay, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= hay.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (hay[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    throw new AssertionError("not found");
  }

  @Test
  void utf8ValidatorAgreesWithJavasStrictDecoder() {
    Random random = new Random(7);
    var decoder = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
        .onUnmappableCharacter(CodingErrorAction.REPORT);
    for (int i = 0; i < 200_000; i++) {
      byte[] b = new byte[random.nextInt(6)];
      for (int j = 0; j < b.length; j++) {
        b[j] = (byte) (random.nextInt(3) == 0 ? random.nextInt(256) : 0x80 + random.nextInt(0x80));
        if (random.nextInt(4) == 0) {
          b[j] = (byte) (0xC0 + random.nextInt(0x40));
        }
      }
      boolean java;
      try {
        CharBuffer ignored = decoder.reset().decode(ByteBuffer.wrap(b));
        java = true;
      } catch (CharacterCodingException e) {
        java = false;
      }
      assertThat(Utf8Validator.isWellFormed(b)).as("%s", Arrays.toString(b)).isEqualTo(java);
    }
  }

  @ParameterizedTest
  @EnumSource(CompressionType.class)
  void aValidBatchOfEveryCodecStillPassesWithRecordsBack(CompressionType codec) {
    ByteBuffer b = new RecordBatchBuilder().compression(codec).producer(3, (short) 1, 10)
        .append(5L, bytes("k"), bytes("v"), List.of(new Header("ключ", null))).append(9L, null, null).build();
    RecordBatch batch = valid(b);
    assertThatThrownBy(() -> batch.validateRecords(true, true, 100)).isInstanceOf(InvalidRecordException.class)
        .hasMessageContaining("requires a key");
    batch.validateRecords(true, false, 1000);
    assertThat(batch.records()).hasSize(2);
    assertThat(batch.records().get(0).headers().get(0).key()).isEqualTo("ключ");
  }
}
