package io.brook.clients.admin;

import io.brook.clients.internals.ChannelPool;
import io.brook.clients.security.ClientSecurityConfig;
import io.brook.clients.internals.GroupClient;
import io.brook.clients.internals.HostPort;
import io.brook.clients.internals.MetadataCache;
import io.brook.proto.common.v1.ErrorCode;
import io.brook.proto.errors.BrookException;
import io.brook.proto.errors.WireErrors;
import io.brook.proto.v1.AdminServiceGrpc;
import io.brook.proto.v1.AlterTopicConfigRequest;
import io.brook.proto.v1.BrokerEndpoint;
import io.brook.proto.v1.BrokerServiceGrpc;
import io.brook.proto.v1.CommittedOffset;
import io.brook.proto.v1.CreatePartitionsRequest;
import io.brook.proto.v1.CreateTopicRequest;
import io.brook.proto.v1.DeleteGroupRequest;
import io.brook.proto.v1.DeleteRecordsRequest;
import io.brook.proto.v1.DeleteTopicRequest;
import io.brook.proto.v1.DescribeGroupRequest;
import io.brook.proto.v1.DescribeLogDirsRequest;
import io.brook.proto.v1.DescribeLogDirsResponse;
import io.brook.proto.v1.DescribeGroupResponse;
import io.brook.proto.v1.DescribeClusterRequest;
import io.brook.proto.v1.DescribeClusterResponse;
import io.brook.proto.v1.DescribeTopicRequest;
import io.brook.proto.v1.DescribeTopicResponse;
import io.brook.proto.v1.GroupListing;
import io.brook.proto.v1.ListGroupsRequest;
import io.brook.proto.v1.ListOffsetsRequest;
import io.brook.proto.v1.ListOffsetsResponse;
import io.brook.proto.v1.ListTopicsRequest;
import io.brook.proto.v1.MetadataRequest;
import io.brook.proto.v1.MetadataResponse;
import io.brook.proto.v1.OffsetCommitPartition;
import io.brook.proto.v1.OffsetCommitRequest;
import io.brook.proto.v1.OffsetFetchRequest;
import io.brook.proto.v1.OffsetSpec;
import io.brook.proto.v1.TopicMetadata;
import io.brook.storage.TopicPartition;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * Administers topics and consumer groups and reads the cluster's state, through any broker (the
 * bootstrap servers are tried in order; a broker forwards topic changes to the active controller
 * and group calls to the group's coordinator). Retriable failures (no controller or coordinator
 * yet, leader moving) are retried until the request timeout. Thread-safe.
 */
public final class Admin implements AutoCloseable {
  private final List<String> bootstrap;
  private final long requestTimeoutMs;
  private final ChannelPool channels;
  private final GroupClient groups;
  private final MetadataCache metadata;

  /**
   * @param bootstrapServers brokers to talk to ({@code host:port})
   * @param requestTimeoutMs how long one operation may take, retries included
   * @throws IllegalArgumentException for no or malformed addresses
   */
  public Admin(List<String> bootstrapServers, long requestTimeoutMs) {
    this(bootstrapServers, requestTimeoutMs, ClientSecurityConfig.PLAINTEXT);
  }

  /**
   * An admin client with client properties (Kafka's names: {@code security.protocol}, {@code
   * ssl.*}, and {@code sasl.mechanism} with {@code sasl.username}/{@code sasl.password} or {@code
   * sasl.jaas.config}; see {@link ClientSecurityConfig}).
   *
   * @throws IllegalArgumentException for no or malformed addresses, or bad security properties
   */
  public Admin(List<String> bootstrapServers, long requestTimeoutMs, Map<String, String> properties) {
    this(bootstrapServers, requestTimeoutMs, ClientSecurityConfig.fromProperties(properties));
  }

