package io.brook.broker.partition;

import java.util.concurrent.atomic.LongAdder;

/**
 * Client traffic of one topic on this broker: bytes and records produced to it (leader appends)
 * and read from it by consumers (fetch and consume answers; replication is not counted). One
 * object per topic, reached from each of its {@link Partition}s, so the hot paths add to a
 * {@link LongAdder} without looking anything up; the metrics read the sums.
 */
public final class TopicTraffic {
  /** Bytes of record batches appended by producers. */
  public final LongAdder bytesIn = new LongAdder();
  /** Records appended by producers. */
  public final LongAdder recordsIn = new LongAdder();
  /** Bytes of record batches sent to consumers. */
  public final LongAdder bytesOut = new LongAdder();
  /** Records sent to consumers. */
  public final LongAdder recordsOut = new LongAdder();
}
