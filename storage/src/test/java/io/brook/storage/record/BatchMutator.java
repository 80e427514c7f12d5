package io.brook.storage.record;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.zip.CRC32C;

/**
 * Seeded, structure-aware mutation of v2 record batches for fuzz tests: makes valid producer batches
 * of every codec and mutates them where a parser can go wrong (header fields, attributes, lengths,
 * varints, header keys, codec payloads, framing). Most mutations then repair what a careless
 * attacker would get wrong (CRC, batch length, count, lastOffsetDelta, maxTimestamp), so the
 * input reaches the checks behind them instead of dying at the CRC.
 *
 * <p>Also a reference decoder ({@link #decodeSection}) that is independent of {@link RecordBatch},
 * for checking that what the validator accepts decodes back fully. Deterministic for a given
 * {@link Random}; not thread-safe.
 */
public final class BatchMutator {
  private static final long[] INTERESTING = {0, 1, -1, -2, 2, 5, 6, 7, 63, 64, -64, 127, 128, 255, 256,
      Short.MAX_VALUE, 65_535, 1 << 20, Integer.MAX_VALUE, Integer.MIN_VALUE, Integer.MAX_VALUE - 1,
      Long.MAX_VALUE, Long.MIN_VALUE};
  private static final byte[][] BAD_UTF8 = {{(byte) 0xC0, (byte) 0x80}, {(byte) 0xED, (byte) 0xA0, (byte) 0x80},
      {(byte) 0xFF}, {(byte) 0xE2, (byte) 0x82}, {(byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80},
      {(byte) 0x80}, {'o', 'k', (byte) 0xC3}};

  private final Random random;

  public BatchMutator(Random random) {
    this.random = random;
  }

  // ------------------------------------------------------------------ valid inputs

  /** A valid producer batch of 1..12 random records, idempotent now and then. */
  public ByteBuffer validBatch(CompressionType codec) {
    RecordBatchBuilder b = new RecordBatchBuilder(256).compression(codec);
    if (random.nextInt(4) == 0) {
      b.producer(random.nextInt(1000), (short) random.nextInt(5), random.nextInt(1000));
    }
    int n = 1 + random.nextInt(random.nextBoolean() ? 3 : 12);
    long ts = 1_700_000_000_000L + random.nextInt(1_000_000);
    for (int i = 0; i < n; i++) {
      byte[] key = random.nextInt(4) == 0 ? null : bytes(1 + random.nextInt(12));
      byte[] value = random.nextInt(8) == 0 ? null : (random.nextBoolean() ? bytes(random.nextInt(64))
          : "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".repeat(1 + random.nextInt(4)).getBytes(StandardCharsets.UTF_8));
      List<Header> headers = new ArrayList<>();
      for (int h = random.nextInt(3) == 0 ? random.nextInt(3) : 0; h > 0; h--) {
        headers.add(new Header(random.nextBoolean() ? "h" + h : "ключ-" + h, random.nextBoolean() ? null : bytes(4)));
      }
      b.append(ts + random.nextInt(2000) - 1000, key, value, headers);
    }
    return b.build();
  }

  private byte[] bytes(int n) {
    byte[] b = new byte[n];
    random.nextBytes(b);
    return b;
  }

  // ------------------------------------------------------------------ mutation

  /** One to three mutations of {@code valid} (not modified); the result is a new heap buffer. */
  public ByteBuffer mutate(ByteBuffer valid) {
    ByteBuffer out = copy(valid);
    int rounds = 1 + (random.nextInt(4) == 0 ? random.nextInt(3) : 0);
    for (int r = 0; r < rounds; r++) {
      out = mutateOnce(out);
    }
    return out;
  }

  private ByteBuffer mutateOnce(ByteBuffer in) {
    int kind = random.nextInt(100);
    if (in.remaining() < RecordBatch.HEADER_SIZE) {
      return bitFlips(in);
    }
    if (kind < 20) {
      return headerField(in);
    } else if (kind < 30) {
      return bitFlips(in);
    } else if (kind < 65) {
      return recordFields(in);
    } else if (kind < 75) {
      return sectionBytes(in);
    } else if (kind < 90) {
      return codecPayload(in);
    } else {
      return framing(in);
    }
  }

  private long interesting(long original) {
    int pick = random.nextInt(INTERESTING.length + 4);
    if (pick < INTERESTING.length) {
      return INTERESTING[pick];
    }
    return original + (random.nextBoolean() ? 1 : -1) * (1 + random.nextInt(3));
  }

  /** Sets one header field to an interesting value; usually fixes the CRC after. */
  private ByteBuffer headerField(ByteBuffer in) {
    ByteBuffer b = copy(in);
    switch (random.nextInt(11)) {
      case 0 -> b.putShort(RecordBatch.ATTRIBUTES_OFFSET, (short) (random.nextBoolean()
          ? b.getShort(RecordBatch.ATTRIBUTES_OFFSET) ^ (1 << random.nextInt(16)) : random.nextInt(1 << 16)));
      case 1 -> b.putInt(RecordBatch.LAST_OFFSET_DELTA_OFFSET, (int) interesting(b.getInt(RecordBatch.LAST_OFFSET_DELTA_OFFSET)));
      case 2 -> b.putInt(RecordBatch.RECORD_COUNT_OFFSET, (int) interesting(b.getInt(RecordBatch.RECORD_COUNT_OFFSET)));
      case 3 -> b.putLong(RecordBatch.MAX_TIMESTAMP_OFFSET, interesting(b.getLong(RecordBatch.MAX_TIMESTAMP_OFFSET)));
      case 4 -> b.putLong(RecordBatch.BASE_TIMESTAMP_OFFSET, interesting(b.getLong(RecordBatch.BASE_TIMESTAMP_OFFSET)));
      case 5 -> b.putLong(RecordBatch.PRODUCER_ID_OFFSET, interesting(b.getLong(RecordBatch.PRODUCER_ID_OFFSET)));
      case 6 -> b.putShort(RecordBatch.PRODUCER_EPOCH_OFFSET, (short) interesting(b.getShort(RecordBatch.PRODUCER_EPOCH_OFFSET)));
      case 7 -> b.putInt(RecordBatch.BASE_SEQUENCE_OFFSET, (int) interesting(b.getInt(RecordBatch.BASE_SEQUENCE_OFFSET)));
      case 8 -> b.put(RecordBatch.MAGIC_OFFSET, (byte) interesting(2));
      case 9 -> b.putInt(RecordBatch.LENGTH_OFFSET, (int) interesting(b.getInt(RecordBatch.LENGTH_OFFSET)));
      default -> b.putLong(RecordBatch.BASE_OFFSET_OFFSET, interesting(0));
    }
    if (random.nextInt(20) != 0) {
      fixCrc(b);
    }
    return b;
  }

  private ByteBuffer bitFlips(ByteBuffer in) {
    ByteBuffer b = copy(in);
    if (b.remaining() == 0) {
      return ByteBuffer.wrap(bytes(1 + random.nextInt(80)));
    }
    for (int i = 1 + random.nextInt(4); i > 0; i--) {
      int pos = random.nextInt(b.remaining());
      b.put(pos, (byte) (b.get(pos) ^ (1 << random.nextInt(8))));
    }
    if (random.nextInt(5) != 0) {
      fixCrc(b);
    }
    return b;
  }

  /** Decodes the section into fields, changes one, re-encodes and repairs the header (mostly). */
  private ByteBuffer recordFields(ByteBuffer in) {
    CompressionType codec = codecOf(in);
    byte[] section = codec == null ? null : decompressCached(codec, section(in));
    List<List<Field>> records = section == null ? null : tokenize(section);
    if (records == null || records.isEmpty()) {
      return sectionBytes(in);
    }
    List<Field> rec = records.get(random.nextInt(records.size()));
    int action = random.nextInt(10);
    int i = random.nextInt(rec.size());
    Field f = rec.get(i);
    if (action == 0 && rec.size() > 1) {
      rec.remove(i);
    } else if (action == 1) {
      rec.add(i, f.copy());
    } else if (action == 2 && records.size() > 1) {
      records.remove(rec);
    } else if (action == 3) {
      records.add(random.nextInt(records.size() + 1), new ArrayList<>(rec.stream().map(Field::copy).toList()));
    } else if (f.raw != null) {
      rec.set(i, Field.raw(mutateRaw(f.raw)));
    } else if (random.nextInt(6) == 0) {
      rec.set(i, Field.raw(overlongVarint()));
    } else {
      rec.set(i, Field.varint(interesting(f.value), f.isLong));
    }
    boolean fixLengths = random.nextInt(4) != 0;
    byte[] encoded = encode(records, fixLengths);
    return withSection(in, codec, encoded, records.size(), random.nextInt(5) != 0);
  }

  private byte[] mutateRaw(byte[] raw) {
    return switch (random.nextInt(5)) {
      case 0 -> BAD_UTF8[random.nextInt(BAD_UTF8.length)].clone();
      case 1 -> {
        byte[] bad = BAD_UTF8[random.nextInt(BAD_UTF8.length)];
        byte[] out = Arrays.copyOf(raw, raw.length + bad.length);
        System.arraycopy(bad, 0, out, raw.length, bad.length);
        yield out;
      }
      case 2 -> Arrays.copyOf(raw, Math.max(0, raw.length - 1 - random.nextInt(3)));
      case 3 -> Arrays.copyOf(raw, raw.length + 1 + random.nextInt(3));
      default -> bytes(raw.length);
    };
  }

  private byte[] overlongVarint() {
    byte[] b = new byte[6 + random.nextInt(6)];
    Arrays.fill(b, (byte) 0xFF);
    if (random.nextBoolean()) {
      b[b.length - 1] = 0x01;
    }
    return b;
  }

  /** Inserts, deletes or overwrites a run of bytes of the uncompressed section. */
  private ByteBuffer sectionBytes(ByteBuffer in) {
    CompressionType codec = codecOf(in);
    byte[] section = codec == null ? null : decompressCached(codec, section(in));
    if (section == null) {
      return bitFlips(in);
    }
    byte[] out;
    int pos = random.nextInt(section.length + 1);
    switch (random.nextInt(5)) {
      case 0 -> { // insert
        byte[] ins = random.nextBoolean() ? bytes(1 + random.nextInt(8)) : new byte[] {0};
        out = new byte[section.length + ins.length];
        System.arraycopy(section, 0, out, 0, pos);
        System.arraycopy(ins, 0, out, pos, ins.length);
        System.arraycopy(section, pos, out, pos + ins.length, section.length - pos);
      }
      case 1 -> { // delete
        int n = Math.min(section.length - pos, 1 + random.nextInt(8));
        out = new byte[section.length - n];
        System.arraycopy(section, 0, out, 0, pos);
        System.arraycopy(section, pos + n, out, pos, section.length - pos - n);
      }
      case 2 -> out = Arrays.copyOf(section, pos); // truncate
      case 3 -> out = new byte[] {0}; // the one-byte section: a record of length 0
      default -> { // overwrite
        out = section.clone();
        for (int k = 1 + random.nextInt(4); k > 0 && out.length > 0; k--) {
          out[random.nextInt(out.length)] = (byte) random.nextInt(256);
        }
      }
    }
    return withSection(in, codec, out, in.getInt(RecordBatch.RECORD_COUNT_OFFSET), false);
  }

  /** Damages the codec's own bytes: truncation, trailing junk, flipped bytes, another codec id. */
  private ByteBuffer codecPayload(ByteBuffer in) {
    byte[] raw = section(in);
    byte[] out;
    switch (random.nextInt(5)) {
      case 0 -> out = Arrays.copyOf(raw, Math.max(0, raw.length - 1 - random.nextInt(Math.max(1, raw.length))));
      case 1 -> {
        out = Arrays.copyOf(raw, raw.length + 1 + random.nextInt(8));
        for (int i = raw.length; i < out.length; i++) {
          out[i] = (byte) random.nextInt(256);
        }
      }
      case 2 -> { // a second copy of the stream: concatenated streams are legal for some codecs
        out = Arrays.copyOf(raw, raw.length * 2);
        System.arraycopy(raw, 0, out, raw.length, raw.length);
      }
      case 3 -> {
        out = raw.clone();
        for (int k = 1 + random.nextInt(3); k > 0 && out.length > 0; k--) {
          out[random.nextInt(out.length)] ^= (byte) (1 << random.nextInt(8));
        }
      }
      default -> {
        ByteBuffer b = copy(in);
        short attrs = b.getShort(RecordBatch.ATTRIBUTES_OFFSET);
        b.putShort(RecordBatch.ATTRIBUTES_OFFSET, (short) ((attrs & ~RecordBatch.COMPRESSION_MASK) | random.nextInt(8)));
        fixCrc(b);
        return b;
      }
    }
    return withRawSection(in, out);
  }

  private ByteBuffer framing(ByteBuffer in) {
    return switch (random.nextInt(4)) {
      case 0 -> {
        ByteBuffer b = copy(in);
        yield b.limit(random.nextInt(b.limit() + 1)).slice();
      }
      case 1 -> {
        ByteBuffer b = ByteBuffer.allocate(in.remaining() + 1 + random.nextInt(70));
        b.put(in.duplicate());
        b.put(bytes(b.remaining()));
        yield b.flip();
      }
      case 2 -> {
        ByteBuffer b = ByteBuffer.allocate(in.remaining() * 2);
        b.put(in.duplicate()).put(in.duplicate());
        yield b.flip();
      }
      default -> {
        ByteBuffer b = copy(in);
        b.putInt(RecordBatch.LENGTH_OFFSET, (int) interesting(b.getInt(RecordBatch.LENGTH_OFFSET)));
        yield b;
      }
    };
  }

  // ------------------------------------------------------------------ records as fields

  /** One field of an encoded record: a (zig-zag) varint, a single byte, or raw bytes. */
  static final class Field {
    final long value;
    final boolean isLong;
    final byte[] raw;

    private Field(long value, boolean isLong, byte[] raw) {
      this.value = value;
      this.isLong = isLong;
      this.raw = raw;
    }

    static Field varint(long v, boolean isLong) {
      return new Field(v, isLong, null);
    }

    static Field raw(byte[] b) {
      return new Field(0, false, b);
    }

    Field copy() {
      return new Field(value, isLong, raw == null ? null : raw.clone());
    }
  }

  /**
   * Splits a well-formed uncompressed section into records of fields (without the length
   * prefix): attributes (raw), timestamp delta, offset delta, key length, key, value length,
   * value, header count, then header key length, key, value length, value. Null if it does not
   * parse.
   */
  static List<List<Field>> tokenize(byte[] section) {
    try {
      ByteBuffer in = ByteBuffer.wrap(section);
      List<List<Field>> out = new ArrayList<>();
      while (in.hasRemaining()) {
        int length = Varint.readInt(in);
        ByteBuffer r = in.slice(in.position(), length);
        in.position(in.position() + length);
        List<Field> f = new ArrayList<>();
        f.add(Field.raw(new byte[] {r.get()}));
        f.add(Field.varint(Varint.readLong(r), true));
        f.add(Field.varint(Varint.readInt(r), false));
        addBytes(r, f);
        addBytes(r, f);
        int headers = Varint.readInt(r);
        f.add(Field.varint(headers, false));
        for (int h = 0; h < headers; h++) {
          addBytes(r, f);
          addBytes(r, f);
        }
        out.add(f);
      }
      return out;
    } catch (RuntimeException e) {
      return null;
    }
  }

  private static void addBytes(ByteBuffer r, List<Field> f) {
    int len = Varint.readInt(r);
    f.add(Field.varint(len, false));
    if (len < -1 || len > r.remaining()) {
      throw new IllegalArgumentException("not a well-formed section");
    }
    if (len > 0) {
      byte[] b = new byte[len];
      r.get(b);
      f.add(Field.raw(b));
    }
  }

  private byte[] encode(List<List<Field>> records, boolean fixLengths) {
    ByteArrayWriter out = new ByteArrayWriter(256);
    for (List<Field> rec : records) {
      ByteArrayWriter body = new ByteArrayWriter(64);
      for (Field f : rec) {
        if (f.raw != null) {
          body.write(f.raw, 0, f.raw.length);
        } else if (f.isLong) {
          Varint.write(f.value, body);
        } else {
          Varint.write((int) f.value, body);
        }
      }
      int length = fixLengths ? body.size() : (int) interesting(body.size());
      Varint.write(length, out);
      out.write(body.array(), 0, body.size());
    }
    return Arrays.copyOf(out.array(), out.size());
  }

  /**
   * The records of a well-formed uncompressed section, decoded independently of RecordBatch:
   * per record {offsetDelta, timestampDelta, key, value, header keys and values in order}.
   */
  public static List<Object[]> decodeSection(byte[] section) {
    ByteBuffer in = ByteBuffer.wrap(section);
    List<Object[]> out = new ArrayList<>();
    while (in.hasRemaining()) {
      int length = Varint.readInt(in);
      ByteBuffer r = in.slice(in.position(), length);
      in.position(in.position() + length);
      r.get();
      long tsDelta = Varint.readLong(r);
      int offsetDelta = Varint.readInt(r);
      byte[] key = readBytes(r);
      byte[] value = readBytes(r);
      int headers = Varint.readInt(r);
      List<byte[]> hs = new ArrayList<>();
      for (int h = 0; h < headers; h++) {
        hs.add(readBytes(r));
        hs.add(readBytes(r));
      }
      out.add(new Object[] {offsetDelta, tsDelta, key, value, hs});
    }
    return out;
  }

  private static byte[] readBytes(ByteBuffer r) {
    int len = Varint.readInt(r);
    if (len < 0) {
      return null;
    }
    if (len > r.remaining()) {
      throw new IllegalArgumentException("field of " + len + " bytes with " + r.remaining() + " left");
    }
    byte[] b = new byte[len];
    r.get(b);
    return b;
  }

  // ------------------------------------------------------------------ batch surgery

  private static CompressionType codecOf(ByteBuffer b) {
    return CompressionType.forId(b.getShort(RecordBatch.ATTRIBUTES_OFFSET) & RecordBatch.COMPRESSION_MASK);
  }

  /** Decompressed sections of recently seen inputs (the seeds, mostly): decompressing dominates the cost. */
  private final java.util.LinkedHashMap<String, byte[]> sections = new java.util.LinkedHashMap<>(256, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(java.util.Map.Entry<String, byte[]> eldest) {
      return size() > 256;
    }
  };

  private byte[] decompressCached(CompressionType codec, byte[] raw) {
    if (codec == CompressionType.NONE) {
      return raw;
    }
    String key = codec.id + ":" + java.util.HexFormat.of().formatHex(raw);
    byte[] s = sections.get(key);
    if (s == null && !sections.containsKey(key)) {
      s = decompressOrNull(codec, raw);
      sections.put(key, s);
    }
    return s;
  }

  /** The uncompressed records section of a well-formed batch; null if the codec fails. */
  public static byte[] decompressOrNull(CompressionType codec, byte[] raw) {
    if (codec == CompressionType.NONE) {
      return raw;
    }
    try (InputStream in = codec.wrapInput(new java.io.ByteArrayInputStream(raw))) {
      return in.readAllBytes();
    } catch (Throwable e) {
      return null;
    }
  }

  public static byte[] compress(CompressionType codec, byte[] section) {
    if (codec == CompressionType.NONE) {
      return section;
    }
    if (codec == CompressionType.ZSTD) {
      return com.github.luben.zstd.Zstd.compress(section, 3); // one frame, like the stream's, much cheaper to make
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (OutputStream out = codec.wrapOutput(bytes)) {
      out.write(section);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  /** Replaces the section (compressing it), repairing length, CRC and, if asked, count, deltas and max timestamp. */
  private ByteBuffer withSection(ByteBuffer in, CompressionType codec, byte[] section, int count, boolean fixCounts) {
    ByteBuffer b = withRawSection(in, compress(codec, section));
    if (fixCounts) {
      b.putInt(RecordBatch.RECORD_COUNT_OFFSET, count);
      b.putInt(RecordBatch.LAST_OFFSET_DELTA_OFFSET, Math.max(0, count - 1));
      List<List<Field>> records = tokenize(section);
      if (records != null && !records.isEmpty()) {
        long base = b.getLong(RecordBatch.BASE_TIMESTAMP_OFFSET);
        long max = Long.MIN_VALUE;
        for (List<Field> r : records) {
          max = Math.max(max, base + r.get(1).value);
        }
        b.putLong(RecordBatch.MAX_TIMESTAMP_OFFSET, max);
      }
      fixCrc(b);
    }
    return b;
  }

  /** Replaces the section bytes as they are; repairs the length field and CRC. */
  private static ByteBuffer withRawSection(ByteBuffer in, byte[] raw) {
    ByteBuffer b = ByteBuffer.allocate(RecordBatch.HEADER_SIZE + raw.length);
    b.put(in.duplicate().limit(in.position() + RecordBatch.HEADER_SIZE)).put(raw).flip();
    b.putInt(RecordBatch.LENGTH_OFFSET, b.limit() - RecordBatch.LOG_OVERHEAD);
    fixCrc(b);
    return b;
  }

  /** The batch with its records section replaced by {@code section} (stored as is), length and CRC fixed. */
  public static ByteBuffer withSection(ByteBuffer batch, byte[] section) {
    ByteBuffer b = ByteBuffer.allocate(RecordBatch.HEADER_SIZE + section.length);
    b.put(batch.duplicate().limit(RecordBatch.HEADER_SIZE)).put(section).flip();
    b.putInt(RecordBatch.LENGTH_OFFSET, b.limit() - RecordBatch.LOG_OVERHEAD);
    fixCrc(b);
    return b;
  }

  /** The records section of a batch, as stored (compressed if the batch is). */
  public static byte[] section(ByteBuffer batch) {
    byte[] s = new byte[batch.remaining() - RecordBatch.HEADER_SIZE];
    batch.duplicate().position(RecordBatch.HEADER_SIZE).get(s);
    return s;
  }

  /** Recomputes the CRC of the batch at the start of {@code b} (if it is long enough to have one). */
  public static void fixCrc(ByteBuffer b) {
    if (b.remaining() < RecordBatch.HEADER_SIZE) {
      return;
    }
    int length = b.getInt(RecordBatch.LENGTH_OFFSET);
    int end = (length >= 0 && (long) length + RecordBatch.LOG_OVERHEAD <= b.limit()) ? length + RecordBatch.LOG_OVERHEAD : b.limit();
    if (end < RecordBatch.HEADER_SIZE) {
      return;
    }
    CRC32C crc = new CRC32C();
    crc.update(b.duplicate().position(RecordBatch.ATTRIBUTES_OFFSET).limit(end));
    b.putInt(RecordBatch.CRC_OFFSET, (int) crc.getValue());
  }

  private static ByteBuffer copy(ByteBuffer b) {
    ByteBuffer c = ByteBuffer.allocate(b.remaining());
    c.put(b.duplicate()).flip();
    return c;
  }
}
