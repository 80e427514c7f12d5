package io.brook.broker.api;

import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;

/**
 * A per-thread heap buffer reused by one step of a request, instead of a new array per request.
 * Requests above {@code maxReusedBytes} get their own array, so an outsized request does not pin
 * memory on every request thread.
 *
 * <p>Two uses, each with its own instance (a thread may hold one of each at a time):
 *
 * <ul>
 *   <li>{@link #PRODUCE}: a produce request's record batches are copied here, so the leader can
 *       stamp offsets and epochs in place ({@code ByteString.toByteArray()} cost 490 ns and 8 KiB
 *       per 8 KiB batch, a copy into a reused buffer 93 ns and nothing: {@code bench/jmh} {@code
 *       ProduceFramingBenchmark}). Safe because the log keeps no reference to the bytes once
 *       {@code Log.appendAsLeader} returns, and a request thread appends one request at a time.
 *   <li>{@link #FETCH}: a fetch reads the log into it and the response wraps it without a copy.
 *       Safe because grpc-java serialises a message inside {@code StreamObserver.onNext} (the
 *       framer copies it into the transport's buffers before returning), and every fetch path
 *       reads and sends on the same thread, one response at a time. A response must not be kept
 *       after its {@code onNext}.
 * </ul>
 */
final class ScratchBuffer {
  /** The produce request copy. */
  static final ScratchBuffer PRODUCE = new ScratchBuffer(1 << 20);
  /** The fetch read; as large as the default fetch ({@code max_bytes} 1 MiB). */
  static final ScratchBuffer FETCH = new ScratchBuffer(1 << 20);

  private static final int MIN_CAPACITY = 64 * 1024;

  private final int maxReusedBytes;
  private final ThreadLocal<ByteBuffer[]> buffer = ThreadLocal.withInitial(() -> new ByteBuffer[1]);

  /** @param maxReusedBytes largest size served from the reused buffer (bytes) */
  ScratchBuffer(int maxReusedBytes) {
    this.maxReusedBytes = maxReusedBytes;
  }

  /** Largest size served from the reused buffer, in bytes. */
  int maxReusedBytes() {
    return maxReusedBytes;
  }

  /**
   * A heap buffer with capacity of at least {@code n} bytes, cleared (position 0, limit = capacity):
   * this thread's reused buffer, valid until the next call on this thread, or a new one when
   * {@code n} is above {@link #maxReusedBytes()}.
   */
  ByteBuffer take(int n) {
    if (n > maxReusedBytes) {
      return ByteBuffer.allocate(n);
    }
    ByteBuffer[] holder = buffer.get();
    ByteBuffer b = holder[0];
    if (b == null || b.capacity() < n) {
      b = ByteBuffer.allocate(Math.max(MIN_CAPACITY, Integer.highestOneBit(Math.max(n, 1) - 1) << 1));
      holder[0] = b;
    }
    return b.clear();
  }

  /**
   * A writable heap buffer (position 0, limit = size) holding {@code bytes}, valid on this thread
   * until the next call.
   */
  ByteBuffer copyOf(ByteString bytes) {
    ByteBuffer b = take(bytes.size());
    bytes.copyTo(b);
    return b.flip();
  }
}
