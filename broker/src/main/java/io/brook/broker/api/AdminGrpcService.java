package io.brook.broker.api;

import io.brook.broker.config.TopicConfigs;
import io.brook.broker.group.OffsetsTopic;
import io.brook.broker.partition.PartitionHost;
import io.brook.metadata.client.MetadataClient;
import io.brook.metadata.image.MetadataImage;
import io.brook.metadata.image.TopicImage;
import io.brook.proto.common.v1.ErrorCode;
import io.brook.proto.errors.BrookException;
import io.brook.proto.errors.WireErrors;
import io.brook.proto.metadata.v1.CreatableTopic;
import io.brook.proto.metadata.v1.CreateTopicsRequest;
import io.brook.proto.metadata.v1.DeleteTopicsRequest;
import io.brook.proto.metadata.v1.DescribeQuorumResponse;
import io.brook.proto.metadata.v1.BrokerState;
import io.brook.proto.metadata.v1.QuorumVoter;
import io.brook.metadata.image.BrokerRegistration;
import io.brook.proto.v1.AdminServiceGrpc;
import io.brook.proto.v1.AlterTopicConfigRequest;
import io.brook.proto.v1.AlterTopicConfigResponse;
import io.brook.proto.v1.BrokerEndpoint;
import io.brook.proto.v1.CreatePartitionsRequest;
import io.brook.proto.v1.CreatePartitionsResponse;
import io.brook.proto.v1.CreateTopicRequest;
import io.brook.proto.v1.CreateTopicResponse;
import io.brook.proto.v1.DeleteTopicRequest;
import io.brook.proto.v1.DeleteTopicResponse;
import io.brook.proto.v1.DescribeClusterRequest;
import io.brook.proto.v1.DescribeClusterResponse;
import io.brook.proto.v1.DescribeTopicRequest;
import io.brook.proto.v1.DescribeTopicResponse;
import io.brook.proto.v1.ListTopicsRequest;
import io.brook.proto.v1.ListTopicsResponse;
import io.brook.proto.v1.Voter;
import io.brook.storage.TopicPartition;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Predicate;

/**
 * The admin API of a broker. Topic changes go to the active controller through the node's
 * {@link MetadataClient} and are answered once this broker's own metadata shows them, so a client
 * that creates a topic and then produces to it finds it. Reads answer from the local image.
 *
 * <p>Threading: stateless; blocking calls run on gRPC's executor threads.
 */
public final class AdminGrpcService extends AdminServiceGrpc.AdminServiceImplBase {
  private static final Duration PROPAGATION_TIMEOUT = Duration.ofSeconds(15);

  private final PartitionHost host;
  private final MetadataClient metadata;
  private final String clusterId;
  private final int defaultPartitions;
  private final int defaultReplicationFactor;

  public AdminGrpcService(PartitionHost host, MetadataClient metadata, String clusterId, int defaultPartitions,
      int defaultReplicationFactor) {
    this.host = host;
    this.metadata = metadata;
    this.clusterId = clusterId;
    this.defaultPartitions = defaultPartitions;
    this.defaultReplicationFactor = defaultReplicationFactor;
  }

  private static <T> void answer(StreamObserver<T> out, Callable<T> body) {
    T result;
    try {
      result = body.call();
    } catch (Exception e) {
      out.onError(WireErrors.toStatus(Errors.toBrook(e).toDetail()));
      return;
    }
    out.onNext(result);
    out.onCompleted();
  }

  /**
   * Refuses a name no topic can have (Kafka's rule: 1 to 249 of {@code [a-zA-Z0-9._-]}) with
   * INVALID_REQUEST before anything looks it up, forwards it or repeats it in an answer.
   */
  private static void requireLegalTopicName(String name) {
    String problem = TopicPartition.topicNameProblem(name);
    if (problem != null) {
      throw new BrookException(ErrorCode.INVALID_REQUEST, problem);
    }
  }