  /**
   * @param bootstrapServers brokers to talk to ({@code host:port})
   * @param requestTimeoutMs how long one operation may take, retries included
   * @param security TLS to the brokers and the user to authenticate as ({@code security.protocol},
   *     {@code ssl.*}, {@code sasl.*})
   * @throws IllegalArgumentException for no or malformed addresses
   * @throws io.brook.security.TlsConfigException for TLS files that cannot be loaded
   */
  public Admin(List<String> bootstrapServers, long requestTimeoutMs, ClientSecurityConfig security) {
    if (bootstrapServers.isEmpty()) {
      throw new IllegalArgumentException("no bootstrap servers given");
    }
    bootstrapServers.forEach(HostPort::parse);
    this.bootstrap = List.copyOf(bootstrapServers);
    this.requestTimeoutMs = requestTimeoutMs;
    this.channels = new ChannelPool(security);
    this.groups = new GroupClient(() -> bootstrap, channels);
    this.metadata = new MetadataCache(bootstrap, channels, requestTimeoutMs, 60_000);
  }

  // ------------------------------------------------------------------ consumer groups

  /**
   * Every consumer group of the cluster: each live broker knows the groups in the metadata and those
   * whose offsets it serves, so every unfenced broker is asked and the answers are merged by group
   * id (a listing with members wins over an offsets-only one).
   *
   * @throws BrookException when a live broker does not answer within the request timeout
   */
  public List<GroupListing> listGroups() {
    MetadataCache.Snapshot snap = metadata.refresh(List.of());
    List<String> addresses = new ArrayList<>();
    for (BrokerEndpoint b : snap.brokers().values()) {
      if (!b.getFenced()) {
        addresses.add(b.getHost() + ":" + b.getPort());
      }
    }
    if (addresses.isEmpty()) {
      addresses.addAll(bootstrap);
    }
    Map<String, GroupListing> byId = new TreeMap<>();
    for (String address : addresses) {
      GroupClient one = new GroupClient(() -> List.of(address), channels);
      for (GroupListing g : one.call(s -> s.listGroups(ListGroupsRequest.getDefaultInstance()), requestTimeoutMs).getGroupsList()) {
        byId.merge(g.getGroupId(), g, (a, b) -> b.getMembers() > a.getMembers() || a.getState().isEmpty() ? b : a);
      }
    }
    return List.copyOf(byId.values());
  }

  /**
   * State, members, assignments, committed offsets and lag of a group.
   *
   * @throws BrookException GROUP_ID_NOT_FOUND, INVALID_GROUP_ID, or a timeout
   */
  public DescribeGroupResponse describeGroup(String groupId) {
    return groups.call(s -> s.describeGroup(DescribeGroupRequest.newBuilder().setGroupId(groupId).build()), requestTimeoutMs);
  }

  /**
   * Deletes a group and its committed offsets.
   *
   * @throws BrookException GROUP_NOT_EMPTY while it has members, GROUP_ID_NOT_FOUND
   */
  public void deleteGroup(String groupId) {
    groups.call(s -> s.deleteGroup(DeleteGroupRequest.newBuilder().setGroupId(groupId).build()), requestTimeoutMs);
  }

  /** The group's committed offsets, of every topic (or only {@code topics} when not empty), by topic then partition. */
  public List<CommittedOffset> fetchOffsets(String groupId, List<String> topics) {
    return groups.call(s -> s.offsetFetch(OffsetFetchRequest.newBuilder().setGroupId(groupId).addAllTopics(topics).build()),
        requestTimeoutMs).getOffsetsList();
  }

  /**
   * Commits offsets for a group as a tool (member "" / epoch -1), all or none: what {@code brook
   * groups reset-offsets --execute} does.
   *
   * @throws BrookException GROUP_NOT_EMPTY while the group has members
   */
  public void commitOffsets(String groupId, Map<TopicPartition, Long> offsets) {
    OffsetCommitRequest.Builder b = OffsetCommitRequest.newBuilder().setGroupId(groupId).setMemberId("").setMemberEpoch(-1);
    offsets.forEach((tp, o) -> b.addPartitions(OffsetCommitPartition.newBuilder().setTopic(tp.topic())
        .setPartition(tp.partition()).setOffset(o).setLeaderEpoch(-1)));
    OffsetCommitRequest req = b.build();
    groups.call(s -> s.offsetCommit(req), requestTimeoutMs);
  }

