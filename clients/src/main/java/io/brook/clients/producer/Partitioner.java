package io.brook.clients.producer;

import io.brook.storage.record.KeyPartitioning;

/**
 * Chooses partitions the way Kafka's default partitioner does for keyed records, so the same key
 * lands on the same partition in Brook and in Kafka: {@code (murmur2(key) & 0x7fffffff) %
 * partitions}. Keyless records are spread by the producer (sticky per batch). The broker uses the
 * same code ({@link KeyPartitioning}) for plain-record produce requests that name no partition.
 */
public final class Partitioner {
  private Partitioner() {}

  /** The partition of {@code key} among {@code partitions} (positive). */
  public static int partitionForKey(byte[] key, int partitions) {
    return KeyPartitioning.partitionForKey(key, partitions);
  }

  /** MurmurHash2, 32-bit, seed 0x9747b28c (Kafka's choice). */
  public static int murmur2(byte[] data) {
    return KeyPartitioning.murmur2(data);
  }
}
