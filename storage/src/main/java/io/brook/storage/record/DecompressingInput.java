package io.brook.storage.record;

import com.github.luben.zstd.RecyclingBufferPool;
import com.github.luben.zstd.ZstdInputStreamNoFinalizer;
import io.brook.storage.CorruptRecordException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.zip.CRC32;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;
import net.jpountz.lz4.LZ4FrameInputStream;
import org.xerial.snappy.Snappy;

/**
 * The decompressed bytes of a compressed records section, read strictly: the compressed bytes
 * must be exactly one or more complete streams of the codec, with nothing before, between or after
 * them. Every codec library is lenient somewhere, so two are decoded here by hand:
 *
 * <ul>
 *   <li>gzip: {@link java.util.zip.GZIPInputStream} ignores bytes after the last member that do not
 *       start another one. Here each member's header, deflate data and trailer (CRC-32 and size)
 *       are checked, and whatever follows the last member must be another member.
 *   <li>snappy: snappy-java's {@code SnappyInputStream} ignores one to three trailing bytes, throws
 *       {@code SnappyError} (a {@link java.lang.Error}) on four or more, and allocates whatever
 *       length a chunk declares (up to 512 MiB compressed, 2 GiB uncompressed) before checking it.
 *       Here the framing of snappy-java's stream format (an 8-byte magic, two version ints, then
 *       chunks of {@code int32 length + raw snappy}; a concatenated stream repeats the header) is
 *       parsed directly, and a chunk's declared uncompressed length is checked against what its
 *       compressed length can possibly expand to (snappy expands at most {@value
 *       #SNAPPY_MAX_EXPANSION} times) and against the caller's budget before anything is
 *       allocated. A section without the magic is one raw snappy block (what librdkafka writes).
 *   <li>lz4 (frame format) and zstd go through their libraries, which refuse truncated and
 *       trailing data; bytes left unread at the end are refused here as well. A zstd frame may
 *       not ask for a window above 2^{@value #ZSTD_MAX_WINDOW_LOG} bytes.
 * </ul>
 *
 * <p>Failures are {@link IOException}s or whatever the codec library throws, of any type (callers
 * translate every one into a {@link CorruptRecordException}; see {@link RecordsReader}). The
 * caller bounds the total output; this class bounds what one step may allocate.
 *
 * <p>Not thread-safe. Close it to free the native state of the zstd and gzip decoders.
 */
abstract class DecompressingInput extends InputStream {
  /**
   * The largest zstd window a frame may ask for, as a power of two (16 MiB). The decoder allocates
   * the window a frame declares, natively, before reading any data: zstd's own default limit (2^27,
   * 128 MiB) would let a 20-byte batch take 128 MiB of memory per request. Encoders stay within it at
   * every level below 20 (level 3, Kafka's and Brook's default, uses 2^21); the "ultra" levels 20-22
   * can exceed it and are refused.
   */
  static final int ZSTD_MAX_WINDOW_LOG = 24;

  /** A raw snappy block never expands more than this many times (a 3-byte copy yields 64 bytes). */
  static final int SNAPPY_MAX_EXPANSION = 32;

  /**
   * The decompressing stream for {@code compressed} (position to limit), which must hold a
   * complete stream of {@code codec} (not {@link CompressionType#NONE}). At most {@code
   * maxOutputBytes} are ever allocated for one snappy block.
   */
  static DecompressingInput open(CompressionType codec, ByteBuffer compressed, long maxOutputBytes) throws IOException {
    ByteBuffer in = compressed.slice();
    return switch (codec) {
      case GZIP -> new Gzip(in);
      case SNAPPY -> new SnappyFrames(in, maxOutputBytes);
      case LZ4 -> new Library(in, codec, LZ4FrameInputStream::new);
      case ZSTD -> new Library(in, codec,
          s -> new ZstdInputStreamNoFinalizer(s, RecyclingBufferPool.INSTANCE).setLongMax(ZSTD_MAX_WINDOW_LOG));
      case NONE -> throw new IllegalArgumentException("records without a codec need no decompression");
    };
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    int n;
    do {
      n = read(one, 0, 1);
    } while (n == 0);
    return n < 0 ? -1 : one[0] & 0xFF;
  }

  /** Reads from a ByteBuffer; the library decoders pull from it. */
  private static final class BufferSource extends InputStream {
    private final ByteBuffer in;

    BufferSource(ByteBuffer in) {
      this.in = in;
    }

    @Override
    public int read() {
      return in.hasRemaining() ? in.get() & 0xFF : -1;
    }

    @Override
    public int read(byte[] b, int off, int len) {
      if (len == 0) {
        return 0;
      }
      if (!in.hasRemaining()) {
        return -1;
      }
      int n = Math.min(len, in.remaining());
      in.get(b, off, n);
      return n;
    }

