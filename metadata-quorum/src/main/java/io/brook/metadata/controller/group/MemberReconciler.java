package io.brook.metadata.controller.group;

import io.brook.metadata.image.GroupMember;
import io.brook.proto.metadata.v1.MemberState;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;

/**
 * Moves one member towards its target assignment (KIP-848, Kafka's {@code CurrentAssignmentBuilder}).
 * Partitions move in two steps so no partition is ever owned twice:
 * <ul>
 *   <li>Partitions pending revocation must first disappear from the member's owned partitions (its
 *       acknowledgment); until then nothing else changes (UNREVOKED_PARTITIONS).</li>
 *   <li>Then keep = assigned ∩ target and revoke = assigned − target. A non-empty revoke the member
 *       still owns becomes pending (the member keeps {@code keep}, epoch unchanged).</li>
 *   <li>Otherwise the member moves to the assignment epoch and receives the target partitions no
 *       other member holds (assigned or pending): STABLE if that is its whole target, else
 *       UNRELEASED_PARTITIONS (the rest comes on a later heartbeat, once released).</li>
 * </ul>
 * Partitions of topics that no longer exist are dropped everywhere.
 */
public final class MemberReconciler {
    private MemberReconciler() {
    }

    /**
     * @param member          the member as it stands
     * @param target          its target, topic id -> partitions
     * @param assignmentEpoch the epoch the target was computed for
     * @param owned           the partitions the member reports it owns now
     * @param heldByOthers    partitions other members have assigned or pending revocation
     * @param exists          whether a partition still exists
     * @return the member after this step (equal to {@code member} when nothing changes)
     */
    public static GroupMember reconcile(GroupMember member, Map<String, java.util.List<Integer>> target,
                                        int assignmentEpoch, Set<TopicPartition> owned,
                                        Set<TopicPartition> heldByOthers, Predicate<TopicPartition> exists) {
        TreeSet<TopicPartition> assigned = filter(TopicPartition.setOf(member.assigned()), exists);
        TreeSet<TopicPartition> pending = filter(TopicPartition.setOf(member.pendingRevocation()), exists);
        TreeSet<TopicPartition> goal = filter(TopicPartition.setOf(target), exists);
        if (!pending.isEmpty()) {
            if (intersects(owned, pending)) {
                return with(member, member.memberEpoch(), member.previousMemberEpoch(),
                        MemberState.MEMBER_STATE_UNREVOKED_PARTITIONS, assigned, pending);
            }
            pending.clear(); // acknowledged
        }
        TreeSet<TopicPartition> keep = new TreeSet<>(assigned);
        keep.retainAll(goal);
        TreeSet<TopicPartition> revoke = new TreeSet<>(assigned);
        revoke.removeAll(goal);
        if (intersects(owned, revoke)) {
            return with(member, member.memberEpoch(), member.previousMemberEpoch(),
                    MemberState.MEMBER_STATE_UNREVOKED_PARTITIONS, keep, revoke);
        }
        TreeSet<TopicPartition> now = new TreeSet<>(keep);
        for (TopicPartition tp : goal) {
            if (!heldByOthers.contains(tp)) {
                now.add(tp);
            }
        }
        int previous = member.memberEpoch() == assignmentEpoch ? member.previousMemberEpoch() : member.memberEpoch();
        MemberState state = now.equals(goal) ? MemberState.MEMBER_STATE_STABLE
                : MemberState.MEMBER_STATE_UNRELEASED_PARTITIONS;
        return with(member, assignmentEpoch, previous, state, now, new TreeSet<>());
    }

    private static TreeSet<TopicPartition> filter(TreeSet<TopicPartition> s, Predicate<TopicPartition> exists) {
        s.removeIf(exists.negate());
        return s;
    }

    private static boolean intersects(Set<TopicPartition> a, Set<TopicPartition> b) {
        for (TopicPartition tp : b) {
            if (a.contains(tp)) {
                return true;
            }
        }
        return false;
    }

    private static GroupMember with(GroupMember m, int epoch, int previousEpoch, MemberState state,
                                    Set<TopicPartition> assigned, Set<TopicPartition> pending) {
        return new GroupMember(m.memberId(), m.instanceId(), m.clientId(), m.clientHost(), m.subscribedTopicNames(),
                m.subscribedTopicRegex(), m.serverAssignor(), m.rebalanceTimeoutMs(), epoch, previousEpoch, state,
                TopicPartition.mapOf(assigned), TopicPartition.mapOf(pending));
    }
}