  /**
   * Number of partitions of a topic.
   *
   * @throws BrookException UNKNOWN_TOPIC_OR_PARTITION
   */
  public int partitionCount(String topic) {
    int n = metadata.refresh(List.of(topic)).partitionCount(topic);
    if (n < 0) {
      throw new BrookException(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, "topic '" + topic + "' does not exist");
    }
    return n;
  }

  /**
   * A partition's offset for {@code spec} (earliest = log start, latest = high watermark, or the
   * first at or after {@code timestampMs}), asked of its leader; empty for a timestamp after every
   * record.
   */
  public OptionalLong listOffset(TopicPartition tp, OffsetSpec spec, long timestampMs) {
    ListOffsetsResponse r = onLeader(tp, stub -> stub.listOffsets(ListOffsetsRequest.newBuilder().setTopic(tp.topic())
        .setPartition(tp.partition()).setSpec(spec).setTimestampMs(timestampMs).build()));
    return r.getOffset() < 0 ? OptionalLong.empty() : OptionalLong.of(r.getOffset());
  }

  /**
   * Kafka's DeleteRecords for one partition: its leader makes {@code offset} the log start
   * offset ({@code -1}: the high watermark), so every record before it is gone; followers follow.
   * Retries while the leader is unknown or moving, within the request timeout.
   *
   * @return the partition's log start offset after the call (Kafka's "low watermark")
   * @throws BrookException OFFSET_OUT_OF_RANGE if {@code offset} is above the high watermark,
   *     UNKNOWN_TOPIC_OR_PARTITION, INVALID_REQUEST, or REQUEST_TIMED_OUT
   */
  public long deleteRecords(TopicPartition tp, long offset) {
    return onLeader(tp, stub -> stub.deleteRecords(DeleteRecordsRequest.newBuilder().setTopic(tp.topic())
        .setPartition(tp.partition()).setOffset(offset).build())).getLowWatermark();
  }

  /**
   * Calls {@code call} on the current leader of {@code tp}, retrying retriable errors (after a
   * metadata refresh, with backoff) until the request timeout.
   */
  private <T> T onLeader(TopicPartition tp, java.util.function.Function<BrokerServiceGrpc.BrokerServiceBlockingStub, T> call) {
    long deadline = System.currentTimeMillis() + requestTimeoutMs;
    BrookException last = null;
    for (int attempt = 0; System.currentTimeMillis() < deadline; attempt++) {
      try {
        Optional<BrokerEndpoint> leader = metadata.current(tp.topic()).leader(tp.topic(), tp.partition());
        if (leader.isEmpty()) {
          if (metadata.snapshot().partitionCount(tp.topic()) <= tp.partition()) {
            throw new BrookException(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, "no partition " + tp);
          }
          throw new BrookException(ErrorCode.LEADER_NOT_AVAILABLE, "no leader for " + tp + " right now");
        }
        return call.apply(BrokerServiceGrpc.newBlockingStub(channels.get(leader.get().getHost() + ":" + leader.get().getPort()))
            .withDeadlineAfter(Math.max(1, deadline - System.currentTimeMillis()), TimeUnit.MILLISECONDS));
      } catch (RuntimeException e) {
        last = WireErrors.toException(e);
        if (!last.retriable()) {
          throw last;
        }
        try {
          Thread.sleep(Math.min(50L << Math.min(attempt, 4), 1000L));
          metadata.refresh(List.of(tp.topic()));
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          throw last;
        } catch (BrookException ignored) {
          // try again
        }
      }
    }
    throw last != null ? last : new BrookException(ErrorCode.REQUEST_TIMED_OUT, "no answer within " + requestTimeoutMs + " ms");
  }

  public TopicMetadata createTopic(String name, int partitions, int replicationFactor, Map<String, String> configs) {
    return call(s -> s.createTopic(CreateTopicRequest.newBuilder().setName(name).setPartitions(partitions)
        .setReplicationFactor(replicationFactor).putAllConfigs(configs).build())).getTopic();
  }

  public void deleteTopic(String name) {
    call(s -> s.deleteTopic(DeleteTopicRequest.newBuilder().setName(name).build()));
  }

