package io.brook.broker.api;

import io.brook.metadata.client.MetadataClient;
import io.brook.proto.metadata.v1.AllocateProducerIdsResponse;

/**
 * Hands out producer ids from blocks the controller allocates to this broker (one Raft entry per
 * block, not per producer). Thread-safe.
 */
final class ProducerIdAllocator {
  private final MetadataClient metadata;
  private long next;
  private long end;

  ProducerIdAllocator(MetadataClient metadata) {
    this.metadata = metadata;
  }

  synchronized long nextProducerId() {
    if (next >= end) {
      AllocateProducerIdsResponse block = metadata.allocateProducerIds();
      next = block.getFirstProducerId();
      end = next + block.getCount();
    }
    return next++;
  }
}
