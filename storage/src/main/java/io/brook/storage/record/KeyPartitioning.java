package io.brook.storage.record;

/**
 * Kafka's default mapping of a record key to a partition, {@code (murmur2(key) & 0x7fffffff) %
 * partitions}, shared by the Java producer and the broker (which partitions plain-record produce
 * requests that name no partition), so that a key lands on the same partition from every client,
 * in Brook and in Kafka.
 */
public final class KeyPartitioning {
  private KeyPartitioning() {}

  /**
   * The partition of {@code key} among {@code partitions}.
   *
   * @throws IllegalArgumentException if {@code partitions} is not positive
   */
  public static int partitionForKey(byte[] key, int partitions) {
    if (partitions <= 0) {
      throw new IllegalArgumentException("partitions must be positive, got " + partitions);
    }
    return (murmur2(key) & 0x7fffffff) % partitions;
  }

  /** MurmurHash2, 32-bit, seed 0x9747b28c (Kafka's {@code Utils.murmur2}). */
  public static int murmur2(byte[] data) {
    final int m = 0x5bd1e995;
    final int r = 24;
    int length = data.length;
    int h = 0x9747b28c ^ length;
    int blocks = length / 4;
    for (int i = 0; i < blocks; i++) {
      int j = i * 4;
      int k = (data[j] & 0xff) | (data[j + 1] & 0xff) << 8 | (data[j + 2] & 0xff) << 16 | (data[j + 3] & 0xff) << 24;
      k *= m;
      k ^= k >>> r;
      k *= m;
      h *= m;
      h ^= k;
    }
    int tail = length & ~3;
    switch (length % 4) {
      case 3:
        h ^= (data[tail + 2] & 0xff) << 16;
        // fall through
      case 2:
        h ^= (data[tail + 1] & 0xff) << 8;
        // fall through
      case 1:
        h ^= data[tail] & 0xff;
        h *= m;
        break;
      default:
        break;
    }
    h ^= h >>> 13;
    h *= m;
    h ^= h >>> 15;
    return h;
  }
}
