package io.brook.clients.consumer;

import io.brook.storage.TopicPartition;
import java.util.Collection;

/**
 * Told when the group coordinator moves partitions to or from this consumer (Kafka's interface of
 * the same name). Called only from inside {@link Consumer#poll} (and {@link Consumer#close},
 * {@link Consumer#unsubscribe}), on the polling thread, so a callback may use the consumer, e.g.
 * commit or seek.
 *
 * <p>In Brook's KIP-848 protocol a partition is first revoked from its old owner and only given to
 * the new owner once the old one acknowledged, so {@link #onPartitionsRevoked} runs before any other
 * member reads the partition: it is the place to commit or flush work of those partitions.
 */
public interface ConsumerRebalanceListener {
  /**
   * The partitions were taken away in an orderly way: this consumer still owned them, auto-commit
   * (if on) has just committed their positions, and fetching them stops after this returns.
   */
  void onPartitionsRevoked(Collection<TopicPartition> partitions);

  /**
   * The partitions were given to this consumer; their positions are the committed offsets (or
   * {@code auto.offset.reset} where there are none). Fetching starts after this returns; a seek here
   * overrides the committed offset.
   */
  void onPartitionsAssigned(Collection<TopicPartition> partitions);

  /**
   * The partitions were lost: the coordinator removed this member or fenced its epoch
   * (UNKNOWN_MEMBER_ID, FENCED_MEMBER_EPOCH), so another member may already own them and committing
   * is no longer possible. Defaults to {@link #onPartitionsRevoked}, as in Kafka.
   */
  default void onPartitionsLost(Collection<TopicPartition> partitions) {
    onPartitionsRevoked(partitions);
  }
}
