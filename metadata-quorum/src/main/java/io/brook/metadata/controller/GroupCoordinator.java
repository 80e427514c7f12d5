package io.brook.metadata.controller;

import io.brook.metadata.controller.group.AssignmentSpec;
import io.brook.metadata.controller.group.Assignor;
import io.brook.metadata.controller.group.Assignors;
import io.brook.metadata.controller.group.GroupSessions;
import io.brook.metadata.controller.group.GroupSettings;
import io.brook.metadata.controller.group.GroupState;
import io.brook.metadata.controller.group.MemberReconciler;
import io.brook.metadata.controller.group.TopicPartition;
import io.brook.metadata.controller.group.TopicResolver;
import io.brook.metadata.controller.group.TopicResolver.TopicIndex;
import io.brook.metadata.image.GroupImage;
import io.brook.metadata.image.GroupMember;
import io.brook.metadata.image.MetadataImage;
import io.brook.metadata.image.TopicImage;
import io.brook.proto.common.v1.ErrorCode;
import io.brook.proto.errors.BrookException;
import io.brook.proto.errors.WireErrors;
import io.brook.proto.metadata.v1.DeleteGroupsRequest;
import io.brook.proto.metadata.v1.DeleteGroupsResponse;
import io.brook.proto.metadata.v1.GroupHeartbeatRequest;
import io.brook.proto.metadata.v1.GroupRemovedRecord;
import io.brook.proto.metadata.v1.MemberState;
import io.brook.proto.metadata.v1.MetadataRecord;
import io.brook.proto.v1.ConsumerGroupHeartbeatRequest;
import io.brook.proto.v1.ConsumerGroupHeartbeatResponse;
import io.brook.proto.v1.GroupTopicPartitions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.function.Supplier;
import java.util.regex.PatternSyntaxException;

/**
 * The consumer-group coordinator (KIP-848 model, docs/groups.md), run by the active controller on
 * its thread. Membership, group epoch and target assignment are records in the metadata quorum;
 * when each member was last heard from is soft state ({@link GroupSessions}).
 *
 * <p>A heartbeat: validates the request; applies the member's epoch (0 join, -1 leave, -2 static
 * leave, else its current or, after a lost response, previous epoch); bumps the group epoch once if
 * the membership, a subscription or the subscribed topics (their fingerprint) changed; recomputes the
 * target assignment with the group's assignor when the group epoch is past the assignment epoch; and
 * reconciles the member towards its target ({@link MemberReconciler}: revoke first, assign once
 * released). It returns records only when something changed; the response reflects the state after
 * them.
 *
 * <p>Threading: not thread-safe; the controller thread owns it.
 */
public final class GroupCoordinator {
    /** Longest group id (Kafka's limit for names in the log). */
    public static final int MAX_GROUP_ID_LENGTH = 249;
    /** Longest subscription regex. */
    public static final int MAX_REGEX_LENGTH = 1_000;
    /** Rebalance timeout when the member sends 0. */
    public static final int DEFAULT_REBALANCE_TIMEOUT_MS = 300_000;
    /** Heartbeat interval while a member or its group is reconciling. */
    public static final int RECONCILING_HEARTBEAT_INTERVAL_MS = 200;
    public static final int JOIN_EPOCH = 0;
    public static final int LEAVE_EPOCH = -1;
    public static final int STATIC_LEAVE_EPOCH = -2;

    private final GroupSettings settings;
    private final Supplier<String> memberIds;
    private final GroupSessions sessions = new GroupSessions();
    private final TopicResolver topics = new TopicResolver();
    private final Assignors assignors = new Assignors();

    /** A coordinator with the default settings. */
    public GroupCoordinator() {
        this(GroupSettings.DEFAULT);
    }

    public GroupCoordinator(GroupSettings settings) {
        this(settings, () -> UUID.randomUUID().toString());
    }

    /** @param memberIds source of ids for members joining without one */
    public GroupCoordinator(GroupSettings settings, Supplier<String> memberIds) {
        this.settings = Objects.requireNonNull(settings);
        this.memberIds = memberIds;
    }