  public List<String> listTopics(boolean includeInternal) {
    return call(s -> s.listTopics(ListTopicsRequest.newBuilder().setIncludeInternal(includeInternal).build())).getNamesList();
  }

  public DescribeTopicResponse describeTopic(String name) {
    return call(s -> s.describeTopic(DescribeTopicRequest.newBuilder().setName(name).build()));
  }

  public TopicMetadata createPartitions(String name, int totalPartitions) {
    return call(s -> s.createPartitions(CreatePartitionsRequest.newBuilder().setName(name)
        .setTotalPartitions(totalPartitions).build())).getTopic();
  }

  public Map<String, String> alterTopicConfig(String name, Map<String, String> set, List<String> delete) {
    return call(s -> s.alterTopicConfig(AlterTopicConfigRequest.newBuilder().setName(name).putAllSet(set)
        .addAllDelete(delete).build())).getOverridesMap();
  }

  public DescribeClusterResponse describeCluster() {
    return call(s -> s.describeCluster(DescribeClusterRequest.getDefaultInstance()));
  }

  /**
   * Kafka's ElectLeaders: moves leadership to each partition's preferred replica, or (unclean)
   * gives a leaderless partition a leader from its live replicas even outside the ISR.
   *
   * @param partitions the partitions (a topic with no partition numbers = all of its
   *     partitions); empty = every partition of the cluster
   * @return one result per partition: its leader after the call, or why it did not change
   * @throws BrookException INVALID_REQUEST for an unspecified type, or REQUEST_TIMED_OUT
   */
  public io.brook.proto.v1.ElectLeadersResponse electLeaders(io.brook.proto.v1.ElectionType type,
      List<io.brook.proto.v1.TopicPartitions> partitions) {
    return call(s -> s.electLeaders(io.brook.proto.v1.ElectLeadersRequest.newBuilder().setType(type)
        .addAllPartitions(partitions).build()));
  }

  /**
   * Kafka's AlterPartitionReassignments (KIP-455): starts moving each partition to the target
   * replicas of {@code targets} (an empty list cancels the partition's reassignment in progress).
   * Returns once the change is in the answering broker's metadata; the moves then proceed in the
   * background (see {@link #listPartitionReassignments}).
   *
   * @param targets                 partition to target replicas (first = preferred leader), or to
   *                                an empty list to cancel
   * @param throttleBytesPerSecond  the most each new replica fetches per second while it catches
   *                                up; 0 = unthrottled
   * @return one result per partition: no error if accepted, else INVALID_REPLICA_ASSIGNMENT,
   *     UNKNOWN_TOPIC_OR_PARTITION or NO_REASSIGNMENT_IN_PROGRESS (nothing changed for it)
   * @throws BrookException INVALID_REQUEST for too many partitions or a negative throttle
   */
  public io.brook.proto.v1.AlterPartitionReassignmentsResponse alterPartitionReassignments(
      Map<TopicPartition, List<Integer>> targets, long throttleBytesPerSecond) {
    io.brook.proto.v1.AlterPartitionReassignmentsRequest.Builder b = io.brook.proto.v1.AlterPartitionReassignmentsRequest
        .newBuilder().setThrottleBytesPerSecond(throttleBytesPerSecond);
    targets.forEach((tp, replicas) -> b.addPartitions(io.brook.proto.v1.ReassignablePartition.newBuilder()
        .setTopic(tp.topic()).setPartition(tp.partition()).addAllReplicas(replicas).setCancel(replicas.isEmpty())));
    return call(s -> s.alterPartitionReassignments(b.build()));
  }

  /**
   * Kafka's ListPartitionReassignments: the reassignments in progress among {@code partitions}
   * (empty: all), sorted by topic and partition.
   */
  public List<io.brook.proto.v1.OngoingReassignment> listPartitionReassignments(
      List<io.brook.proto.v1.TopicPartitions> partitions) {
    return call(s -> s.listPartitionReassignments(io.brook.proto.v1.ListPartitionReassignmentsRequest.newBuilder()
        .addAllPartitions(partitions).build())).getReassignmentsList();
  }

  /** One broker's answer to {@link #describeLogDirs}: its log directory, or why it did not answer. */
  public record BrokerLogDirs(int brokerId, String address, DescribeLogDirsResponse dirs, BrookException error) {}

