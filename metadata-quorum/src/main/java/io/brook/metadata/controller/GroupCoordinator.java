package io.brook.metadata.controller;

import io.brook.metadata.image.MetadataImage;
import io.brook.proto.metadata.v1.DeleteGroupsRequest;
import io.brook.proto.metadata.v1.DeleteGroupsResponse;
import io.brook.proto.metadata.v1.GroupHeartbeatRequest;
import io.brook.proto.v1.ConsumerGroupHeartbeatResponse;

/**
 * The consumer-group coordinator (KIP-848 model), run by the active controller on its thread.
 * PLACEHOLDER: the group-protocol work replaces this body.
 */
public final class GroupCoordinator {
    public ControllerResult<ConsumerGroupHeartbeatResponse> heartbeat(MetadataImage image, GroupHeartbeatRequest req,
                                                                      long nowMs, long wallClockMs) {
        throw new UnsupportedOperationException("consumer groups are not implemented yet");
    }

    public ControllerResult<DeleteGroupsResponse> deleteGroups(MetadataImage image, DeleteGroupsRequest req) {
        throw new UnsupportedOperationException("consumer groups are not implemented yet");
    }
}
