package io.brook.broker.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ScratchBufferTest {
  private static byte[] bytes(Random r, int n) {
    byte[] b = new byte[n];
    r.nextBytes(b);
    return b;
  }

  private static byte[] contents(ByteBuffer b) {
    byte[] out = new byte[b.remaining()];
    b.duplicate().get(out);
    return out;
  }

  @Test
  void copiesExactlyTheBytesIntoAWritableBufferReusedOnThisThread() {
    Random r = new Random(3);
    ByteBuffer previous = null;
    for (int n : new int[] {0, 1, 100, 8_797, 65_536, 65_537, 300_000, 12}) {
      byte[] data = bytes(r, n);
      ByteBuffer b = ScratchBuffer.PRODUCE.copyOf(ByteString.copyFrom(data));
      assertThat(b.isReadOnly()).isFalse();
      assertThat(b.position()).isZero();
      assertThat(contents(b)).isEqualTo(data);
      if (previous != null && previous.capacity() >= n) {
        assertThat(b.array()).as("reused when it fits").isSameAs(previous.array());
      }
      previous = b;
    }
  }

  @Test
  void anOutsizedRequestGetsItsOwnArray() {
    byte[] data = bytes(new Random(4), ScratchBuffer.PRODUCE.maxReusedBytes() + 1);
    ByteBuffer small = ScratchBuffer.PRODUCE.copyOf(ByteString.copyFrom(new byte[10]));
    ByteBuffer big = ScratchBuffer.PRODUCE.copyOf(ByteString.copyFrom(data));
    assertThat(contents(big)).isEqualTo(data);
    assertThat(big.array()).isNotSameAs(small.array());
    assertThat(ScratchBuffer.PRODUCE.copyOf(ByteString.copyFrom(new byte[10])).array())
        .as("the reused buffer did not grow to the outsized request").isSameAs(small.array());
  }

  @Test
  void takeGivesAClearedBufferOfAtLeastTheSizeAndInstancesDoNotShare() {
    ScratchBuffer a = new ScratchBuffer(1 << 16);
    ScratchBuffer b = new ScratchBuffer(1 << 16);
    ByteBuffer first = a.take(1000).position(7).limit(9);
    ByteBuffer again = a.take(5000);
    assertThat(again).isSameAs(first);
    assertThat(again.position()).isZero();
    assertThat(again.limit()).isEqualTo(again.capacity()).isGreaterThanOrEqualTo(5000);
    assertThat(b.take(1000)).as("another instance has its own buffer").isNotSameAs(first);
    assertThat(a.take((1 << 16) + 1).capacity()).isEqualTo((1 << 16) + 1);
    assertThat(a.take(10)).as("an outsized take leaves the reused buffer alone").isSameAs(first);
  }
}