    @Override
    public int available() {
      return in.remaining();
    }
  }

  private interface StreamFactory {
    InputStream wrap(InputStream in) throws IOException;
  }

  /** lz4 and zstd: the library decodes; leftover bytes at its end of stream are refused. */
  private static final class Library extends DecompressingInput {
    private final ByteBuffer source;
    private final InputStream decoder;
    private final CompressionType codec;

    Library(ByteBuffer source, CompressionType codec, StreamFactory factory) throws IOException {
      this.source = source;
      this.codec = codec;
      this.decoder = factory.wrap(new BufferSource(source));
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = decoder.read(b, off, len);
      if (n < 0 && source.hasRemaining()) {
        throw new IOException(source.remaining() + " bytes follow the end of the " + codec.configName + " stream");
      }
      return n;
    }

    @Override
    public void close() throws IOException {
      decoder.close();
    }
  }

  /** RFC 1952, one or more members, checked to the last byte. */
  private static final class Gzip extends DecompressingInput {
    private static final int FHCRC = 0x02;
    private static final int FEXTRA = 0x04;
    private static final int FNAME = 0x08;
    private static final int FCOMMENT = 0x10;
    private static final int RESERVED = 0xE0;

    private final ByteBuffer in;
    private final Inflater inflater = new Inflater(true);
    private final CRC32 crc = new CRC32();
    private boolean inMember;
    private boolean sawMember;
    private long memberBytes;

    Gzip(ByteBuffer in) {
      this.in = in.order(ByteOrder.LITTLE_ENDIAN);
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (len == 0) {
        return 0;
      }
      while (true) {
        if (!inMember) {
          if (!in.hasRemaining()) {
            if (!sawMember) {
              throw new IOException("empty gzip stream");
            }
            return -1;
          }
          readHeader();
          inflater.reset();
          inflater.setInput(in.slice());
          crc.reset();
          memberBytes = 0;
          inMember = true;
          sawMember = true;
        }
        int n;
        try {
          n = inflater.inflate(b, off, len);
        } catch (DataFormatException e) {
          throw new IOException("gzip deflate data is invalid: " + e.getMessage());
        }
        if (n > 0) {
          crc.update(b, off, n);
          memberBytes += n;
          return n;
        }
        if (inflater.finished()) {
          in.position(in.position() + (int) inflater.getBytesRead());
          readTrailer();
          inMember = false;
        } else if (inflater.needsDictionary()) {
          throw new IOException("gzip deflate data asks for a preset dictionary");
        } else if (inflater.needsInput()) {
          throw new IOException("gzip stream ends inside its deflate data");
        }
      }
    }

    private void readHeader() throws IOException {
      int start = in.position();
      if (in.remaining() < 10) {
        throw new IOException(sawMember ? in.remaining() + " bytes after the last gzip member are not a gzip member"
            : "gzip stream of " + in.remaining() + " bytes is shorter than a gzip header");
      }
      if ((in.get() & 0xFF) != 0x1F || (in.get() & 0xFF) != 0x8B) {
        throw new IOException(
            sawMember ? (in.remaining() + 2) + " bytes after the last gzip member are not a gzip member"
                : "not a gzip stream (bad magic)");
      }
      if (in.get() != 8) {
        throw new IOException("gzip compression method is not deflate");
      }
      int flags = in.get() & 0xFF;
      if ((flags & RESERVED) != 0) {
        throw new IOException("gzip header sets reserved flags 0x" + Integer.toHexString(flags & RESERVED));
      }
      in.position(in.position() + 6); // mtime, xfl, os
      if ((flags & FEXTRA) != 0) {
        need(2, "extra field length");
        int xlen = in.getShort() & 0xFFFF;
        need(xlen, "extra field");
        in.position(in.position() + xlen);
      }
      if ((flags & FNAME) != 0) {
        skipZeroTerminated("file name");
      }
      if ((flags & FCOMMENT) != 0) {
        skipZeroTerminated("comment");
      }
      if ((flags & FHCRC) != 0) {
        CRC32 headerCrc = new CRC32();
        headerCrc.update(in.duplicate().position(start).limit(in.position()));
        need(2, "header CRC");
        if ((in.getShort() & 0xFFFF) != (int) (headerCrc.getValue() & 0xFFFF)) {
          throw new IOException("gzip header CRC does not match");
        }
      }
    }

    private void readTrailer() throws IOException {
      if (in.remaining() < 8) {
        throw new IOException("gzip stream ends inside a member trailer");
      }
      long storedCrc = in.getInt() & 0xFFFFFFFFL;
      long storedSize = in.getInt() & 0xFFFFFFFFL;
      if (storedCrc != crc.getValue()) {
        throw new IOException("gzip member CRC does not match its data");
      }
      if (storedSize != (memberBytes & 0xFFFFFFFFL)) {
        throw new IOException("gzip member size " + storedSize + " does not match its " + memberBytes + " bytes of data");
      }
    }

