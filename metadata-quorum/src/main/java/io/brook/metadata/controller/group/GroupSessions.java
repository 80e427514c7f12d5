package io.brook.metadata.controller.group;

import io.brook.metadata.image.GroupImage;
import io.brook.metadata.image.GroupMember;
import io.brook.metadata.image.MetadataImage;
import io.brook.proto.metadata.v1.MemberState;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Soft state of the active controller for consumer-group members (never written to the log):
 * when each member was last heard from, and by when a member asked to revoke partitions must have
 * done so (its rebalance timeout). A member never seen by this controller counts as heard "now"
 * (a fresh session, as after a failover). Not thread-safe: owned by the controller thread.
 */
public final class GroupSessions {
    /** A member of a group. */
    public record Key(String groupId, String memberId) {
    }

    private final Map<Key, Long> lastHeardMs = new HashMap<>();
    private final Map<Key, Long> revokeByMs = new HashMap<>();

    /** The member was heard from at {@code nowMs} (monotonic). */
    public void heard(String groupId, String memberId, long nowMs) {
        lastHeardMs.put(new Key(groupId, memberId), nowMs);
    }

    /** When the member was last heard from; a member not known here counts from {@code nowMs}. */
    public long lastHeard(String groupId, String memberId, long nowMs) {
        return lastHeardMs.computeIfAbsent(new Key(groupId, memberId), k -> nowMs);
    }

    /** Starts the member's revocation clock unless it runs already. */
    public void revocationStarted(String groupId, String memberId, long deadlineMs) {
        revokeByMs.putIfAbsent(new Key(groupId, memberId), deadlineMs);
    }

    public void revocationDone(String groupId, String memberId) {
        revokeByMs.remove(new Key(groupId, memberId));
    }

    public void remove(String groupId, String memberId) {
        Key k = new Key(groupId, memberId);
        lastHeardMs.remove(k);
        revokeByMs.remove(k);
    }

    /** Every member of the image gets a fresh session and revocation clock (on becoming active). */
    public void reset(MetadataImage image, long nowMs) {
        lastHeardMs.clear();
        revokeByMs.clear();
        for (GroupImage g : image.groups().values()) {
            for (GroupMember m : g.members().values()) {
                lastHeardMs.put(new Key(g.groupId(), m.memberId()), nowMs);
                if (m.state() == MemberState.MEMBER_STATE_UNREVOKED_PARTITIONS) {
                    revokeByMs.put(new Key(g.groupId(), m.memberId()), nowMs + m.rebalanceTimeoutMs());
                }
            }
        }
    }

    public void clear() {
        lastHeardMs.clear();
        revokeByMs.clear();
    }

    /**
     * Members of the image whose session timed out, or who did not revoke within their rebalance
     * timeout; forgets entries of members no longer in the image.
     */
    public List<Key> expired(MetadataImage image, long nowMs, long sessionTimeoutMs) {
        lastHeardMs.keySet().removeIf(k -> member(image, k) == null);
        revokeByMs.keySet().removeIf(k -> member(image, k) == null);
        List<Key> out = new ArrayList<>();
        for (GroupImage g : image.groups().values()) {
            for (GroupMember m : g.members().values()) {
                Key k = new Key(g.groupId(), m.memberId());
                long last = lastHeardMs.computeIfAbsent(k, x -> nowMs);
                Long revokeBy = revokeByMs.get(k);
                boolean late = revokeBy != null && nowMs >= revokeBy
                        && m.state() == MemberState.MEMBER_STATE_UNREVOKED_PARTITIONS;
                if (nowMs - last >= sessionTimeoutMs || late) {
                    out.add(k);
                }
            }
        }
        return out;
    }

    private static GroupMember member(MetadataImage image, Key k) {
        GroupImage g = image.groups().get(k.groupId());
        return g == null ? null : g.members().get(k.memberId());
    }
}
