package io.brook.clients.consumer;

import io.brook.proto.common.v1.ErrorCode;
import io.brook.proto.errors.BrookException;
import io.brook.storage.TopicPartition;
import java.util.Set;

/**
 * A partition has no position to start from: no committed offset (or it fell out of the log) and
 * {@code auto.offset.reset=none}. Kafka's exception of the same name; a {@link BrookException}
 * with code OFFSET_OUT_OF_RANGE so that callers that catch Brook errors see it too.
 */
public class NoOffsetForPartitionException extends BrookException {
  private static final long serialVersionUID = 1L;

  private final Set<TopicPartition> partitions;

  public NoOffsetForPartitionException(Set<TopicPartition> partitions) {
    super(ErrorCode.OFFSET_OUT_OF_RANGE, "no committed offset or position for " + partitions + " and auto.offset.reset is none");
    this.partitions = Set.copyOf(partitions);
  }

  /** The partitions without a position. */
  public Set<TopicPartition> partitions() {
    return partitions;
  }
}