    public GroupSettings settings() {
        return settings;
    }

    /** Every member of the image gets a fresh session (on becoming the active controller). */
    public void onActivated(MetadataImage image, long nowMs) {
        sessions.reset(image, nowMs);
    }

    /** Forgets all soft state (no longer active). */
    public void onDeactivated() {
        sessions.clear();
    }

    /**
     * Handles one heartbeat.
     *
     * @param nowMs       monotonic clock, ms (sessions)
     * @param wallClockMs wall clock, ms (empty_since_ms)
     * @throws BrookException INVALID_GROUP_ID, INVALID_REQUEST, INVALID_REGULAR_EXPRESSION,
     *                        UNSUPPORTED_ASSIGNOR, GROUP_MAX_SIZE_REACHED, UNRELEASED_INSTANCE_ID,
     *                        UNKNOWN_MEMBER_ID, FENCED_MEMBER_EPOCH; nothing changes then
     */
    public ControllerResult<ConsumerGroupHeartbeatResponse> heartbeat(MetadataImage image, GroupHeartbeatRequest req,
                                                                      long nowMs, long wallClockMs) {
        ConsumerGroupHeartbeatRequest r = req.getRequest();
        validate(r);
        String groupId = r.getGroupId();
        GroupImage existing = image.groups().get(groupId);
        GroupState g = new GroupState(groupId, existing);
        TopicIndex index = TopicIndex.of(image);
        int epoch = r.getMemberEpoch();
        GroupMember current = existing == null ? null : existing.members().get(r.getMemberId());
        if (epoch != JOIN_EPOCH && current == null) {
            throw new BrookException(ErrorCode.UNKNOWN_MEMBER_ID, "member " + WireErrors.echo(r.getMemberId())
                    + " is not in group " + WireErrors.echo(groupId) + ": join again with member_epoch 0");
        }
        if (epoch == LEAVE_EPOCH) {
            g.removeMember(current.memberId());
            g.bumpEpoch();
            refreshAssignment(g, index);
            sessions.remove(groupId, current.memberId());
            return result(g, wallClockMs, response(current.memberId(), LEAVE_EPOCH, settings.heartbeatIntervalMs(),
                    List.of()));
        }
        if (epoch == STATIC_LEAVE_EPOCH) {
            if (current.instanceId().isEmpty()) {
                throw ControllerErrors.invalid("member_epoch -2 (leave, coming back) needs a static member "
                        + "(instance_id); member " + WireErrors.echo(current.memberId()) + " has none");
            }
            int previous = current.memberEpoch() == STATIC_LEAVE_EPOCH ? current.previousMemberEpoch()
                    : current.memberEpoch();
            g.members.put(current.memberId(), withEpochs(current, STATIC_LEAVE_EPOCH, previous));
            refreshAssignment(g, index);
            sessions.heard(groupId, current.memberId(), nowMs);
            return result(g, wallClockMs, response(current.memberId(), STATIC_LEAVE_EPOCH,
                    settings.heartbeatIntervalMs(), List.of()));
        }
        Set<TopicPartition> owned = owned(index, r.getOwnedPartitionsList());
        GroupMember member;
        if (epoch == JOIN_EPOCH) {
            member = join(g, existing, r, req.getClientHost(), nowMs);
        } else {
            checkEpoch(current, epoch, owned);
            member = current;
        }
        GroupMember subscribed = withSubscription(member, r);
        if (subscribed != member) {
            g.bumpEpoch(); // a new subscription (a new member's first one included)
        }
        g.members.put(subscribed.memberId(), subscribed);
        refreshAssignment(g, index);
        GroupMember reconciled = MemberReconciler.reconcile(subscribed, g.target.getOrDefault(subscribed.memberId(),
                        Map.of()), g.assignmentEpoch, owned, g.heldByOthers(subscribed.memberId()),
                tp -> exists(index, tp));
        g.members.put(reconciled.memberId(), reconciled);
        sessions.heard(groupId, reconciled.memberId(), nowMs);
        if (reconciled.state() == MemberState.MEMBER_STATE_UNREVOKED_PARTITIONS) {
            sessions.revocationStarted(groupId, reconciled.memberId(), nowMs + reconciled.rebalanceTimeoutMs());
        } else {
            sessions.revocationDone(groupId, reconciled.memberId());
        }
        GroupImage after = g.toImage();
        boolean settled = reconciled.state() == MemberState.MEMBER_STATE_STABLE
                && reconciled.memberEpoch() == after.assignmentEpoch() && GroupImage.STABLE.equals(after.state());
        int interval = settled ? settings.heartbeatIntervalMs()
                : Math.min(settings.heartbeatIntervalMs(), RECONCILING_HEARTBEAT_INTERVAL_MS);
        return result(g, wallClockMs, response(reconciled.memberId(), reconciled.memberEpoch(), interval,
                assignment(index, reconciled.assigned())));
    }

