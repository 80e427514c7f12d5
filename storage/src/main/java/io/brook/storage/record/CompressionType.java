package io.brook.storage.record;

import com.github.luben.zstd.ZstdInputStreamNoFinalizer;
import com.github.luben.zstd.ZstdOutputStreamNoFinalizer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Locale;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import net.jpountz.lz4.LZ4FrameInputStream;
import net.jpountz.lz4.LZ4FrameOutputStream;
import org.xerial.snappy.SnappyInputStream;
import org.xerial.snappy.SnappyOutputStream;

/**
 * The codec of a batch's records section (attribute bits 0-2), with the ids of Kafka's v2 format.
 * The whole records section is compressed as one stream; the 61-byte batch header never is.
 */
public enum CompressionType {
  NONE(0, "none") {
    @Override
    public OutputStream wrapOutput(OutputStream out) {
      return out;
    }

    @Override
    public InputStream wrapInput(InputStream in) {
      return in;
    }
  },
  GZIP(1, "gzip") {
    @Override
    public OutputStream wrapOutput(OutputStream out) throws IOException {
      return new GZIPOutputStream(out, 8 * 1024);
    }

    @Override
    public InputStream wrapInput(InputStream in) throws IOException {
      return new GZIPInputStream(in, 8 * 1024);
    }
  },
  SNAPPY(2, "snappy") {
    @Override
    public OutputStream wrapOutput(OutputStream out) {
      return new SnappyOutputStream(out);
    }

    @Override
    public InputStream wrapInput(InputStream in) throws IOException {
      return new SnappyInputStream(in);
    }
  },
  LZ4(3, "lz4") {
    @Override
    public OutputStream wrapOutput(OutputStream out) throws IOException {
      return new LZ4FrameOutputStream(out, LZ4FrameOutputStream.BLOCKSIZE.SIZE_64KB);
    }

    @Override
    public InputStream wrapInput(InputStream in) throws IOException {
      return new LZ4FrameInputStream(in);
    }
  },
  ZSTD(4, "zstd") {
    @Override
    public OutputStream wrapOutput(OutputStream out) throws IOException {
      return new ZstdOutputStreamNoFinalizer(out, 3);
    }

    @Override
    public InputStream wrapInput(InputStream in) throws IOException {
      return new ZstdInputStreamNoFinalizer(in);
    }
  };

  private static final CompressionType[] BY_ID = {NONE, GZIP, SNAPPY, LZ4, ZSTD};

  public final int id;
  public final String configName;

  CompressionType(int id, String configName) {
    this.id = id;
    this.configName = configName;
  }

  /** A stream that compresses into {@code out}; closing it finishes the compressed frame. */
  public abstract OutputStream wrapOutput(OutputStream out) throws IOException;

  /** A stream that decompresses what {@code in} yields. */
  public abstract InputStream wrapInput(InputStream in) throws IOException;

  /** The codec with this attribute id, or null if the id is not one of ours. */
  public static CompressionType forId(int id) {
    return id >= 0 && id < BY_ID.length ? BY_ID[id] : null;
  }

  /** The codec with this config name ({@code none, gzip, snappy, lz4, zstd}), case-insensitive. */
  public static CompressionType forName(String name) {
    String n = name.trim().toLowerCase(Locale.ROOT);
    for (CompressionType t : values()) {
      if (t.configName.equals(n)) {
        return t;
      }
    }
    throw new IllegalArgumentException(
        "unknown compression codec '" + name + "'; expected one of none, gzip, snappy, lz4, zstd");
  }
}