  @Override
  public void createTopic(CreateTopicRequest req, StreamObserver<CreateTopicResponse> out) {
    answer(out, () -> {
      requireLegalTopicName(req.getName());
      int partitions = req.getPartitions() > 0 ? req.getPartitions() : defaultPartitions;
      int rf = req.getReplicationFactor() > 0 ? req.getReplicationFactor() : defaultReplicationFactor;
      if (req.getPartitions() < 0) {
        throw new BrookException(ErrorCode.INVALID_PARTITIONS, "partitions must be positive, got " + req.getPartitions());
      }
      if (req.getReplicationFactor() < 0) {
        throw new BrookException(ErrorCode.INVALID_REPLICATION_FACTOR, "replication factor must be positive, got " + req.getReplicationFactor());
      }
      TopicConfigs.parse(req.getConfigsMap()); // INVALID_CONFIG naming the key, before anything is written
      metadata.createTopics(CreateTopicsRequest.newBuilder().setValidateOnly(req.getValidateOnly())
          .addTopics(CreatableTopic.newBuilder().setName(req.getName()).setPartitions(partitions)
              .setReplicationFactor(rf).putAllConfigs(req.getConfigsMap()))
          .build());
      if (req.getValidateOnly()) {
        return CreateTopicResponse.getDefaultInstance();
      }
      TopicImage t = awaitLocal(img -> img.topicByName(req.getName()).isPresent()).topicByName(req.getName()).orElseThrow();
      return CreateTopicResponse.newBuilder().setTopic(MetadataViews.topic(t)).build();
    });
  }

  @Override
  public void deleteTopic(DeleteTopicRequest req, StreamObserver<DeleteTopicResponse> out) {
    answer(out, () -> {
      requireLegalTopicName(req.getName());
      OffsetsTopic.refuseClientChange(req.getName(), "delete");
      metadata.deleteTopics(DeleteTopicsRequest.newBuilder().addNames(req.getName()).build());
      awaitLocal(img -> img.topicByName(req.getName()).isEmpty());
      return DeleteTopicResponse.getDefaultInstance();
    });
  }

  /** Reads from this broker's image are refused while it may be stale (see PartitionHost#serveOnlyWhile). */
  private void requireFreshImage() {
    if (!host.isServing()) {
      throw new BrookException(ErrorCode.LEADER_NOT_AVAILABLE,
          "broker " + host.brokerId() + " is fenced or out of contact with the controller; its metadata may be stale");
    }
  }

  @Override
  public void listTopics(ListTopicsRequest req, StreamObserver<ListTopicsResponse> out) {
    answer(out, () -> {
      requireFreshImage();
      return ListTopicsResponse.newBuilder()
          .addAllNames(MetadataViews.topicNames(host.image(), req.getIncludeInternal())).build();
    });
  }

  @Override
  public void describeTopic(DescribeTopicRequest req, StreamObserver<DescribeTopicResponse> out) {
    answer(out, () -> {
      requireFreshImage();
      requireLegalTopicName(req.getName());
      TopicImage t = host.image().topicByName(req.getName()).orElseThrow(() ->
          new BrookException(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, "topic '" + req.getName() + "' does not exist"));
      return DescribeTopicResponse.newBuilder().setTopic(MetadataViews.topic(t))
          .putAllConfigs(TopicConfigs.parse(t.configs()).asStrings()).putAllOverrides(t.configs()).build();
    });
  }

  @Override
  public void createPartitions(CreatePartitionsRequest req, StreamObserver<CreatePartitionsResponse> out) {
    answer(out, () -> {
      requireLegalTopicName(req.getName());
      OffsetsTopic.refuseClientChange(req.getName(), "add partitions to");
      metadata.createPartitions(req.getName(), req.getTotalPartitions());
      TopicImage t = awaitLocal(img -> img.topicByName(req.getName())
          .map(x -> x.partitions().size() >= req.getTotalPartitions()).orElse(false))
          .topicByName(req.getName()).orElseThrow();
      return CreatePartitionsResponse.newBuilder().setTopic(MetadataViews.topic(t)).build();
    });
  }

  @Override
  public void electLeaders(io.brook.proto.v1.ElectLeadersRequest req, StreamObserver<io.brook.proto.v1.ElectLeadersResponse> out) {
    answer(out, () -> {
      io.brook.proto.v1.ElectLeadersResponse r = metadata.electLeaders(req);
      long elected = r.getResultsList().stream().filter(x -> !x.hasError()).count();
      if (elected > 0) {
        // Answer once this broker's image shows the new leaders, as the other admin calls do.
        awaitLocal(img -> r.getResultsList().stream().filter(x -> !x.hasError()).allMatch(x -> img.topicByName(x.getTopic())
            .map(t -> t.partition(x.getPartition())).map(p -> p.leader() == x.getLeader()).orElse(true)));
      }
      return r;
    });
  }