    /**
     * Removes the members whose session timed out or who did not revoke within their rebalance
     * timeout (checked again here against the current image), bumping their groups' epochs.
     *
     * @return the removed members as "group/member"
     */
    public ControllerResult<List<String>> expireMembers(MetadataImage image, long nowMs, long wallClockMs) {
        Map<String, List<String>> byGroup = new TreeMap<>();
        for (GroupSessions.Key k : sessions.expired(image, nowMs, settings.sessionTimeoutMs())) {
            byGroup.computeIfAbsent(k.groupId(), x -> new ArrayList<>()).add(k.memberId());
        }
        List<MetadataRecord> records = new ArrayList<>();
        List<String> removed = new ArrayList<>();
        byGroup.forEach((groupId, memberIds) -> {
            GroupState g = new GroupState(groupId, image.groups().get(groupId));
            memberIds.forEach(id -> {
                g.removeMember(id);
                sessions.remove(groupId, id);
                removed.add(groupId + "/" + id);
            });
            g.bumpEpoch();
            refreshAssignment(g, TopicIndex.of(image));
            records.addAll(g.records(wallClockMs));
        });
        return ControllerResult.of(records, removed);
    }

    /** True if some member's session or revocation deadline has passed (cheap enough for every tick). */
    public boolean anyExpired(MetadataImage image, long nowMs) {
        return !sessions.expired(image, nowMs, settings.sessionTimeoutMs()).isEmpty();
    }

    /**
     * Deletes groups without members, all or none.
     *
     * @throws BrookException GROUP_ID_NOT_FOUND (a group does not exist), GROUP_NOT_EMPTY (a group has members)
     */
    public ControllerResult<DeleteGroupsResponse> deleteGroups(MetadataImage image, DeleteGroupsRequest req) {
        List<MetadataRecord> records = new ArrayList<>();
        DeleteGroupsResponse.Builder resp = DeleteGroupsResponse.newBuilder();
        for (String groupId : new LinkedHashSet<>(req.getGroupIdsList())) {
            GroupImage g = image.groups().get(groupId);
            if (g == null) {
                throw new BrookException(ErrorCode.GROUP_ID_NOT_FOUND, "group " + WireErrors.echo(groupId)
                        + " does not exist");
            }
            if (!g.members().isEmpty()) {
                throw new BrookException(ErrorCode.GROUP_NOT_EMPTY, "group " + WireErrors.echo(groupId) + " has "
                        + g.members().size() + " member(s): stop them first");
            }
            records.add(MetadataRecord.newBuilder().setGroupRemoved(GroupRemovedRecord.newBuilder()
                    .setGroupId(groupId)).build());
            resp.addDeleted(groupId);
        }
        return ControllerResult.of(records, resp.build());
    }