    private void need(int n, String what) throws IOException {
      if (in.remaining() < n) {
        throw new IOException("gzip header ends inside its " + what);
      }
    }

    private void skipZeroTerminated(String what) throws IOException {
      while (true) {
        need(1, what);
        if (in.get() == 0) {
          return;
        }
      }
    }

    @Override
    public void close() {
      inflater.end();
    }
  }

  /** snappy-java's stream format, or one raw snappy block; see the class comment. */
  private static final class SnappyFrames extends DecompressingInput {
    private static final byte[] MAGIC = {(byte) 0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0};
    private static final int HEADER_SIZE = MAGIC.length + 8;

    private final byte[] src;
    private final int end;
    private final long maxOutputBytes;
    private final boolean framed;
    private boolean rawDone;
    private int pos;
    private long produced;
    private byte[] block = new byte[0];
    private int blockPos;
    private int blockLen;

    SnappyFrames(ByteBuffer in, long maxOutputBytes) {
      if (in.hasArray()) {
        src = in.array();
        pos = in.arrayOffset() + in.position();
        end = in.arrayOffset() + in.limit();
      } else {
        src = new byte[in.remaining()];
        in.duplicate().get(src);
        pos = 0;
        end = src.length;
      }
      this.maxOutputBytes = maxOutputBytes;
      this.framed = startsWithMagic(pos);
    }

    private boolean startsWithMagic(int at) {
      if (end - at < HEADER_SIZE) {
        return false;
      }
      for (int i = 0; i < MAGIC.length; i++) {
        if (src[at + i] != MAGIC[i]) {
          return false;
        }
      }
      return true;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (len == 0) {
        return 0;
      }
      while (blockPos == blockLen) {
        if (!nextBlock()) {
          return -1;
        }
      }
      int n = Math.min(len, blockLen - blockPos);
      System.arraycopy(block, blockPos, b, off, n);
      blockPos += n;
      return n;
    }

    /** Decodes the next block into {@link #block}; false at the end of the stream. */
    private boolean nextBlock() throws IOException {
      if (!framed) {
        if (rawDone) {
          return false;
        }
        rawDone = true;
        if (pos == end) {
          throw new IOException("empty snappy stream");
        }
        uncompress(pos, end - pos);
        pos = end;
        return true;
      }
      while (startsWithMagic(pos)) {
        int version = readInt(pos + MAGIC.length);
        int compatible = readInt(pos + MAGIC.length + 4);
        if (version < 1 || compatible != 1) {
          throw new IOException("snappy stream header has unsupported versions " + version + "/" + compatible);
        }
        pos += HEADER_SIZE;
      }
      if (pos == end) {
        return false;
      }
      if (end - pos < 4) {
        throw new IOException((end - pos) + " bytes after the last snappy chunk are not a chunk");
      }
      int chunk = readInt(pos);
      pos += 4;
      if (chunk <= 0 || chunk > end - pos) {
        throw new IOException("snappy chunk claims " + chunk + " bytes but " + (end - pos) + " are left");
      }
      uncompress(pos, chunk);
      pos += chunk;
      return true;
    }

    private void uncompress(int at, int length) throws IOException {
      int declared;
      try {
        declared = Snappy.uncompressedLength(src, at, length);
      } catch (IOException e) {
        throw new IOException("snappy block of " + length + " bytes has no valid length prefix: " + e.getMessage());
      }
      if (declared < 0 || (long) declared > (long) length * SNAPPY_MAX_EXPANSION + 16) {
        throw new IOException("snappy block of " + length + " bytes claims an impossible " + declared + " bytes uncompressed");
      }
      if (produced + declared > maxOutputBytes) {
        throw new IOException("snappy data inflates beyond " + maxOutputBytes + " bytes");
      }
      if (block.length < declared) {
        block = new byte[declared];
      }
      int n;
      try {
        n = Snappy.uncompress(src, at, length, block, 0);
      } catch (IOException e) {
        throw new IOException("snappy block of " + length + " bytes is invalid: " + e.getMessage());
      }
      if (n != declared) {
        throw new IOException("snappy block yields " + n + " bytes, not the " + declared + " it declares");
      }
      produced += n;
      blockPos = 0;
      blockLen = n;
    }

    private int readInt(int at) {
      return ((src[at] & 0xFF) << 24) | ((src[at + 1] & 0xFF) << 16) | ((src[at + 2] & 0xFF) << 8) | (src[at + 3] & 0xFF);
    }
  }
}