  @Override
  public void alterPartitionReassignments(io.brook.proto.v1.AlterPartitionReassignmentsRequest req,
                                          StreamObserver<io.brook.proto.v1.AlterPartitionReassignmentsResponse> out) {
    answer(out, () -> {
      for (io.brook.proto.v1.ReassignablePartition p : req.getPartitionsList()) {
        requireLegalTopicName(p.getTopic());
      }
      io.brook.proto.v1.AlterPartitionReassignmentsResponse r = metadata.alterPartitionReassignments(req);
      java.util.Set<String> accepted = new java.util.HashSet<>();
      r.getResultsList().stream().filter(x -> !x.hasError()).forEach(x -> accepted.add(x.getTopic() + "\u0000" + x.getPartition()));
      // Answer once this broker's image shows each accepted change (target set, or cancelled).
      awaitLocal(img -> req.getPartitionsList().stream()
          .filter(p -> accepted.contains(p.getTopic() + "\u0000" + p.getPartition()))
          .allMatch(p -> img.topicByName(p.getTopic()).map(t -> t.partition(p.getPartition())).map(reg -> p.getCancel()
              ? !reg.isReassigning() : reg.targetReplicas().equals(p.getReplicasList())).orElse(true)));
      return r;
    });
  }

  @Override
  public void listPartitionReassignments(io.brook.proto.v1.ListPartitionReassignmentsRequest req,
                                         StreamObserver<io.brook.proto.v1.ListPartitionReassignmentsResponse> out) {
    answer(out, () -> {
      java.util.Map<String, java.util.Set<Integer>> wanted = new java.util.HashMap<>();
      for (io.brook.proto.v1.TopicPartitions tp : req.getPartitionsList()) {
        wanted.computeIfAbsent(tp.getTopic(), k -> new java.util.HashSet<>()).addAll(tp.getPartitionsList());
      }
      io.brook.proto.v1.ListPartitionReassignmentsResponse.Builder b = io.brook.proto.v1.ListPartitionReassignmentsResponse.newBuilder();
      host.image().topicsById().values().stream().sorted(java.util.Comparator.comparing(TopicImage::name)).forEach(t -> {
        java.util.Set<Integer> only = wanted.get(t.name());
        if (!wanted.isEmpty() && only == null) {
          return;
        }
        t.partitions().values().stream().filter(p -> p.isReassigning())
            .filter(p -> only == null || only.isEmpty() || only.contains(p.partition()))
            .forEach(p -> b.addReassignments(io.brook.proto.v1.OngoingReassignment.newBuilder().setTopic(t.name())
                .setPartition(p.partition()).addAllReplicas(p.replicas()).addAllAddingReplicas(p.addingReplicas())
                .addAllRemovingReplicas(p.removingReplicas()).addAllIsr(p.isr()).setLeader(p.leader())
                .setThrottleBytesPerSecond(p.reassignmentThrottle())));
      });
      return b.build();
    });
  }

  @Override
  public void alterTopicConfig(AlterTopicConfigRequest req, StreamObserver<AlterTopicConfigResponse> out) {
    answer(out, () -> {
      requireLegalTopicName(req.getName());
      TopicImage before = host.image().topicByName(req.getName()).orElseThrow(() ->
          new BrookException(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, "topic '" + req.getName() + "' does not exist"));
      Map<String, String> after = new HashMap<>(before.configs());
      after.putAll(req.getSetMap());
      for (String k : req.getDeleteList()) {
        if (!TopicConfigs.DEFINITION.contains(k)) {
          throw new BrookException(ErrorCode.INVALID_CONFIG, "unknown configuration key: " + k);
        }
        after.remove(k);
      }
      TopicConfigs.parse(after); // the whole result must be a valid config
      Map<String, String> overrides = metadata.alterTopicConfig(req.getName(), req.getSetMap(), req.getDeleteList())
          .getOverridesMap();
      awaitLocal(img -> img.topicByName(req.getName()).map(x -> x.configs().equals(overrides)).orElse(false));
      return AlterTopicConfigResponse.newBuilder().putAllOverrides(overrides).build();
    });
  }