    private void validate(ConsumerGroupHeartbeatRequest r) {
        String groupId = r.getGroupId();
        if (groupId.isEmpty() || groupId.length() > MAX_GROUP_ID_LENGTH) {
            throw new BrookException(ErrorCode.INVALID_GROUP_ID, "group id " + WireErrors.echo(groupId)
                    + " must have 1 to " + MAX_GROUP_ID_LENGTH + " characters");
        }
        int epoch = r.getMemberEpoch();
        if (epoch < STATIC_LEAVE_EPOCH) {
            throw ControllerErrors.invalid("member_epoch " + epoch + " is not valid (0 join, -1 leave, "
                    + "-2 static leave, else the epoch last received)");
        }
        if (epoch == LEAVE_EPOCH || epoch == STATIC_LEAVE_EPOCH) {
            return;
        }
        boolean names = r.getSubscribedTopicNamesCount() > 0;
        String regex = r.getSubscribedTopicRegex();
        if (names && !regex.isEmpty()) {
            throw ControllerErrors.invalid("subscribe by topic names or by a regex, not both (regex "
                    + WireErrors.echo(regex) + ")");
        }
        if (epoch == JOIN_EPOCH && !names && regex.isEmpty()) {
            throw ControllerErrors.invalid("joining member " + WireErrors.echo(r.getMemberId())
                    + " of group " + WireErrors.echo(groupId) + " has no subscription (topic names or a regex)");
        }
        for (String name : r.getSubscribedTopicNamesList()) {
            if (name.isEmpty()) {
                throw ControllerErrors.invalid("subscribed topic names must not be empty");
            }
        }
        if (!regex.isEmpty()) {
            if (regex.length() > MAX_REGEX_LENGTH) {
                throw new BrookException(ErrorCode.INVALID_REGULAR_EXPRESSION, "subscription regex "
                        + WireErrors.echo(regex) + " is longer than " + MAX_REGEX_LENGTH + " characters");
            }
            try {
                topics.pattern(regex);
            } catch (PatternSyntaxException e) {
                throw new BrookException(ErrorCode.INVALID_REGULAR_EXPRESSION, "subscription regex "
                        + WireErrors.echo(regex) + " does not compile: " + WireErrors.echo(e.getDescription()));
            }
        }
        if (assignors.get(r.getServerAssignor()).isEmpty()) {
            throw new BrookException(ErrorCode.UNSUPPORTED_ASSIGNOR, "server assignor "
                    + WireErrors.echo(r.getServerAssignor()) + " is not one of " + assignors.names());
        }
        if (r.getRebalanceTimeoutMs() < 0) {
            throw ControllerErrors.invalid("rebalance_timeout_ms " + r.getRebalanceTimeoutMs() + " must be >= 0");
        }
    }