  /**
   * Kafka's DescribeLogDirs: asks every registered broker (in id order) for its log directory and
   * the replicas it hosts, of {@code topics} (empty: all). A broker that does not answer within
   * the request timeout is listed with its error rather than failing the whole call.
   */
  public List<BrokerLogDirs> describeLogDirs(List<String> topics) {
    List<BrokerLogDirs> out = new ArrayList<>();
    List<BrokerEndpoint> brokers = new ArrayList<>(describeCluster().getBrokersList());
    brokers.sort(java.util.Comparator.comparingInt(BrokerEndpoint::getId));
    for (BrokerEndpoint b : brokers) {
      String address = b.getHost() + ":" + b.getPort();
      try {
        DescribeLogDirsResponse r = BrokerServiceGrpc.newBlockingStub(channels.get(address))
            .withDeadlineAfter(requestTimeoutMs, TimeUnit.MILLISECONDS)
            .describeLogDirs(DescribeLogDirsRequest.newBuilder().addAllTopics(topics).build());
        out.add(new BrokerLogDirs(b.getId(), address, r, null));
      } catch (RuntimeException e) {
        out.add(new BrokerLogDirs(b.getId(), address, null, WireErrors.toException(e)));
      }
    }
    return out;
  }

  /**
   * The cluster metadata as one broker sees it: brokers, every topic with its partitions (leader,
   * replicas, ISR), the cluster id and the active controller's id. Asks the bootstrap servers in
   * turn until one answers.
   *
   * @throws BrookException the last broker's error (LEADER_NOT_AVAILABLE from a fenced broker) if none answers
   */
  public MetadataResponse clusterMetadata() {
    BrookException last = new BrookException(ErrorCode.LEADER_NOT_AVAILABLE, "no broker answered");
    for (String address : bootstrap) {
      try {
        return BrokerServiceGrpc.newBlockingStub(channels.get(address))
            .withDeadlineAfter(requestTimeoutMs, TimeUnit.MILLISECONDS).metadata(MetadataRequest.getDefaultInstance());
      } catch (RuntimeException e) {
        last = WireErrors.toException(e);
      }
    }
    throw last;
  }

  // ------------------------------------------------------------------ users (SCRAM) and ACLs

  /**
   * Creates or replaces {@code user}'s credential for {@code mechanism} (Kafka's
   * AlterUserScramCredentials upsertion, KIP-554). The salt is random and the salted password
   * (RFC 5802 Hi(), PBKDF2 with {@code iterations} rounds) is computed here, on the client, as
   * Kafka's Admin does; the password itself never leaves this process, and the broker stores only
   * the derived StoredKey and ServerKey.
   *
   * @param iterations 4096..16384 (Kafka's bounds)
   * @throws IllegalArgumentException for iterations out of bounds or an empty password
   * @throws BrookException INVALID_REQUEST, UNSUPPORTED_SASL_MECHANISM, UNACCEPTABLE_CREDENTIAL
   */
  public void upsertScramCredential(String user, io.brook.proto.v1.ScramMechanism mechanism, char[] password, int iterations) {
    io.brook.proto.security.Scram.checkIterations(iterations);
    if (password.length == 0) {
      throw new IllegalArgumentException("the password is empty");
    }
    byte[] salt = io.brook.proto.security.Scram.newSalt();
    byte[] salted = io.brook.proto.security.Scram.saltedPassword(mechanism, password, salt, iterations);
    try {
      alterUserScramCredentials(List.of(io.brook.proto.v1.ScramCredentialUpsertion.newBuilder().setName(user)
          .setMechanism(mechanism).setIterations(iterations).setSalt(com.google.protobuf.ByteString.copyFrom(salt))
          .setSaltedPassword(com.google.protobuf.ByteString.copyFrom(salted)).build()), List.of());
    } finally {
      java.util.Arrays.fill(salted, (byte) 0);
    }
  }

