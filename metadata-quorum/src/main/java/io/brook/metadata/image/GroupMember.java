package io.brook.metadata.image;

import java.util.List;

/** A consumer-group member and what it subscribes to. Immutable. */
public record GroupMember(String memberId, int memberEpoch, String clientId, String instanceId,
                          List<String> subscribedTopics) {
    public GroupMember {
        subscribedTopics = List.copyOf(subscribedTopics);
    }
}
