package io.brook.broker.api;

import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;

/**
 * A per-thread buffer that a produce request's record batches are copied into, so the leader can
 * stamp offsets and epochs in place without a new array per request ({@code
 * ByteString.toByteArray()} cost 490 ns and 8 KiB per 8 KiB batch, a copy into a reused buffer 93
 * ns and nothing: {@code bench/jmh} {@code ProduceFramingBenchmark}).
 *
 * <p>Safe because the log keeps no reference to the bytes it is given once {@code
 * Log.appendAsLeader} returns (it writes them to the segment and keeps only offsets and counts),
 * and a request thread appends one request at a time. Requests above {@value #MAX_REUSED_BYTES}
 * bytes get their own array, so an outsized request does not pin memory on every request thread.
 */
final class ProduceScratch {
  /** Largest request copied into the reused buffer (bytes). */
  static final int MAX_REUSED_BYTES = 1 << 20;
  private static final int MIN_CAPACITY = 64 * 1024;
  private static final ThreadLocal<ByteBuffer[]> BUFFER = ThreadLocal.withInitial(() -> new ByteBuffer[1]);

  private ProduceScratch() {}

  /**
   * A writable heap buffer (position 0, limit = size) holding {@code bytes}, valid on this thread
   * until the next call.
   */
  static ByteBuffer copyOf(ByteString bytes) {
    int n = bytes.size();
    if (n > MAX_REUSED_BYTES) {
      return ByteBuffer.wrap(bytes.toByteArray());
    }
    ByteBuffer[] holder = BUFFER.get();
    ByteBuffer b = holder[0];
    if (b == null || b.capacity() < n) {
      b = ByteBuffer.allocate(Math.max(MIN_CAPACITY, Integer.highestOneBit(Math.max(n, 1) - 1) << 1));
      holder[0] = b;
    }
    b.clear();
    bytes.copyTo(b);
    return b.flip();
  }
}