  /**
   * Kafka's AlterUserScramCredentials: all changes in one metadata entry, or none.
   *
   * @throws BrookException RESOURCE_NOT_FOUND for deleting a credential that does not exist,
   *     INVALID_REQUEST, UNSUPPORTED_SASL_MECHANISM, UNACCEPTABLE_CREDENTIAL
   */
  public void alterUserScramCredentials(List<io.brook.proto.v1.ScramCredentialUpsertion> upsertions,
                                        List<io.brook.proto.v1.ScramCredentialDeletion> deletions) {
    io.brook.proto.v1.AlterUserScramCredentialsRequest req = io.brook.proto.v1.AlterUserScramCredentialsRequest.newBuilder()
        .addAllUpsertions(upsertions).addAllDeletions(deletions).build();
    call(s -> s.alterUserScramCredentials(req));
  }

  /**
   * Users and their SCRAM mechanisms and iteration counts (never salts or keys), by name; every
   * user when {@code users} is empty.
   *
   * @throws BrookException RESOURCE_NOT_FOUND for a named user without credentials
   */
  public List<io.brook.proto.v1.UserScramCredentialsDescription> describeUserScramCredentials(List<String> users) {
    return call(s -> s.describeUserScramCredentials(io.brook.proto.v1.DescribeUserScramCredentialsRequest.newBuilder()
        .addAllUsers(users).build())).getResultsList();
  }

  /**
   * Kafka's CreateAcls: all bindings in one metadata entry, or none; existing ones are kept once.
   *
   * @throws BrookException INVALID_REQUEST naming what is wrong with a binding
   */
  public void createAcls(List<io.brook.proto.v1.AclBinding> acls) {
    io.brook.proto.v1.CreateAclsRequest req = io.brook.proto.v1.CreateAclsRequest.newBuilder().addAllCreations(acls).build();
    call(s -> s.createAcls(req));
  }

  /** Kafka's DescribeAcls: the ACLs the filter matches (unset fields match anything). */
  public List<io.brook.proto.v1.AclBinding> describeAcls(io.brook.proto.v1.AclBindingFilter filter) {
    return call(s -> s.describeAcls(io.brook.proto.v1.DescribeAclsRequest.newBuilder().setFilter(filter).build()))
        .getAclsList();
  }

  /** Kafka's DeleteAcls: removes every ACL one of the filters matches; returns those removed. */
  public List<io.brook.proto.v1.AclBinding> deleteAcls(List<io.brook.proto.v1.AclBindingFilter> filters) {
    io.brook.proto.v1.DeleteAclsRequest req = io.brook.proto.v1.DeleteAclsRequest.newBuilder().addAllFilters(filters).build();
    return call(s -> s.deleteAcls(req)).getDeletedList();
  }

  /** Runs one call against the bootstrap servers in turn, retrying retriable failures until the timeout. */
  private <T> T call(Function<AdminServiceGrpc.AdminServiceBlockingStub, T> rpc) {
    long deadline = System.currentTimeMillis() + requestTimeoutMs;
    BrookException last = null;
    int attempt = 0;
    while (true) {
      for (String address : bootstrap) {
        long left = deadline - System.currentTimeMillis();
        if (left <= 0) {
          break;
        }
        // Each broker gets a share of the time, so one that hangs (frozen, cut off) does not eat
        // the whole budget before the others are tried.
        long attemptMs = Math.min(left, Math.max(2_000, requestTimeoutMs / bootstrap.size()));
        try {
          return rpc.apply(AdminServiceGrpc.newBlockingStub(channels.get(address))
              .withDeadlineAfter(attemptMs, TimeUnit.MILLISECONDS));
        } catch (RuntimeException e) {
          last = WireErrors.toException(e);
          if (!last.retriable()) {
            throw last;
          }
        }
      }
      if (System.currentTimeMillis() >= deadline) {
        throw last != null ? last : new BrookException(ErrorCode.REQUEST_TIMED_OUT, "no answer within " + requestTimeoutMs + " ms");
      }
      try {
        Thread.sleep(Math.min(100L << Math.min(attempt++, 4), 1000L));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new BrookException(ErrorCode.REQUEST_TIMED_OUT, "interrupted");
      }
    }
  }

  @Override
  public void close() {
    channels.close();
  }
}