    /** A member joining with epoch 0: new, restarted, or replacing a static member. Updates {@code g}. */
    private GroupMember join(GroupState g, GroupImage existing, ConsumerGroupHeartbeatRequest r, String clientHost,
                             long nowMs) {
        String requestedId = r.getMemberId();
        String instanceId = r.getInstanceId();
        GroupMember holder = existing == null ? null : existing.memberByInstanceId(instanceId).orElse(null);
        if (holder != null && !holder.memberId().equals(requestedId)) {
            long silentMs = nowMs - sessions.lastHeard(g.groupId, holder.memberId(), nowMs);
            boolean released = holder.memberEpoch() == STATIC_LEAVE_EPOCH
                    || silentMs >= 2L * settings.heartbeatIntervalMs();
            if (!released) {
                throw new BrookException(ErrorCode.UNRELEASED_INSTANCE_ID, "instance id " + WireErrors.echo(instanceId)
                        + " is held by live member " + WireErrors.echo(holder.memberId()) + " of group "
                        + WireErrors.echo(g.groupId));
            }
            String id = requestedId.isEmpty() ? memberIds.get() : requestedId;
            if (g.members.containsKey(id)) {
                throw ControllerErrors.invalid("member id " + WireErrors.echo(id) + " is taken in group "
                        + WireErrors.echo(g.groupId));
            }
            // The new process takes the old one's place: same assignment, same epoch, no rebalance.
            Map<String, List<Integer>> target = g.target.get(holder.memberId());
            g.removeMember(holder.memberId());
            sessions.remove(g.groupId, holder.memberId());
            if (target != null) {
                g.target.put(id, target);
            }
            int epoch = holder.memberEpoch() == STATIC_LEAVE_EPOCH ? holder.previousMemberEpoch() : holder.memberEpoch();
            return new GroupMember(id, instanceId, r.getClientId(), clientHost, holder.subscribedTopicNames(),
                    holder.subscribedTopicRegex(), holder.serverAssignor(), holder.rebalanceTimeoutMs(), epoch,
                    holder.previousMemberEpoch(), holder.state(), holder.assigned(), holder.pendingRevocation());
        }
        GroupMember same = requestedId.isEmpty() || existing == null ? null : existing.members().get(requestedId);
        if (same != null) {
            if (same.memberEpoch() == STATIC_LEAVE_EPOCH) {
                return new GroupMember(same.memberId(), same.instanceId(), r.getClientId(), clientHost,
                        same.subscribedTopicNames(), same.subscribedTopicRegex(), same.serverAssignor(),
                        same.rebalanceTimeoutMs(), same.previousMemberEpoch(), same.previousMemberEpoch(),
                        same.state(), same.assigned(), same.pendingRevocation());
            }
            // Restarted: it owns nothing now; reconcile anew (it gets its free target partitions back
            // at once, so a restart that changes nothing writes nothing).
            return new GroupMember(same.memberId(), instanceId, r.getClientId(), clientHost,
                    same.subscribedTopicNames(), same.subscribedTopicRegex(), same.serverAssignor(),
                    same.rebalanceTimeoutMs(), same.memberEpoch(), same.previousMemberEpoch(),
                    MemberState.MEMBER_STATE_STABLE, Map.of(), Map.of());
        }
        if (g.members.size() >= settings.maxSize()) {
            throw new BrookException(ErrorCode.GROUP_MAX_SIZE_REACHED, "group " + WireErrors.echo(g.groupId)
                    + " has " + g.members.size() + " members, the most group.consumer.max.size allows");
        }
        g.bumpEpoch();
        String id = requestedId.isEmpty() ? memberIds.get() : requestedId;
        return new GroupMember(id, instanceId, r.getClientId(), clientHost, List.of(), "", "", 0, JOIN_EPOCH,
                JOIN_EPOCH, MemberState.MEMBER_STATE_STABLE, Map.of(), Map.of());
    }

    /** A heartbeat with epoch > 0 must carry the member's epoch, or its previous one after a lost response. */
    private static void checkEpoch(GroupMember m, int epoch, Set<TopicPartition> owned) {
        if (m.memberEpoch() == STATIC_LEAVE_EPOCH) {
            throw new BrookException(ErrorCode.FENCED_MEMBER_EPOCH, "member " + WireErrors.echo(m.memberId())
                    + " left (epoch -2): join again with member_epoch 0");
        }
        if (epoch == m.memberEpoch()) {
            return;
        }
        if (epoch == m.previousMemberEpoch() && TopicPartition.setOf(m.assigned()).containsAll(owned)) {
            return;
        }
        throw new BrookException(ErrorCode.FENCED_MEMBER_EPOCH, "member " + WireErrors.echo(m.memberId())
                + " sent epoch " + epoch + " but is at " + m.memberEpoch()
                + ": drop every partition and join again with member_epoch 0");
    }

    /** The member with the request's subscription, if it carries one (names or regex); unchanged otherwise. */
    private static GroupMember withSubscription(GroupMember m, ConsumerGroupHeartbeatRequest r) {
        if (r.getSubscribedTopicNamesCount() == 0 && r.getSubscribedTopicRegex().isEmpty()) {
            return m;
        }
        int timeout = r.getRebalanceTimeoutMs() == 0 ? DEFAULT_REBALANCE_TIMEOUT_MS : r.getRebalanceTimeoutMs();
        List<String> names = List.copyOf(new TreeSet<>(r.getSubscribedTopicNamesList()));
        if (names.equals(m.subscribedTopicNames()) && r.getSubscribedTopicRegex().equals(m.subscribedTopicRegex())
                && r.getServerAssignor().equals(m.serverAssignor()) && timeout == m.rebalanceTimeoutMs()) {
            return m;
        }
        return new GroupMember(m.memberId(), m.instanceId(), m.clientId(), m.clientHost(), names,
                r.getSubscribedTopicRegex(), r.getServerAssignor(), timeout, m.memberEpoch(),
                m.previousMemberEpoch(), m.state(), m.assigned(), m.pendingRevocation());
    }

