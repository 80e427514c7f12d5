package io.brook.clients.testing;

import io.brook.proto.common.v1.ErrorCode;
import io.brook.proto.errors.WireErrors;
import io.brook.proto.v1.BrokerEndpoint;
import io.brook.proto.v1.BrokerServiceGrpc;
import io.brook.proto.v1.CommittedOffset;
import io.brook.proto.v1.ConsumerGroupHeartbeatRequest;
import io.brook.proto.v1.ConsumerGroupHeartbeatResponse;
import io.brook.proto.v1.DeleteGroupRequest;
import io.brook.proto.v1.DeleteGroupResponse;
import io.brook.proto.v1.DescribeGroupRequest;
import io.brook.proto.v1.DescribeGroupResponse;
import io.brook.proto.v1.FetchRequest;
import io.brook.proto.v1.FetchResponse;
import io.brook.proto.v1.GroupListing;
import io.brook.proto.v1.GroupMemberDescription;
import io.brook.proto.v1.GroupPartitionOffset;
import io.brook.proto.v1.GroupServiceGrpc;
import io.brook.proto.v1.GroupTopicPartitions;
import io.brook.proto.v1.ListGroupsRequest;
import io.brook.proto.v1.ListGroupsResponse;
import io.brook.proto.v1.ListOffsetsRequest;
import io.brook.proto.v1.ListOffsetsResponse;
import io.brook.proto.v1.MetadataRequest;
import io.brook.proto.v1.MetadataResponse;
import io.brook.proto.v1.OffsetCommitPartition;
import io.brook.proto.v1.OffsetCommitRequest;
import io.brook.proto.v1.OffsetCommitResponse;
import io.brook.proto.v1.OffsetFetchRequest;
import io.brook.proto.v1.OffsetFetchResponse;
import io.brook.proto.v1.PartitionMetadata;
import io.brook.proto.v1.TopicMetadata;
import io.brook.storage.TopicPartition;
import io.brook.storage.record.RecordBatchBuilder;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * A one-broker fake of Brook's {@code BrokerService} (Metadata, ListOffsets, Fetch) and {@code
 * GroupService}, on a real gRPC server on a loopback port, that implements the consumer-group
 * protocol simply and records every request. Group logic: members sorted by id share the
 * partitions of their subscribed topics round-robin (the target); a member's answer holds its target
 * partitions that no other member reports owning, so a partition moves only after its old owner
 * heartbeated without it (KIP-848's revoke-then-assign). Tests inject errors per member or per
 * call.
 */
public final class FakeBrook implements AutoCloseable {
  /** A request as the fake received it, with the time it arrived. */
  public record Received<T>(T request, long atMs) {}

  /** A heartbeat answer as sent, with the time. */
  public record Answered(String memberId, Set<TopicPartition> assignment, long atMs) {}

  private static final class Member {
    String id;
    int epoch;
    String instanceId;
    String clientId;
    List<String> topics = List.of();
    String regex = "";
    Set<TopicPartition> owned = Set.of();
  }

  private static final class Group {
    final Map<String, Member> members = new TreeMap<>();
    final Map<TopicPartition, Long> offsets = new TreeMap<>((a, b) -> a.topic().equals(b.topic())
        ? Integer.compare(a.partition(), b.partition()) : a.topic().compareTo(b.topic()));
    int epoch;
  }

  private final Object lock = new Object();
  private final Map<String, Integer> topics = new LinkedHashMap<>();
  private final Map<TopicPartition, List<String>> logs = new HashMap<>();
  private final Map<TopicPartition, Long> logStart = new HashMap<>();
  private final Map<String, Group> groups = new TreeMap<>();
  private final Map<String, ErrorCode> heartbeatErrorsByMember = new HashMap<>();
  public final ConcurrentLinkedQueue<ErrorCode> commitErrors = new ConcurrentLinkedQueue<>();
  public final ConcurrentLinkedQueue<ErrorCode> heartbeatErrors = new ConcurrentLinkedQueue<>();
  public final List<Received<ConsumerGroupHeartbeatRequest>> heartbeats = new CopyOnWriteArrayList<>();
  public final List<Answered> answers = new CopyOnWriteArrayList<>();
  public final List<Received<OffsetCommitRequest>> commits = new CopyOnWriteArrayList<>();
  public final List<Received<OffsetFetchRequest>> offsetFetches = new CopyOnWriteArrayList<>();
  /**
   * Produce: the next this many produce requests are refused with NOT_ENOUGH_REPLICAS, writing
   * nothing (a leader whose ISR is below min.insync.replicas); each refusal is answered only once
   * the stream's next request has arrived, so the producer has the next batch in flight by then.
   */
  public final java.util.concurrent.atomic.AtomicInteger refuseProduce = new java.util.concurrent.atomic.AtomicInteger();
  /** Produce: the values written per partition, in log order (idempotent duplicates not again). */
  public final Map<TopicPartition, List<String>> produced = new java.util.concurrent.ConcurrentHashMap<>();
  /** Produce: the next sequence expected per partition (one producer id). */
  private final Map<TopicPartition, Integer> nextSequence = new HashMap<>();
  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
  private final Server server;
  private volatile int heartbeatIntervalMs = 200;

  public FakeBrook() throws IOException {
    server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
        .addService(new Broker()).addService(new Groups()).build().start();
  }

  public String address() {
    return "127.0.0.1:" + server.getPort();
  }

  public void heartbeatIntervalMs(int ms) {
    heartbeatIntervalMs = ms;
  }

  /** Creates a topic with {@code partitions} empty partitions. */
  public void createTopic(String name, int partitions) {
    synchronized (lock) {
      topics.put(name, partitions);
      for (int p = 0; p < partitions; p++) {
        logs.put(new TopicPartition(name, p), new ArrayList<>());
        logStart.put(new TopicPartition(name, p), 0L);
      }
    }
  }

  /** Appends values "v0".."v{n-1}" to a partition. */
  public void append(String topic, int partition, int n) {
    synchronized (lock) {
      List<String> log = logs.get(new TopicPartition(topic, partition));
      int base = log.size();
      for (int i = 0; i < n; i++) {
        log.add(topic + "-" + partition + "-" + (base + i));
      }
    }
  }

  public void setLogStart(String topic, int partition, long offset) {
    synchronized (lock) {
      logStart.put(new TopicPartition(topic, partition), offset);
    }
  }

  /** Stores a committed offset as if some member had committed it. */
  public void setCommitted(String group, TopicPartition tp, long offset) {
    synchronized (lock) {
      groups.computeIfAbsent(group, g -> new Group()).offsets.put(tp, offset);
    }
  }

  public Map<TopicPartition, Long> committed(String group) {
    synchronized (lock) {
      Group g = groups.get(group);
      return g == null ? Map.of() : Map.copyOf(g.offsets);
    }
  }

  public Set<String> memberIds(String group) {
    synchronized (lock) {
      Group g = groups.get(group);
      return g == null ? Set.of() : Set.copyOf(g.members.keySet());
    }
  }

  /** The next heartbeat of this member fails with {@code code}; the member is removed for the fencing codes. */
  public void failNextHeartbeatOf(String memberId, ErrorCode code) {
    synchronized (lock) {
      heartbeatErrorsByMember.put(memberId, code);
    }
  }

  /** Bumps the epoch of a member (as if the group moved on), so its commits become stale. */
  public void bumpMemberEpoch(String group, String memberId) {
    synchronized (lock) {
      Group g = groups.get(group);
      g.epoch++;
      g.members.get(memberId).epoch = g.epoch;
    }
  }

  /** Heartbeat requests of one member, in order. */
  public List<Received<ConsumerGroupHeartbeatRequest>> heartbeatsOf(String memberId) {
    return heartbeats.stream().filter(r -> r.request().getMemberId().equals(memberId)).toList();
  }

  public static Set<TopicPartition> toSet(List<GroupTopicPartitions> l) {
    Set<TopicPartition> out = new LinkedHashSet<>();
    for (GroupTopicPartitions t : l) {
      for (int p : t.getPartitionsList()) {
        out.add(new TopicPartition(t.getTopic(), p));
      }
    }
    return out;
  }

  private static <T> void fail(StreamObserver<T> o, ErrorCode code, String message) {
    o.onError(WireErrors.toStatus(code, message));
  }

  private final class Broker extends BrokerServiceGrpc.BrokerServiceImplBase {
    @Override
    public void initProducerId(io.brook.proto.v1.InitProducerIdRequest r,
        StreamObserver<io.brook.proto.v1.InitProducerIdResponse> o) {
      o.onNext(io.brook.proto.v1.InitProducerIdResponse.newBuilder().setProducerId(7).setProducerEpoch(0).build());
      o.onCompleted();
    }

    /**
     * One idempotent producer's batches, checked as the broker does: the next sequence is
     * written, anything else is OUT_OF_ORDER_SEQUENCE (no duplicate cache: not needed here).
     */
    @Override
    public StreamObserver<io.brook.proto.v1.ProduceRequest> produceStream(StreamObserver<io.brook.proto.v1.ProduceResponse> o) {
      List<io.brook.proto.v1.ProduceResponse> deferred = new ArrayList<>();
      return new StreamObserver<>() {
        @Override
        public synchronized void onNext(io.brook.proto.v1.ProduceRequest r) {
          TopicPartition tp = new TopicPartition(r.getTopic(), r.getPartition());
          io.brook.proto.v1.ProduceResponse.Builder answer = io.brook.proto.v1.ProduceResponse.newBuilder()
              .setTopic(r.getTopic()).setPartition(r.getPartition()).setCorrelationId(r.getCorrelationId()).setBaseOffset(-1);
          List<io.brook.proto.v1.ProduceResponse> now = new ArrayList<>(deferred);
          deferred.clear();
          io.brook.storage.record.RecordBatch batch = io.brook.storage.record.RecordBatch.wrap(
              r.getRecordBatches().asReadOnlyByteBuffer());
          synchronized (lock) {
            int expected = nextSequence.getOrDefault(tp, 0);
            List<String> log = produced.computeIfAbsent(tp, k -> new CopyOnWriteArrayList<>());
            if (refuseProduce.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
              deferred.add(answer.setError(io.brook.proto.common.v1.ErrorDetail.newBuilder()
                  .setCode(ErrorCode.NOT_ENOUGH_REPLICAS).setMessage("fake: ISR below min.insync.replicas")).build());
            } else if (batch.baseSequence() != expected) {
              now.add(answer.setError(io.brook.proto.common.v1.ErrorDetail.newBuilder().setCode(ErrorCode.OUT_OF_ORDER_SEQUENCE)
                  .setMessage("fake: sequence " + batch.baseSequence() + " but " + expected + " is next")).build());
            } else {
              answer.setBaseOffset(log.size());
              batch.records().forEach(rec -> log.add(new String(rec.value(), StandardCharsets.UTF_8)));
              nextSequence.put(tp, expected + batch.recordCount());
              now.add(answer.build());
            }
          }
          now.forEach(o::onNext);
        }

        @Override
        public void onError(Throwable t) {
        }

        @Override
        public synchronized void onCompleted() {
          deferred.forEach(o::onNext);
          o.onCompleted();
        }
      };
    }

    @Override
    public void metadata(MetadataRequest request, StreamObserver<MetadataResponse> o) {
      MetadataResponse.Builder b = MetadataResponse.newBuilder().setControllerId(1).setClusterId("fake")
          .addBrokers(BrokerEndpoint.newBuilder().setId(1).setHost("127.0.0.1").setPort(server.getPort()));
      synchronized (lock) {
        List<String> wanted = request.getTopicsCount() == 0 ? new ArrayList<>(topics.keySet()) : request.getTopicsList();
        for (String t : wanted) {
          Integer n = topics.get(t);
          if (n == null) {
            b.addTopics(TopicMetadata.newBuilder().setName(t).setError(io.brook.proto.common.v1.ErrorDetail.newBuilder()
                .setCode(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION).setMessage("no topic " + t)));
            continue;
          }
          TopicMetadata.Builder tm = TopicMetadata.newBuilder().setName(t).setTopicId("id-" + t);
          for (int p = 0; p < n; p++) {
            tm.addPartitions(PartitionMetadata.newBuilder().setPartition(p).setLeader(1).addReplicas(1).addIsr(1));
          }
          b.addTopics(tm);
        }
      }
      o.onNext(b.build());
      o.onCompleted();
    }

    @Override
    public void listOffsets(ListOffsetsRequest r, StreamObserver<ListOffsetsResponse> o) {
      long offset;
      synchronized (lock) {
        TopicPartition tp = new TopicPartition(r.getTopic(), r.getPartition());
        List<String> log = logs.get(tp);
        if (log == null) {
          fail(o, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, "no partition " + tp);
          return;
        }
        offset = switch (r.getSpec()) {
          case OFFSET_SPEC_EARLIEST -> logStart.get(tp);
          default -> (long) log.size();
        };
        if (r.getSpec() == io.brook.proto.v1.OffsetSpec.OFFSET_SPEC_TIMESTAMP) {
          offset = -1;
          for (long i = logStart.get(tp); i < log.size(); i++) {
            if (timestampOf(i) >= r.getTimestampMs()) {
              offset = i;
              break;
            }
          }
        }
      }
      o.onNext(ListOffsetsResponse.newBuilder().setOffset(offset).build());
      o.onCompleted();
    }

    @Override
    public void fetch(FetchRequest r, StreamObserver<FetchResponse> o) {
      TopicPartition tp = new TopicPartition(r.getTopic(), r.getPartition());
      FetchResponse resp;
      synchronized (lock) {
        List<String> log = logs.get(tp);
        if (log == null) {
          fail(o, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, "no partition " + tp);
          return;
        }
        if (r.getOffset() < logStart.get(tp) || r.getOffset() > log.size()) {
          fail(o, ErrorCode.OFFSET_OUT_OF_RANGE, "offset " + r.getOffset() + " out of range");
          return;
        }
        FetchResponse.Builder b = FetchResponse.newBuilder().setTopic(tp.topic()).setPartition(tp.partition())
            .setHighWatermark(log.size()).setLogEndOffset(log.size()).setLogStartOffset(logStart.get(tp));
        if (r.getOffset() < log.size()) {
          RecordBatchBuilder bb = new RecordBatchBuilder().baseOffset(r.getOffset());
          for (long i = r.getOffset(); i < log.size(); i++) {
            bb.append(timestampOf(i), null, log.get((int) i).getBytes(StandardCharsets.UTF_8));
          }
          b.setRecordBatches(com.google.protobuf.ByteString.copyFrom(bb.build())).setNextOffset(log.size());
          resp = b.build();
        } else {
          resp = b.setNextOffset(r.getOffset()).build();
        }
      }
      if (resp.getRecordBatches().isEmpty()) {
        // Long poll, shortened: answer empty after a while.
        timer.schedule(() -> {
          o.onNext(resp);
          o.onCompleted();
        }, Math.min(r.getMaxWaitMs(), 50), TimeUnit.MILLISECONDS);
        return;
      }
      o.onNext(resp);
      o.onCompleted();
    }
  }

  /** Record timestamps of the fake: offset i was written at 1_000_000 + i * 1000 ms. */
  public static long timestampOf(long offset) {
    return 1_000_000L + offset * 1_000L;
  }

  private final class Groups extends GroupServiceGrpc.GroupServiceImplBase {
    @Override
    public void consumerGroupHeartbeat(ConsumerGroupHeartbeatRequest r, StreamObserver<ConsumerGroupHeartbeatResponse> o) {
      heartbeats.add(new Received<>(r, System.currentTimeMillis()));
      ErrorCode injected = heartbeatErrors.poll();
      if (injected != null) {
        fail(o, injected, "injected");
        return;
      }
      ConsumerGroupHeartbeatResponse resp;
      synchronized (lock) {
        Group g = groups.computeIfAbsent(r.getGroupId(), id -> new Group());
        ErrorCode byMember = heartbeatErrorsByMember.remove(r.getMemberId());
        if (byMember != null) {
          if (byMember == ErrorCode.UNKNOWN_MEMBER_ID || byMember == ErrorCode.FENCED_MEMBER_EPOCH) {
            g.members.remove(r.getMemberId());
          }
          fail(o, byMember, "injected for member " + r.getMemberId());
          return;
        }
        if (r.getMemberEpoch() < 0) {
          g.members.remove(r.getMemberId());
          g.epoch++;
          o.onNext(ConsumerGroupHeartbeatResponse.newBuilder().setMemberId(r.getMemberId()).setMemberEpoch(r.getMemberEpoch()).build());
          o.onCompleted();
          return;
        }
        Member m;
        if (r.getMemberEpoch() == 0) {
          String id = r.getMemberId().isEmpty() ? UUID.randomUUID().toString() : r.getMemberId();
          m = new Member();
          m.id = id;
          g.epoch++;
          m.epoch = g.epoch;
          g.members.put(id, m);
        } else {
          m = g.members.get(r.getMemberId());
          if (m == null) {
            fail(o, ErrorCode.UNKNOWN_MEMBER_ID, "no member " + r.getMemberId());
            return;
          }
          if (m.epoch != r.getMemberEpoch()) {
            fail(o, ErrorCode.FENCED_MEMBER_EPOCH, "epoch " + r.getMemberEpoch() + " is not " + m.epoch);
            return;
          }
        }
        m.instanceId = r.getInstanceId();
        m.clientId = r.getClientId();
        m.topics = List.copyOf(r.getSubscribedTopicNamesList());
        m.regex = r.getSubscribedTopicRegex();
        m.owned = toSet(r.getOwnedPartitionsList());
        Set<TopicPartition> assignment = new LinkedHashSet<>();
        for (TopicPartition tp : target(g).getOrDefault(m.id, List.of())) {
          boolean ownedByOther = g.members.values().stream().anyMatch(x -> x != m && x.owned.contains(tp));
          if (!ownedByOther) {
            assignment.add(tp);
          }
        }
        Map<String, List<Integer>> byTopic = new TreeMap<>();
        assignment.forEach(tp -> byTopic.computeIfAbsent(tp.topic(), t -> new ArrayList<>()).add(tp.partition()));
        ConsumerGroupHeartbeatResponse.Builder b = ConsumerGroupHeartbeatResponse.newBuilder().setMemberId(m.id)
            .setMemberEpoch(m.epoch).setHeartbeatIntervalMs(heartbeatIntervalMs).setSessionTimeoutMs(10_000);
        byTopic.forEach((t, ps) -> b.addAssignment(GroupTopicPartitions.newBuilder().setTopic(t).setTopicId("id-" + t).addAllPartitions(ps)));
        resp = b.build();
        answers.add(new Answered(m.id, Set.copyOf(assignment), System.currentTimeMillis()));
      }
      o.onNext(resp);
      o.onCompleted();
    }

    /** Round-robin of every subscribed partition over the members sorted by id. */
    private Map<String, List<TopicPartition>> target(Group g) {
      List<TopicPartition> all = new ArrayList<>();
      Set<String> subscribed = new java.util.TreeSet<>();
      for (Member m : g.members.values()) {
        subscribed.addAll(m.topics);
        if (!m.regex.isEmpty()) {
          topics.keySet().stream().filter(t -> t.matches(m.regex)).forEach(subscribed::add);
        }
      }
      for (String t : subscribed) {
        for (int p = 0; p < topics.getOrDefault(t, 0); p++) {
          all.add(new TopicPartition(t, p));
        }
      }
      List<String> ids = new ArrayList<>(g.members.keySet());
      Map<String, List<TopicPartition>> out = new HashMap<>();
      for (int i = 0; i < all.size() && !ids.isEmpty(); i++) {
        out.computeIfAbsent(ids.get(i % ids.size()), k -> new ArrayList<>()).add(all.get(i));
      }
      return out;
    }

    @Override
    public void offsetCommit(OffsetCommitRequest r, StreamObserver<OffsetCommitResponse> o) {
      commits.add(new Received<>(r, System.currentTimeMillis()));
      ErrorCode injected = commitErrors.poll();
      if (injected != null) {
        fail(o, injected, "injected");
        return;
      }
      synchronized (lock) {
        Group g = groups.computeIfAbsent(r.getGroupId(), id -> new Group());
        if (r.getMemberId().isEmpty() && r.getMemberEpoch() == -1) {
          if (!g.members.isEmpty()) {
            fail(o, ErrorCode.GROUP_NOT_EMPTY, "group " + r.getGroupId() + " has members");
            return;
          }
        } else {
          Member m = g.members.get(r.getMemberId());
          if (m == null) {
            fail(o, ErrorCode.UNKNOWN_MEMBER_ID, "no member " + r.getMemberId());
            return;
          }
          if (r.getMemberEpoch() < m.epoch) {
            fail(o, ErrorCode.STALE_MEMBER_EPOCH, "epoch " + r.getMemberEpoch() + " < " + m.epoch);
            return;
          }
        }
        for (OffsetCommitPartition p : r.getPartitionsList()) {
          g.offsets.put(new TopicPartition(p.getTopic(), p.getPartition()), p.getOffset());
        }
      }
      o.onNext(OffsetCommitResponse.getDefaultInstance());
      o.onCompleted();
    }

    @Override
    public void offsetFetch(OffsetFetchRequest r, StreamObserver<OffsetFetchResponse> o) {
      offsetFetches.add(new Received<>(r, System.currentTimeMillis()));
      OffsetFetchResponse.Builder b = OffsetFetchResponse.newBuilder();
      synchronized (lock) {
        Group g = groups.get(r.getGroupId());
        if (g != null) {
          g.offsets.forEach((tp, off) -> {
            if (r.getTopicsCount() == 0 || r.getTopicsList().contains(tp.topic())) {
              b.addOffsets(CommittedOffset.newBuilder().setTopic(tp.topic()).setPartition(tp.partition()).setOffset(off).setLeaderEpoch(-1));
            }
          });
        }
      }
      o.onNext(b.build());
      o.onCompleted();
    }

    @Override
    public void listGroups(ListGroupsRequest r, StreamObserver<ListGroupsResponse> o) {
      ListGroupsResponse.Builder b = ListGroupsResponse.newBuilder();
      synchronized (lock) {
        groups.forEach((id, g) -> b.addGroups(GroupListing.newBuilder().setGroupId(id)
            .setState(g.members.isEmpty() ? "Empty" : "Stable").setMembers(g.members.size())));
      }
      o.onNext(b.build());
      o.onCompleted();
    }

    @Override
    public void describeGroup(DescribeGroupRequest r, StreamObserver<DescribeGroupResponse> o) {
      DescribeGroupResponse.Builder b = DescribeGroupResponse.newBuilder().setGroupId(r.getGroupId()).setCoordinator(1);
      synchronized (lock) {
        Group g = groups.get(r.getGroupId());
        if (g == null) {
          fail(o, ErrorCode.GROUP_ID_NOT_FOUND, "no group " + r.getGroupId());
          return;
        }
        b.setState(g.members.isEmpty() ? "Empty" : "Stable").setGroupEpoch(g.epoch).setAssignmentEpoch(g.epoch).setAssignor("uniform");
        Map<TopicPartition, String> owners = new HashMap<>();
        for (Member m : g.members.values()) {
          List<TopicPartition> owned = new ArrayList<>(m.owned);
          Collections.sort(owned, (x, y) -> x.topic().equals(y.topic()) ? Integer.compare(x.partition(), y.partition()) : x.topic().compareTo(y.topic()));
          b.addMembers(GroupMemberDescription.newBuilder().setMemberId(m.id).setInstanceId(m.instanceId).setClientId(m.clientId)
              .setClientHost("/127.0.0.1").setMemberEpoch(m.epoch).addAllSubscribedTopicNames(m.topics)
              .addAllAssignment(io.brook.clients.internals.GroupMembership.toWire(owned, Map.of())).setState("Stable"));
          owned.forEach(tp -> owners.put(tp, m.id));
        }
        Set<TopicPartition> parts = new java.util.TreeSet<>((x, y) -> x.topic().equals(y.topic()) ? Integer.compare(x.partition(), y.partition()) : x.topic().compareTo(y.topic()));
        parts.addAll(g.offsets.keySet());
        parts.addAll(owners.keySet());
        for (TopicPartition tp : parts) {
          long end = logs.getOrDefault(tp, List.of()).size();
          long committed = g.offsets.getOrDefault(tp, -1L);
          long lag = committed < 0 ? end - logStart.getOrDefault(tp, 0L) : end - committed;
          b.addOffsets(GroupPartitionOffset.newBuilder().setTopic(tp.topic()).setPartition(tp.partition()).setCommitted(committed)
              .setLogEnd(end).setLag(lag).setLagMs(lag == 0 ? 0 : 5_000).setMemberId(owners.getOrDefault(tp, "")));
        }
      }
      o.onNext(b.build());
      o.onCompleted();
    }

    @Override
    public void deleteGroup(DeleteGroupRequest r, StreamObserver<DeleteGroupResponse> o) {
      synchronized (lock) {
        Group g = groups.get(r.getGroupId());
        if (g == null) {
          fail(o, ErrorCode.GROUP_ID_NOT_FOUND, "no group " + r.getGroupId());
          return;
        }
        if (!g.members.isEmpty()) {
          fail(o, ErrorCode.GROUP_NOT_EMPTY, "group " + r.getGroupId() + " has members");
          return;
        }
        groups.remove(r.getGroupId());
      }
      o.onNext(DeleteGroupResponse.getDefaultInstance());
      o.onCompleted();
    }
  }

  @Override
  public void close() throws InterruptedException {
    server.shutdownNow();
    server.awaitTermination(5, TimeUnit.SECONDS);
    timer.shutdownNow();
  }
}