  @Override
  public void describeCluster(DescribeClusterRequest req, StreamObserver<DescribeClusterResponse> out) {
    answer(out, () -> {
      DescribeQuorumResponse q = metadata.describeQuorum();
      DescribeClusterResponse.Builder b = DescribeClusterResponse.newBuilder()
          .setClusterId(q.getClusterId().isEmpty() ? clusterId : q.getClusterId())
          .setLeaderId(q.getLeaderId()).setTerm(q.getTerm()).setCommitIndex(q.getCommitIndex());
      for (QuorumVoter v : q.getVotersList()) {
        b.addVoters(Voter.newBuilder().setId(v.getId()).setAddress(v.getRaftAddress())
            .setLogEndIndex(v.getLogEndIndex()).setLag(v.getLag()).setLastContactMs(v.getLastContactMs()));
      }
      // Brokers as the quorum has them (fresh even when this broker's own image lags).
      for (BrokerState br : q.getBrokersList()) {
        b.addBrokers(BrokerEndpoint.newBuilder().setId(br.getId()).setHost(br.getHost())
            .setPort(br.getPortsOrDefault(BrokerRegistration.GRPC_PORT, 0)).setFenced(br.getFenced()).setRack(br.getRack()));
      }
      return b.build();
    });
  }

  @Override
  public void describeUserScramCredentials(io.brook.proto.v1.DescribeUserScramCredentialsRequest req,
      StreamObserver<io.brook.proto.v1.DescribeUserScramCredentialsResponse> out) {
    answer(out, () -> {
      requireFreshImage();
      return SecurityViews.describeUsers(host.image().security(), req.getUsersList());
    });
  }

  @Override
  public void alterUserScramCredentials(io.brook.proto.v1.AlterUserScramCredentialsRequest req,
      StreamObserver<io.brook.proto.v1.AlterUserScramCredentialsResponse> out) {
    answer(out, () -> {
      io.brook.proto.metadata.v1.AlterScramCredentialsRequest forward = SecurityViews.toControllerRequest(req);
      metadata.alterScramCredentials(forward);
      awaitLocal(img -> SecurityViews.reflects(img.security(), forward));
      return io.brook.proto.v1.AlterUserScramCredentialsResponse.getDefaultInstance();
    });
  }

  @Override
  public void createAcls(io.brook.proto.v1.CreateAclsRequest req, StreamObserver<io.brook.proto.v1.CreateAclsResponse> out) {
    answer(out, () -> {
      io.brook.proto.v1.CreateAclsResponse r = metadata.createAcls(req);
      awaitLocal(img -> img.security().acls().values().containsAll(req.getCreationsList()));
      return r;
    });
  }

  @Override
  public void describeAcls(io.brook.proto.v1.DescribeAclsRequest req, StreamObserver<io.brook.proto.v1.DescribeAclsResponse> out) {
    answer(out, () -> {
      requireFreshImage();
      io.brook.proto.v1.DescribeAclsResponse.Builder b = io.brook.proto.v1.DescribeAclsResponse.newBuilder();
      for (io.brook.proto.v1.AclBinding acl : host.image().security().acls().values()) {
        if (io.brook.metadata.acl.Acls.matches(req.getFilter(), acl)) {
          b.addAcls(acl);
        }
      }
      return b.build();
    });
  }

  @Override
  public void deleteAcls(io.brook.proto.v1.DeleteAclsRequest req, StreamObserver<io.brook.proto.v1.DeleteAclsResponse> out) {
    answer(out, () -> {
      io.brook.proto.v1.DeleteAclsResponse r = metadata.deleteAcls(req);
      awaitLocal(img -> img.security().acls().values().stream().noneMatch(r.getDeletedList()::contains));
      return r;
    });
  }

  private MetadataImage awaitLocal(Predicate<MetadataImage> condition) throws InterruptedException {
    MetadataImage image = host.awaitImage(condition, PROPAGATION_TIMEOUT.toMillis());
    if (image == null) {
      throw new BrookException(ErrorCode.REQUEST_TIMED_OUT, "the change committed but did not reach this broker within "
          + PROPAGATION_TIMEOUT.toSeconds() + " s");
    }
    return image;
  }
}