    /**
     * Bumps the group epoch if the subscribed topics changed, then recomputes the target
     * assignment if the group epoch is past the assignment epoch.
     */
    private void refreshAssignment(GroupState g, TopicIndex index) {
        TreeMap<String, Set<String>> subscriptions = topics.subscriptions(index, g.members.values());
        long hash = TopicResolver.hash(index, subscriptions.values());
        if (hash != g.metadataHash) {
            g.bumpEpoch();
        }
        if (g.epoch <= g.assignmentEpoch) {
            return;
        }
        Assignor assignor = assignors.choose(g.members.values().stream().map(GroupMember::serverAssignor).toList());
        Map<String, Integer> counts = new LinkedHashMap<>();
        subscriptions.values().forEach(ids -> ids.forEach(id ->
                counts.put(id, index.byId().get(id).partitions().size())));
        Map<String, Map<String, List<Integer>>> target = assignor.assign(new AssignmentSpec(subscriptions, counts,
                g.target));
        g.target.clear();
        target.forEach((m, t) -> g.target.put(m, GroupMember.copyPartitions(t)));
        g.assignmentEpoch = g.epoch;
        g.metadataHash = hash;
        g.assignor = assignor.name();
    }

    /** The request's owned partitions by topic id (the id wins over the name; unknown topics are dropped). */
    private static Set<TopicPartition> owned(TopicIndex index, List<GroupTopicPartitions> owned) {
        Set<TopicPartition> out = new TreeSet<>();
        for (GroupTopicPartitions tp : owned) {
            TopicImage t = !tp.getTopicId().isEmpty() ? index.byId().get(tp.getTopicId())
                    : index.byName().get(tp.getTopic());
            if (t != null) {
                tp.getPartitionsList().forEach(p -> out.add(new TopicPartition(t.id(), p)));
            }
        }
        return out;
    }

    private static boolean exists(TopicIndex index, TopicPartition tp) {
        TopicImage t = index.byId().get(tp.topicId());
        return t != null && t.partition(tp.partition()) != null;
    }

    private static List<GroupTopicPartitions> assignment(TopicIndex index, Map<String, List<Integer>> assigned) {
        List<GroupTopicPartitions> out = new ArrayList<>();
        assigned.forEach((topicId, ps) -> {
            TopicImage t = index.byId().get(topicId);
            if (t != null) {
                out.add(GroupTopicPartitions.newBuilder().setTopic(t.name()).setTopicId(topicId)
                        .addAllPartitions(ps).build());
            }
        });
        return out;
    }

    private static GroupMember withEpochs(GroupMember m, int epoch, int previous) {
        return new GroupMember(m.memberId(), m.instanceId(), m.clientId(), m.clientHost(), m.subscribedTopicNames(),
                m.subscribedTopicRegex(), m.serverAssignor(), m.rebalanceTimeoutMs(), epoch, previous, m.state(),
                m.assigned(), m.pendingRevocation());
    }

    private ConsumerGroupHeartbeatResponse response(String memberId, int epoch, int intervalMs,
                                                    List<GroupTopicPartitions> assignment) {
        return ConsumerGroupHeartbeatResponse.newBuilder().setMemberId(memberId).setMemberEpoch(epoch)
                .setHeartbeatIntervalMs(intervalMs).addAllAssignment(assignment)
                .setSessionTimeoutMs(settings.sessionTimeoutMs()).build();
    }

    private static <T> ControllerResult<T> result(GroupState g, long wallClockMs, T response) {
        return ControllerResult.of(g.records(wallClockMs), response);
    }
}
