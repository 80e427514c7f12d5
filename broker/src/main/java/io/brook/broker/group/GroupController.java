package io.brook.broker.group;

import io.brook.metadata.client.MetadataClient;
import io.brook.proto.metadata.v1.CreateTopicsRequest;
import io.brook.proto.metadata.v1.DeleteGroupsRequest;
import io.brook.proto.metadata.v1.DeleteGroupsResponse;
import io.brook.proto.metadata.v1.GroupHeartbeatRequest;
import io.brook.proto.v1.ConsumerGroupHeartbeatResponse;

/**
 * What the group services need from the active controller: the group coordinator's heartbeat and
 * group deletion, and creation of {@code __consumer_offsets}. In production a {@link
 * MetadataClient}; tests play the controller. Every method throws {@link
 * io.brook.proto.errors.BrookException} with the controller's error code.
 */
public interface GroupController {
  /** Forwards a member's heartbeat; waits at most {@code timeoutMs} ms across retries. */
  ConsumerGroupHeartbeatResponse heartbeat(GroupHeartbeatRequest request, long timeoutMs);

  /** Removes groups without members (GROUP_NOT_EMPTY / GROUP_ID_NOT_FOUND otherwise). */
  DeleteGroupsResponse deleteGroups(DeleteGroupsRequest request);

  /** Creates topics (TOPIC_ALREADY_EXISTS when one exists). */
  void createTopics(CreateTopicsRequest request);

  /** The controller as a broker's metadata client reaches it. */
  static GroupController of(MetadataClient client) {
    return new GroupController() {
      @Override
      public ConsumerGroupHeartbeatResponse heartbeat(GroupHeartbeatRequest request, long timeoutMs) {
        return client.consumerGroupHeartbeat(request, timeoutMs);
      }

      @Override
      public DeleteGroupsResponse deleteGroups(DeleteGroupsRequest request) {
        return client.deleteGroups(request);
      }

      @Override
      public void createTopics(CreateTopicsRequest request) {
        client.createTopics(request);
      }
    };
  }
}
