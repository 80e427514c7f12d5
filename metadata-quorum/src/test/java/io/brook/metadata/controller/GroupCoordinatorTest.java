package io.brook.metadata.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.brook.metadata.controller.group.GroupSettings;
import io.brook.metadata.image.GroupImage;
import io.brook.metadata.image.GroupMember;
import io.brook.metadata.image.MetadataDelta;
import io.brook.metadata.image.MetadataImage;
import io.brook.proto.common.v1.ErrorCode;
import io.brook.proto.errors.BrookException;
import io.brook.proto.metadata.v1.DeleteGroupsRequest;
import io.brook.proto.metadata.v1.GroupHeartbeatRequest;
import io.brook.proto.metadata.v1.MetadataRecord;
import io.brook.proto.metadata.v1.PartitionRecord;
import io.brook.proto.metadata.v1.RemoveTopicRecord;
import io.brook.proto.metadata.v1.TopicRecord;
import io.brook.proto.v1.ConsumerGroupHeartbeatRequest;
import io.brook.proto.v1.ConsumerGroupHeartbeatResponse;
import io.brook.proto.v1.GroupTopicPartitions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Drives {@link GroupCoordinator} against images built by applying the records it returns, with
 * simulated members that report honestly what they own (they own exactly the last assignment).
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class GroupCoordinatorTest {
    static final GroupSettings SETTINGS = new GroupSettings(1_000, 10_000, 50);
    static final String G = "g";

    final AtomicInteger ids = new AtomicInteger();
    final GroupCoordinator coordinator = new GroupCoordinator(SETTINGS, () -> "gen-" + ids.incrementAndGet());
    MetadataImage image = MetadataImage.EMPTY;
    long now = 1_000_000;
    int topicSeq;
    int lastRecordCount;

    // ---- harness ----

    void apply(List<MetadataRecord> records) {
        lastRecordCount = records.size();
        if (!records.isEmpty()) {
            image = MetadataDelta.replayEntry(image, image.appliedIndex() + 1, 1, records);
        }
    }

    String createTopic(String name, int partitions) {
        String id = "T" + (++topicSeq) + "-" + name;
        List<MetadataRecord> rs = new ArrayList<>();
        rs.add(MetadataRecord.newBuilder().setTopic(TopicRecord.newBuilder().setName(name).setTopicId(id)).build());
        for (int p = 0; p < partitions; p++) {
            rs.add(partition(id, p));
        }
        apply(rs);
        return id;
    }

    static MetadataRecord partition(String topicId, int p) {
        return MetadataRecord.newBuilder().setPartition(PartitionRecord.newBuilder().setTopicId(topicId)
                .setPartition(p).addReplicas(1).addIsr(1).setLeader(1)).build();
    }

    void addPartitions(String topicId, int total) {
        List<MetadataRecord> rs = new ArrayList<>();
        for (int p = image.topic(topicId).orElseThrow().partitions().size(); p < total; p++) {
            rs.add(partition(topicId, p));
        }
        apply(rs);
    }

    void deleteTopic(String topicId) {
        apply(List.of(MetadataRecord.newBuilder().setRemoveTopic(RemoveTopicRecord.newBuilder().setTopicId(topicId))
                .build()));
    }

    GroupImage group() {
        return image.groups().get(G);
    }

    ConsumerGroupHeartbeatResponse send(ConsumerGroupHeartbeatRequest.Builder b) {
        ControllerResult<ConsumerGroupHeartbeatResponse> r = coordinator.heartbeat(image,
                GroupHeartbeatRequest.newBuilder().setRequest(b).setClientHost("10.0.0.9").build(), now, 42_000);
        apply(r.records());
        return r.response(image.appliedIndex());
    }

    BrookException error(ConsumerGroupHeartbeatRequest.Builder b) {
        MetadataImage before = image;
        BrookException e = catchThrowableOfType(() -> send(b), BrookException.class);
        assertThat(e).as("expected an error").isNotNull();
        assertThat(image).as("an error changes nothing").isSameAs(before);
        return e;
    }

    static ConsumerGroupHeartbeatRequest.Builder req(String memberId, int epoch) {
        return ConsumerGroupHeartbeatRequest.newBuilder().setGroupId(G).setMemberId(memberId).setMemberEpoch(epoch);
    }

    /** A consumer: owns exactly what its last response assigned. */
    final class Member {
        String id;
        int epoch;
        final String instanceId;
        final List<String> topics;
        final String regex;
        final String assignor;
        Map<String, List<Integer>> owned = new TreeMap<>(); // topic id -> partitions
        ConsumerGroupHeartbeatResponse last;

        Member(String id, String instanceId, List<String> topics, String regex, String assignor) {
            this.id = id;
            this.instanceId = instanceId;
            this.topics = topics;
            this.regex = regex;
            this.assignor = assignor;
        }

        ConsumerGroupHeartbeatRequest.Builder request() {
            ConsumerGroupHeartbeatRequest.Builder b = req(id, epoch).setInstanceId(instanceId).setClientId("c")
                    .addAllSubscribedTopicNames(topics).setSubscribedTopicRegex(regex).setServerAssignor(assignor);
            owned.forEach((t, ps) -> b.addOwnedPartitions(GroupTopicPartitions.newBuilder().setTopicId(t)
                    .addAllPartitions(ps)));
            return b;
        }

        ConsumerGroupHeartbeatResponse heartbeat() {
            last = send(request());
            id = last.getMemberId();
            epoch = last.getMemberEpoch();
            owned = new TreeMap<>();
            for (GroupTopicPartitions tp : last.getAssignmentList()) {
                owned.put(tp.getTopicId(), List.copyOf(tp.getPartitionsList()));
            }
            return last;
        }

        void leave() {
            if (!id.isEmpty()) {
                send(req(id, -1));
            }
            owned = new TreeMap<>();
        }

        Set<String> ownedSet() {
            Set<String> out = new TreeSet<>();
            owned.forEach((t, ps) -> ps.forEach(p -> out.add(t + ":" + p)));
            return out;
        }
    }

    Member member(String... topics) {
        return new Member("", "", List.of(topics), "", "");
    }

    /** Heartbeats every member round-robin until the group is Stable (asserting safety every step). */
    void settle(List<Member> members) {
        for (int round = 0; round < 20; round++) {
            for (Member m : members) {
                m.heartbeat();
                assertSafe(members);
            }
            if (GroupImage.STABLE.equals(group().state())
                    && members.stream().allMatch(m -> m.epoch == group().assignmentEpoch())) {
                // One more round: members see their final assignment.
                for (Member m : members) {
                    m.heartbeat();
                }
                return;
            }
        }
        throw new AssertionError("group did not settle: " + group());
    }

    /** No partition is owned by two members, nor assigned/pending for two members in the image. */
    void assertSafe(List<Member> members) {
        Set<String> seen = new HashSet<>();
        for (Member m : members) {
            for (String tp : m.ownedSet()) {
                assertThat(seen.add(tp)).as("partition %s owned twice", tp).isTrue();
            }
        }
        Set<String> held = new HashSet<>();
        if (group() != null) {
            for (GroupMember gm : group().members().values()) {
                Map<String, List<Integer>> both = new TreeMap<>();
                gm.assigned().forEach((t, ps) -> both.computeIfAbsent(t, k -> new ArrayList<>()).addAll(ps));
                gm.pendingRevocation().forEach((t, ps) -> both.computeIfAbsent(t, k -> new ArrayList<>()).addAll(ps));
                both.forEach((t, ps) -> ps.forEach(p ->
                        assertThat(held.add(t + ":" + p)).as("partition %s:%d held twice", t, p).isTrue()));
            }
        }
    }

    /** Every partition of the topics is owned by exactly one member. */
    void assertFullyAssigned(List<Member> members, String... topicIds) {
        Set<String> expected = new TreeSet<>();
        for (String t : topicIds) {
            image.topic(t).orElseThrow().partitions().keySet().forEach(p -> expected.add(t + ":" + p));
        }
        Set<String> owned = new TreeSet<>();
        members.forEach(m -> owned.addAll(m.ownedSet()));
        assertThat(owned).isEqualTo(expected);
    }

    static int count(Member m) {
        return m.owned.values().stream().mapToInt(List::size).sum();
    }

    // ---- tests ----

    @Test
    void threeMembersOnSixPartitionsSettleToTwoEach() {
        String t = createTopic("orders", 6);
        List<Member> ms = List.of(member("orders"), member("orders"), member("orders"));
        settle(ms);
        assertFullyAssigned(ms, t);
        assertThat(ms).allSatisfy(m -> assertThat(count(m)).isEqualTo(2));
        assertThat(ms).allSatisfy(m -> assertThat(m.last.getHeartbeatIntervalMs()).isEqualTo(1_000));
        assertThat(ms.get(0).last.getSessionTimeoutMs()).isEqualTo(10_000);
        assertThat(ms.get(0).last.getAssignment(0).getTopic()).isEqualTo("orders");
        assertThat(group().assignor()).isEqualTo("uniform");
    }

    @Test
    void aJoiningMemberTakesOnlyThePartitionsItNeeds() {
        String t = createTopic("orders", 6);
        List<Member> ms = new ArrayList<>(List.of(member("orders"), member("orders"), member("orders")));
        settle(ms);
        Map<String, Set<String>> before = new HashMap<>();
        ms.forEach(m -> before.put(m.id, m.ownedSet()));
        Member fourth = member("orders");
        fourth.heartbeat();
        assertThat(fourth.owned).as("nothing is free yet: revoke before assign").isEmpty();
        assertThat(fourth.last.getHeartbeatIntervalMs()).as("faster while reconciling").isEqualTo(200);
        ms.add(fourth);
        settle(ms);
        assertFullyAssigned(ms, t);
        int moved = 0;
        for (Member m : ms.subList(0, 3)) {
            assertThat(before.get(m.id)).as("old members only lose partitions").containsAll(m.ownedSet());
            moved += before.get(m.id).size() - m.ownedSet().size();
        }
        assertThat(moved).as("only what the new member gets moves").isEqualTo(count(fourth));
        assertThat(count(fourth)).isEqualTo(1);
        assertThat(ms.stream().mapToInt(GroupCoordinatorTest::count).max().orElseThrow()).isEqualTo(2);
    }

    @Test
    void aLeavingMembersPartitionsGoToTheOthersAtOnce() {
        String t = createTopic("orders", 6);
        List<Member> ms = new ArrayList<>(List.of(member("orders"), member("orders"), member("orders")));
        settle(ms);
        int epoch = group().epoch();
        Member gone = ms.remove(2);
        Set<String> freed = gone.ownedSet();
        gone.leave();
        assertThat(group().epoch()).isEqualTo(epoch + 1);
        assertThat(group().members()).doesNotContainKey(gone.id);
        Map<String, Set<String>> before = new HashMap<>();
        ms.forEach(m -> before.put(m.id, m.ownedSet()));
        settle(ms);
        assertFullyAssigned(ms, t);
        assertThat(ms).allSatisfy(m -> assertThat(count(m)).isEqualTo(3));
        assertThat(ms).allSatisfy(m -> assertThat(m.ownedSet()).containsAll(before.get(m.id)));
        Set<String> gained = new TreeSet<>();
        ms.forEach(m -> gained.addAll(m.ownedSet()));
        assertThat(gained).containsAll(freed);
    }

    @Test
    void anExpiredMemberIsRemovedAndItsPartitionsReassigned() {
        String t = createTopic("orders", 6);
        List<Member> ms = new ArrayList<>(List.of(member("orders"), member("orders"), member("orders")));
        settle(ms);
        Member dead = ms.remove(1);
        now += 6_000;
        ms.forEach(Member::heartbeat);
        assertThat(coordinator.anyExpired(image, now)).isFalse();
        now += 5_000; // the dead member: 11 s silent; the others 5 s
        assertThat(coordinator.anyExpired(image, now)).isTrue();
        ControllerResult<List<String>> r = coordinator.expireMembers(image, now, 99_000);
        assertThat(r.response(0)).containsExactly(G + "/" + dead.id);
        apply(r.records());
        assertThat(group().members()).containsOnlyKeys(ms.get(0).id, ms.get(1).id);
        assertThat(coordinator.expireMembers(image, now, 99_000).records()).as("checked again: nothing left").isEmpty();
        settle(ms);
        assertFullyAssigned(ms, t);
        // The last members expire too: the group stays, empty since the wall-clock time.
        now += 20_000;
        apply(coordinator.expireMembers(image, now, 123_456).records());
        assertThat(group().members()).isEmpty();
        assertThat(group().state()).isEqualTo(GroupImage.EMPTY);
        assertThat(group().emptySinceMs()).isEqualTo(123_456);
    }

    @Test
    void aMemberThatDoesNotRevokeWithinItsRebalanceTimeoutIsRemoved() {
        createTopic("orders", 4);
        Member a = member("orders");
        settle(List.of(a));
        Member b = member("orders");
        b.heartbeat();
        // a is told to revoke two partitions but keeps reporting them.
        ConsumerGroupHeartbeatRequest.Builder stubborn = a.request();
        send(stubborn);
        assertThat(group().members().get(a.id).pendingRevocation()).isNotEmpty();
        for (int i = 0; i < 4; i++) {
            now += 3_000;
            send(stubborn.clone());
            b.heartbeat();
        }
        now += 300_000;
        send(stubborn.clone());
        b.heartbeat();
        apply(coordinator.expireMembers(image, now, 0).records());
        assertThat(group().members()).containsOnlyKeys(b.id);
    }

    @Test
    void anIdleHeartbeatWritesNothing() {
        createTopic("orders", 6);
        List<Member> ms = List.of(member("orders"), member("orders"));
        settle(ms);
        MetadataImage before = image;
        for (Member m : ms) {
            m.heartbeat();
            assertThat(lastRecordCount).isZero();
        }
        assertThat(image).isSameAs(before);
    }

    @Test
    void revokeBeforeAssignHoldsInARandomSimulation() {
        Random random = new Random(848);
        List<String> topics = new ArrayList<>(List.of(createTopic("a", 5), createTopic("b", 3)));
        List<Member> live = new ArrayList<>();
        int steps = 0;
        for (int step = 0; step < 400; step++) {
            int action = random.nextInt(20);
            if (action == 0 && live.size() < 8) {
                live.add(random.nextBoolean() ? member("a", "b") : new Member("", "", List.of(), "[ab]", ""));
            } else if (action == 1 && !live.isEmpty()) {
                live.remove(random.nextInt(live.size())).leave();
            } else if (action == 2 && !live.isEmpty()) {
                // Death: it stops heartbeating and owns nothing anymore (its process is gone).
                Member dead = live.remove(random.nextInt(live.size()));
                now += SETTINGS.sessionTimeoutMs();
                live.forEach(Member::heartbeat);
                apply(coordinator.expireMembers(image, now, 0).records());
                if (group() != null) {
                    assertThat(group().members()).doesNotContainKey(dead.id);
                }
            } else if (action == 3) {
                String t = topics.get(random.nextInt(topics.size()));
                addPartitions(t, image.topic(t).orElseThrow().partitions().size() + 1);
            } else if (!live.isEmpty()) {
                live.get(random.nextInt(live.size())).heartbeat();
            }
            now += 10;
            assertSafe(live);
            steps++;
        }
        assertThat(steps).isEqualTo(400);
        if (live.isEmpty()) {
            live.add(member("a", "b"));
        }
        settle(live);
        assertFullyAssigned(live, topics.toArray(String[]::new));
        int max = live.stream().mapToInt(GroupCoordinatorTest::count).max().orElseThrow();
        int min = live.stream().mapToInt(GroupCoordinatorTest::count).min().orElseThrow();
        assertThat(max - min).as("uniform: same subscriptions differ by at most one").isLessThanOrEqualTo(1);
    }

    @Test
    void aStaticMemberReplacedAfterLeavingWithMinusTwoKeepsItsPartitions() {
        createTopic("orders", 6);
        Member s = new Member("", "instance-1", List.of("orders"), "", "");
        List<Member> ms = new ArrayList<>(List.of(s, member("orders"), member("orders")));
        settle(ms);
        Set<String> held = s.ownedSet();
        int epoch = group().epoch();
        int memberEpoch = s.epoch;
        send(req(s.id, -2).setInstanceId("instance-1"));
        assertThat(group().members().get(s.id).memberEpoch()).isEqualTo(-2);
        // Others heartbeat: nothing moves while it is away.
        ms.get(1).heartbeat();
        ms.get(2).heartbeat();
        assertThat(group().epoch()).isEqualTo(epoch);
        Member back = new Member("", "instance-1", List.of("orders"), "", "");
        back.heartbeat();
        assertThat(back.id).isNotEqualTo(s.id);
        assertThat(back.ownedSet()).isEqualTo(held);
        assertThat(back.epoch).isEqualTo(memberEpoch);
        assertThat(group().epoch()).as("no rebalance").isEqualTo(epoch);
        assertThat(group().members()).doesNotContainKey(s.id).containsKey(back.id);
        assertThat(group().targetOf(back.id)).isNotEmpty();
    }

    @Test
    void aLiveStaticMemberCannotBeReplacedButASilentOneCan() {
        createTopic("orders", 2);
        Member s = new Member("", "i", List.of("orders"), "", "");
        settle(List.of(s));
        BrookException e = error(req("", 0).setInstanceId("i").addSubscribedTopicNames("orders"));
        assertThat(e.code()).isEqualTo(ErrorCode.UNRELEASED_INSTANCE_ID);
        now += 2 * SETTINGS.heartbeatIntervalMs();
        Member next = new Member("", "i", List.of("orders"), "", "");
        next.heartbeat();
        assertThat(next.ownedSet()).isEqualTo(s.ownedSet());
    }

    @Test
    void aStaticMemberThatDoesNotComeBackIsRemovedAfterTheSessionTimeout() {
        createTopic("orders", 2);
        Member s = new Member("", "i", List.of("orders"), "", "");
        Member other = member("orders");
        settle(List.of(s, other));
        send(req(s.id, -2).setInstanceId("i"));
        now += SETTINGS.sessionTimeoutMs() / 2;
        other.heartbeat();
        now += SETTINGS.sessionTimeoutMs() / 2;
        other.heartbeat();
        apply(coordinator.expireMembers(image, now, 0).records());
        assertThat(group().members()).containsOnlyKeys(other.id);
        settle(List.of(other));
        assertThat(count(other)).isEqualTo(2);
    }

    @Test
    void wrongEpochsAreFencedAndUnknownMembersRejected() {
        createTopic("orders", 2);
        Member a = member("orders");
        settle(List.of(a));
        assertThat(error(req(a.id, a.epoch + 5)).code()).isEqualTo(ErrorCode.FENCED_MEMBER_EPOCH);
        assertThat(error(req("nobody", 3)).code()).isEqualTo(ErrorCode.UNKNOWN_MEMBER_ID);
        assertThat(error(req("nobody", -1)).code()).isEqualTo(ErrorCode.UNKNOWN_MEMBER_ID);
        assertThat(error(req(a.id, -7)).code()).isEqualTo(ErrorCode.INVALID_REQUEST);
        assertThat(error(req(a.id, -2)).code()).as("-2 needs a static member").isEqualTo(ErrorCode.INVALID_REQUEST);
        // A lost response: the member still sends its previous epoch, owning a subset of its assignment.
        Member b = member("orders");
        b.heartbeat();
        int aOld = a.epoch;
        ConsumerGroupHeartbeatRequest.Builder again = a.request();
        a.heartbeat(); // a moves to the new epoch (revokes one partition)...
        a.epoch = aOld; // ...but never saw that response
        ConsumerGroupHeartbeatResponse r = send(again.setMemberEpoch(aOld).clearOwnedPartitions());
        assertThat(r.getMemberId()).isEqualTo(a.id);
    }

    @Test
    void badRequestsGetClearErrorsAndChangeNothing() {
        createTopic("orders", 2);
        assertThat(error(req("", 0).setGroupId("").addSubscribedTopicNames("orders")).code())
                .isEqualTo(ErrorCode.INVALID_GROUP_ID);
        assertThat(error(req("", 0).setGroupId("x".repeat(250)).addSubscribedTopicNames("orders")).code())
                .isEqualTo(ErrorCode.INVALID_GROUP_ID);
        assertThat(error(req("", 0)).code()).as("no subscription on join").isEqualTo(ErrorCode.INVALID_REQUEST);
        assertThat(error(req("", 0).addSubscribedTopicNames("orders").setSubscribedTopicRegex("o.*")).code())
                .isEqualTo(ErrorCode.INVALID_REQUEST);
        BrookException bad = error(req("", 0).setSubscribedTopicRegex("(unclosed"));
        assertThat(bad.code()).isEqualTo(ErrorCode.INVALID_REGULAR_EXPRESSION);
        assertThat(bad.getMessage()).contains("'(unclosed'");
        assertThat(error(req("", 0).setSubscribedTopicRegex("a".repeat(1_001))).code())
                .isEqualTo(ErrorCode.INVALID_REGULAR_EXPRESSION);
        assertThat(error(req("", 0).addSubscribedTopicNames("orders").setServerAssignor("sticky")).code())
                .isEqualTo(ErrorCode.UNSUPPORTED_ASSIGNOR);
        assertThat(image.groups()).isEmpty();
    }

    @Test
    void aFullGroupRefusesNewMembers() {
        GroupCoordinator small = new GroupCoordinator(new GroupSettings(1_000, 10_000, 2));
        createTopic("orders", 2);
        for (int i = 0; i < 2; i++) {
            apply(small.heartbeat(image, GroupHeartbeatRequest.newBuilder().setRequest(req("m" + i, 0)
                    .addSubscribedTopicNames("orders")).build(), now, 0).records());
        }
        BrookException e = catchThrowableOfType(() -> small.heartbeat(image, GroupHeartbeatRequest.newBuilder()
                .setRequest(req("m9", 0).addSubscribedTopicNames("orders")).build(), now, 0), BrookException.class);
        assertThat(e.code()).isEqualTo(ErrorCode.GROUP_MAX_SIZE_REACHED);
    }

    @Test
    void aRegexSubscriptionPicksUpANewTopicButNoInternalOne() {
        String t1 = createTopic("orders", 2);
        Member m = new Member("", "", List.of(), "ord.*", "");
        settle(List.of(m));
        assertThat(m.owned).containsOnlyKeys(t1);
        String t2 = createTopic("orders-eu", 3);
        createTopic("__orders", 3);
        m.heartbeat();
        assertThat(m.owned).containsOnlyKeys(t1, t2);
        assertThat(count(m)).isEqualTo(5);
    }

    @Test
    void newPartitionsAndDeletedTopicsArePickedUpWithinOneHeartbeat() {
        String t1 = createTopic("a", 2);
        String t2 = createTopic("b", 2);
        Member m = member("a", "b");
        settle(List.of(m));
        addPartitions(t1, 4);
        m.heartbeat();
        assertThat(m.owned.get(t1)).containsExactly(0, 1, 2, 3);
        deleteTopic(t2);
        m.heartbeat();
        assertThat(m.owned).containsOnlyKeys(t1);
        assertThat(group().members().get(m.id).assigned()).containsOnlyKeys(t1);
    }

    @Test
    void rangeAssignsPerTopicWhileUniformSpreadsAll() {
        String a = createTopic("a", 3);
        String b = createTopic("b", 3);
        List<Member> range = List.of(new Member("m1", "", List.of("a", "b"), "", "range"),
                new Member("m2", "", List.of("a", "b"), "", "range"));
        settle(range);
        assertThat(group().assignor()).isEqualTo("range");
        assertThat(range.get(0).owned).isEqualTo(Map.of(a, List.of(0, 1), b, List.of(0, 1)));
        assertThat(range.get(1).owned).isEqualTo(Map.of(a, List.of(2), b, List.of(2)));

        image = new MetadataImage(image.appliedIndex(), 1, image.brokers(), image.topicsById(), 0, Map.of(), Map.of());
        List<Member> uniform = List.of(new Member("m1", "", List.of("a", "b"), "", "uniform"),
                new Member("m2", "", List.of("a", "b"), "", ""));
        settle(uniform);
        assertThat(group().assignor()).isEqualTo("uniform");
        assertThat(uniform).allSatisfy(m -> assertThat(count(m)).isEqualTo(3));
    }

    @Test
    void aRestartedMemberJoiningWithItsIdGetsItsPartitionsBack() {
        createTopic("orders", 4);
        List<Member> ms = List.of(new Member("m1", "", List.of("orders"), "", ""), member("orders"));
        settle(ms);
        Set<String> held = ms.get(0).ownedSet();
        ms.get(0).epoch = 0;
        ms.get(0).owned = new TreeMap<>();
        ms.get(0).heartbeat();
        assertThat(ms.get(0).ownedSet()).isEqualTo(held);
        assertThat(lastRecordCount).as("back where it was: nothing to write").isZero();
    }

    @Test
    void deleteGroupsNeedsExistingEmptyGroups() {
        createTopic("orders", 1);
        Member m = member("orders");
        settle(List.of(m));
        BrookException notEmpty = catchThrowableOfType(() -> coordinator.deleteGroups(image,
                DeleteGroupsRequest.newBuilder().addGroupIds(G).build()), BrookException.class);
        assertThat(notEmpty.code()).isEqualTo(ErrorCode.GROUP_NOT_EMPTY);
        m.leave();
        assertThat(group().emptySinceMs()).isEqualTo(42_000);
        BrookException missing = catchThrowableOfType(() -> coordinator.deleteGroups(image,
                DeleteGroupsRequest.newBuilder().addGroupIds(G).addGroupIds("nope").build()), BrookException.class);
        assertThat(missing.code()).isEqualTo(ErrorCode.GROUP_ID_NOT_FOUND);
        ControllerResult<?> r = coordinator.deleteGroups(image, DeleteGroupsRequest.newBuilder().addGroupIds(G).build());
        apply(r.records());
        assertThat(image.groups()).isEmpty();
    }

    @Test
    void sessionsAreFreshAfterActivation() {
        createTopic("orders", 1);
        Member m = member("orders");
        settle(List.of(m));
        now += 60_000;
        coordinator.onActivated(image, now);
        assertThat(coordinator.anyExpired(image, now + SETTINGS.sessionTimeoutMs() - 1)).isFalse();
        assertThat(coordinator.anyExpired(image, now + SETTINGS.sessionTimeoutMs())).isTrue();
    }

}
