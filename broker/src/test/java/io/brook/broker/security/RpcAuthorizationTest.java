package io.brook.broker.security;

import static io.brook.proto.v1.AclOperation.ACL_OPERATION_ALTER;
import static io.brook.proto.v1.AclOperation.ACL_OPERATION_ALTER_CONFIGS;
import static io.brook.proto.v1.AclOperation.ACL_OPERATION_CLUSTER_ACTION;
import static io.brook.proto.v1.AclOperation.ACL_OPERATION_CREATE;
import static io.brook.proto.v1.AclOperation.ACL_OPERATION_DELETE;
import static io.brook.proto.v1.AclOperation.ACL_OPERATION_DESCRIBE;
import static io.brook.proto.v1.AclOperation.ACL_OPERATION_READ;
import static io.brook.proto.v1.AclOperation.ACL_OPERATION_WRITE;
import static io.brook.proto.v1.AclResourceType.ACL_RESOURCE_TYPE_CLUSTER;
import static io.brook.proto.v1.AclResourceType.ACL_RESOURCE_TYPE_GROUP;
import static io.brook.proto.v1.AclResourceType.ACL_RESOURCE_TYPE_TOPIC;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors;
import com.google.protobuf.DynamicMessage;
import io.brook.broker.TestNode;
import io.brook.proto.common.v1.ErrorCode;
import io.brook.proto.errors.BrookException;
import io.brook.proto.errors.WireErrors;
import io.brook.proto.security.Scram;
import io.brook.proto.v1.AclBinding;
import io.brook.proto.v1.AclBindingFilter;
import io.brook.proto.v1.AclOperation;
import io.brook.proto.v1.AclPatternType;
import io.brook.proto.v1.AclPermissionType;
import io.brook.proto.v1.AclResourceType;
import io.brook.proto.v1.AdminServiceGrpc;
import io.brook.proto.v1.AlterUserScramCredentialsRequest;
import io.brook.proto.v1.BrokerServiceGrpc;
import io.brook.proto.v1.CreateAclsRequest;
import io.brook.proto.v1.DeleteAclsRequest;
import io.brook.proto.v1.DescribeAclsRequest;
import io.brook.proto.v1.DescribeTopicRequest;
import io.brook.proto.v1.DescribeUserScramCredentialsRequest;
import io.brook.proto.v1.ListTopicsRequest;
import io.brook.proto.v1.MetadataRequest;
import io.brook.proto.v1.MetadataResponse;
import io.brook.proto.v1.ScramCredentialUpsertion;
import io.brook.proto.v1.ScramMechanism;
import io.brook.proto.v1.TopicMetadata;
import io.grpc.CallCredentials;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.ProtoServiceDescriptorSupplier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every RPC of every service a node serves, against a real node with the authorizer on (one
 * broker + controller; the node's own calls are anonymous, so User:ANONYMOUS stands for the
 * brokers in super.users until inter-node mTLS): a user without the ACL the method needs is
 * refused with PERMISSION_DENIED naming the operation and resource, and nothing changes; with
 * the ACL the same call passes authorization. The expectations below are written independently
 * of {@link RpcAuthorization}; a served method missing from either fails the test.
 */
@Timeout(value = 280, unit = TimeUnit.SECONDS)
class RpcAuthorizationTest {
  private static final String CLUSTER = "kafka-cluster";
  private static final String TOPIC = "t1";
  private static final String GROUP = "g1";
  private static TestNode node;
  private static CallCredentials alice;

  record Grant(AclOperation op, AclResourceType type, String name) {}

  private static Grant topic(AclOperation op) {
    return new Grant(op, ACL_RESOURCE_TYPE_TOPIC, TOPIC);
  }

  private static Grant group(AclOperation op) {
    return new Grant(op, ACL_RESOURCE_TYPE_GROUP, GROUP);
  }

  private static Grant cluster(AclOperation op) {
    return new Grant(op, ACL_RESOURCE_TYPE_CLUSTER, CLUSTER);
  }

  /** What each method needs (Kafka's choices); an empty list: nothing. */
  static final Map<String, List<Grant>> EXPECTED = new LinkedHashMap<>();

  static {
    String b = "brook.v1.BrokerService/";
    EXPECTED.put(b + "Produce", List.of(topic(ACL_OPERATION_WRITE)));
    EXPECTED.put(b + "ProduceStream", List.of(topic(ACL_OPERATION_WRITE)));
    EXPECTED.put(b + "Fetch", List.of(topic(ACL_OPERATION_READ)));
    EXPECTED.put(b + "Consume", List.of(topic(ACL_OPERATION_READ)));
    EXPECTED.put(b + "ListOffsets", List.of(topic(ACL_OPERATION_DESCRIBE)));
    EXPECTED.put(b + "Metadata", List.of());
    EXPECTED.put(b + "InitProducerId", List.of(topic(ACL_OPERATION_WRITE)));
    EXPECTED.put(b + "DeleteRecords", List.of(topic(ACL_OPERATION_DELETE)));
    EXPECTED.put(b + "DescribeLogDirs", List.of(cluster(ACL_OPERATION_DESCRIBE)));
    String a = "brook.v1.AdminService/";
    EXPECTED.put(a + "CreateTopic", List.of(topic(ACL_OPERATION_CREATE)));
    EXPECTED.put(a + "DeleteTopic", List.of(topic(ACL_OPERATION_DELETE)));
    EXPECTED.put(a + "ListTopics", List.of());
    EXPECTED.put(a + "DescribeTopic", List.of(topic(ACL_OPERATION_DESCRIBE)));
    EXPECTED.put(a + "CreatePartitions", List.of(topic(ACL_OPERATION_ALTER)));
    EXPECTED.put(a + "AlterTopicConfig", List.of(topic(ACL_OPERATION_ALTER_CONFIGS)));
    EXPECTED.put(a + "DescribeCluster", List.of());
    EXPECTED.put(a + "ElectLeaders", List.of(cluster(ACL_OPERATION_ALTER)));
    EXPECTED.put(a + "AlterPartitionReassignments", List.of(cluster(ACL_OPERATION_ALTER)));
    EXPECTED.put(a + "ListPartitionReassignments", List.of(cluster(ACL_OPERATION_DESCRIBE)));
    EXPECTED.put(a + "DescribeUserScramCredentials", List.of(cluster(ACL_OPERATION_DESCRIBE)));
    EXPECTED.put(a + "AlterUserScramCredentials", List.of(cluster(ACL_OPERATION_ALTER)));
    EXPECTED.put(a + "CreateAcls", List.of(cluster(ACL_OPERATION_ALTER)));
    EXPECTED.put(a + "DescribeAcls", List.of(cluster(ACL_OPERATION_DESCRIBE)));
    EXPECTED.put(a + "DeleteAcls", List.of(cluster(ACL_OPERATION_ALTER)));
    String g = "brook.v1.GroupService/";
    EXPECTED.put(g + "ConsumerGroupHeartbeat", List.of(group(ACL_OPERATION_READ), topic(ACL_OPERATION_DESCRIBE)));
    EXPECTED.put(g + "OffsetCommit", List.of(group(ACL_OPERATION_READ)));
    EXPECTED.put(g + "OffsetFetch", List.of(group(ACL_OPERATION_DESCRIBE), topic(ACL_OPERATION_DESCRIBE)));
    EXPECTED.put(g + "ListGroups", List.of());
    EXPECTED.put(g + "DescribeGroup", List.of(group(ACL_OPERATION_DESCRIBE)));
    EXPECTED.put(g + "DeleteGroup", List.of(group(ACL_OPERATION_DELETE)));
    EXPECTED.put(g + "FindCoordinator", List.of(group(ACL_OPERATION_DESCRIBE)));
    EXPECTED.put("brook.replication.v1.ReplicationService/Replicate", List.of(cluster(ACL_OPERATION_CLUSTER_ACTION)));
    for (String m : List.of("RegisterBroker", "BrokerHeartbeat", "UnregisterBroker", "AlterPartition", "CreateTopics",
        "DeleteTopics", "AllocateProducerIds", "DescribeQuorum", "WatchMetadata", "CreatePartitions", "AlterTopicConfig",
        "ConsumerGroupHeartbeat", "DeleteGroups", "ElectLeaders", "AlterScramCredentials", "CreateAcls", "DeleteAcls",
        "AlterPartitionReassignments")) {
      EXPECTED.put("brook.metadata.v1.ControllerService/" + m, List.of(cluster(ACL_OPERATION_CLUSTER_ACTION)));
    }
  }

  @BeforeAll
  static void start(@TempDir Path dir) throws Exception {
    node = TestNode.start(dir, Map.of("authorizer.enabled", "true", "super.users", "User:ANONYMOUS;User:admin"));
    node.createTopic(TOPIC, 1, Map.of());
    byte[] salt = Scram.newSalt();
    byte[] salted = Scram.saltedPassword(ScramMechanism.SCRAM_SHA_256, "alice-secret".toCharArray(), salt, 4096);
    admin().alterUserScramCredentials(AlterUserScramCredentialsRequest.newBuilder().addUpsertions(
        ScramCredentialUpsertion.newBuilder().setName("alice").setMechanism(ScramMechanism.SCRAM_SHA_256).setIterations(4096)
            .setSalt(ByteString.copyFrom(salt)).setSaltedPassword(ByteString.copyFrom(salted))).build());
    alice = basic("alice", "alice-secret");
  }

  @AfterAll
  static void stop() {
    if (node != null) {
      node.close();
    }
  }

  static CallCredentials basic(String user, String password) {
    String header = "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    return new CallCredentials() {
      @Override
      public void applyRequestMetadata(RequestInfo info, Executor executor, MetadataApplier applier) {
        Metadata m = new Metadata();
        m.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), header);
        applier.apply(m);
      }
    };
  }

  /** The super user (anonymous here). */
  private static AdminServiceGrpc.AdminServiceBlockingStub admin() {
    return AdminServiceGrpc.newBlockingStub(node.channel).withDeadlineAfter(30, TimeUnit.SECONDS);
  }

  @Test
  void everyServedMethodHasARuleAndAnExpectation() {
    List<String> served = new ArrayList<>();
    for (ServerServiceDefinition s : node.node.grpcServices()) {
      for (ServerMethodDefinition<?, ?> m : s.getMethods()) {
        String name = m.getMethodDescriptor().getFullMethodName();
        served.add(name);
        assertThat(RpcAuthorization.ruleFor(name)).as("authorization rule of " + name).isNotNull();
        if (!RpcAuthorization.OPEN_SERVICES.contains(s.getServiceDescriptor().getName())) {
          assertThat(EXPECTED).as("expectation of " + name).containsKey(name);
        }
      }
    }
    assertThat(served).as("the table names no method the node does not serve").containsAll(RpcAuthorization.RULES.keySet());
    assertThat(RpcAuthorization.RULES).hasSameSizeAs(EXPECTED).hasSize(50);
  }

  /** What came back: a status (OK if the first message arrived), with the Brook error code if any. */
  record Outcome(Status.Code code, ErrorCode error, String message) {
    boolean refused() {
      return code == Status.Code.PERMISSION_DENIED;
    }
  }

  /** Calls {@code method} with a request naming t1 / g1 as {@code who}; waits up to 3 s for a first answer. */
  private static Outcome call(ServerServiceDefinition service, ServerMethodDefinition<?, ?> m, CallCredentials who)
      throws Exception {
    MethodDescriptor<?, ?> served = m.getMethodDescriptor();
    Descriptors.ServiceDescriptor schema = ((ProtoServiceDescriptorSupplier) service.getServiceDescriptor()
        .getSchemaDescriptor()).getServiceDescriptor();
    Descriptors.MethodDescriptor proto = schema.findMethodByName(served.getBareMethodName());
    byte[] request = fill(proto.getInputType()).toByteArray();
    MethodDescriptor<byte[], byte[]> raw = MethodDescriptor.<byte[], byte[]>newBuilder(BYTES, BYTES)
        .setFullMethodName(served.getFullMethodName()).setType(served.getType()).build();
    ClientCall<byte[], byte[]> call = node.channel.newCall(raw, CallOptions.DEFAULT.withCallCredentials(who)
        .withDeadlineAfter(3, TimeUnit.SECONDS));
    CompletableFuture<Outcome> outcome = new CompletableFuture<>();
    call.start(new ClientCall.Listener<>() {
      @Override
      public void onMessage(byte[] message) {
        outcome.complete(new Outcome(Status.Code.OK, null, "answered"));
      }

      @Override
      public void onClose(Status status, Metadata trailers) {
        BrookException e = WireErrors.toException(new StatusRuntimeException(status, trailers));
        outcome.complete(new Outcome(status.getCode(), e.code(), status.getDescription()));
      }
    }, new Metadata());
    call.request(1);
    call.sendMessage(request);
    call.halfClose();
    try {
      return outcome.get(10, TimeUnit.SECONDS);
    } finally {
      call.cancel("done", null);
    }
  }

  private static DynamicMessage fill(Descriptors.Descriptor type) {
    DynamicMessage.Builder b = DynamicMessage.newBuilder(type);
    for (Descriptors.FieldDescriptor f : type.getFields()) {
      if (f.getJavaType() != Descriptors.FieldDescriptor.JavaType.STRING) {
        continue;
      }
      String value = switch (f.getName()) {
        case "topic", "name", "topics", "names", "subscribed_topic_names" -> TOPIC;
        case "group_id" -> GROUP;
        default -> null;
      };
      if (value != null) {
        if (f.isRepeated()) {
          b.addRepeatedField(f, value);
        } else {
          b.setField(f, value);
        }
      }
    }
    return b.build();
  }

  private static final MethodDescriptor.Marshaller<byte[]> BYTES = io.brook.broker.RawGrpc.BYTES;

  private static AclBinding binding(Grant g) {
    return AclBinding.newBuilder().setPrincipal("User:alice").setHost("*").setResourceType(g.type())
        .setResourceName(g.name()).setPatternType(AclPatternType.ACL_PATTERN_TYPE_LITERAL).setOperation(g.op())
        .setPermissionType(AclPermissionType.ACL_PERMISSION_TYPE_ALLOW).build();
  }

  /** Topics, t1's overrides and partitions, ACLs, users and groups, as the super user sees them. */
  private static String state() {
    List<String> topics = admin().listTopics(ListTopicsRequest.newBuilder().setIncludeInternal(true).build()).getNamesList();
    String t1 = topics.contains(TOPIC) ? admin().describeTopic(DescribeTopicRequest.newBuilder().setName(TOPIC).build())
        .getOverridesMap() + " " + admin().describeTopic(DescribeTopicRequest.newBuilder().setName(TOPIC).build())
        .getTopic().getPartitionsCount() : "-";
    return topics + " " + t1 + " "
        + io.brook.proto.v1.GroupServiceGrpc.newBlockingStub(node.channel).withDeadlineAfter(30, TimeUnit.SECONDS)
            .listGroups(io.brook.proto.v1.ListGroupsRequest.getDefaultInstance()).getGroupsList() + " "
        + admin().describeAcls(DescribeAclsRequest.getDefaultInstance()).getAclsList() + " "
        + admin().describeUserScramCredentials(DescribeUserScramCredentialsRequest.getDefaultInstance()).getResultsList();
  }

  @Test
  void withoutItsAclEveryMethodIsRefusedAndChangesNothingWithItItPasses() throws Exception {
    List<Object[]> methods = new ArrayList<>();
    for (ServerServiceDefinition s : node.node.grpcServices()) {
      if (RpcAuthorization.OPEN_SERVICES.contains(s.getServiceDescriptor().getName())) {
        continue;
      }
      for (ServerMethodDefinition<?, ?> m : s.getMethods()) {
        methods.add(new Object[] {s, m});
      }
    }
    // Deletions last: they may remove what the others name.
    methods.sort(Comparator.comparing(o -> ((ServerMethodDefinition<?, ?>) o[1]).getMethodDescriptor().getBareMethodName()
        .startsWith("Delete") ? 1 : 0));
    String before = state();
    int refused = 0;
    for (Object[] o : methods) {
      ServerServiceDefinition s = (ServerServiceDefinition) o[0];
      ServerMethodDefinition<?, ?> m = (ServerMethodDefinition<?, ?>) o[1];
      String name = m.getMethodDescriptor().getFullMethodName();
      List<Grant> needs = EXPECTED.get(name);
      Outcome denied = call(s, m, alice);
      if (needs.isEmpty()) {
        assertThat(denied.refused()).as(name + " needs nothing: " + denied).isFalse();
        continue;
      }
      assertThat(denied.code()).as(name + " without ACLs: " + denied).isEqualTo(Status.Code.PERMISSION_DENIED);
      Grant first = needs.get(0);
      assertThat(denied.error()).as(name).isIn(ErrorCode.TOPIC_AUTHORIZATION_FAILED, ErrorCode.GROUP_AUTHORIZATION_FAILED,
          ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
      assertThat(denied.message()).as(name).contains("User:alice");
      if (!name.endsWith("/InitProducerId")) {
        assertThat(denied.message()).as(name).containsIgnoringCase(first.op().name().substring(14).replace("_", ""))
            .contains(first.name());
      }
      refused++;
      assertThat(state()).as("nothing changed after a refused " + name).isEqualTo(before);

      admin().createAcls(CreateAclsRequest.newBuilder().addAllCreations(needs.stream().map(RpcAuthorizationTest::binding)
          .toList()).build());
      Outcome allowed = call(s, m, alice);
      assertThat(allowed.refused()).as(name + " with " + needs + ": " + allowed).isFalse();
      assertThat(allowed.code()).as(name).isNotEqualTo(Status.Code.UNAUTHENTICATED);
      admin().deleteAcls(DeleteAclsRequest.newBuilder().addFilters(AclBindingFilter.newBuilder()
          .setPrincipal("User:alice")).build());
      before = state();
    }
    assertThat(refused).isEqualTo(46);
  }

  @Test
  void metadataAndListTopicsShowOnlyDescribableTopics() {
    BrokerServiceGrpc.BrokerServiceBlockingStub asAlice = BrokerServiceGrpc.newBlockingStub(node.channel)
        .withCallCredentials(alice).withDeadlineAfter(30, TimeUnit.SECONDS);
    assertThat(asAlice.metadata(MetadataRequest.getDefaultInstance()).getTopicsList()).extracting(TopicMetadata::getName)
        .doesNotContain(TOPIC);
    MetadataResponse named = asAlice.metadata(MetadataRequest.newBuilder().addTopics(TOPIC).addTopics("no-such-topic").build());
    assertThat(named.getTopicsList()).extracting(t -> t.getError().getCode())
        .as("existing or not, an undescribable topic answers the same").containsOnly(ErrorCode.TOPIC_AUTHORIZATION_FAILED);
    AdminServiceGrpc.AdminServiceBlockingStub adminAsAlice = AdminServiceGrpc.newBlockingStub(node.channel)
        .withCallCredentials(alice).withDeadlineAfter(30, TimeUnit.SECONDS);
    assertThat(adminAsAlice.listTopics(ListTopicsRequest.getDefaultInstance()).getNamesList()).doesNotContain(TOPIC);

    AclBinding read = binding(topic(ACL_OPERATION_READ));
    admin().createAcls(CreateAclsRequest.newBuilder().addCreations(read).build());
    try {
      assertThat(asAlice.metadata(MetadataRequest.getDefaultInstance()).getTopicsList()).extracting(TopicMetadata::getName)
          .contains(TOPIC);
      assertThat(adminAsAlice.listTopics(ListTopicsRequest.getDefaultInstance()).getNamesList()).contains(TOPIC);
      assertThat(adminAsAlice.describeTopic(DescribeTopicRequest.newBuilder().setName(TOPIC).build()).getConfigsMap())
          .as("configs need DESCRIBE_CONFIGS").isEmpty();
    } finally {
      admin().deleteAcls(DeleteAclsRequest.newBuilder().addFilters(AclBindingFilter.newBuilder().setPrincipal("User:alice"))
          .build());
    }
  }

  @Test
  void aMethodTheNodeDoesNotServeIsStillUnimplemented() throws Exception {
    MethodDescriptor<byte[], byte[]> none = MethodDescriptor.<byte[], byte[]>newBuilder(BYTES, BYTES)
        .setFullMethodName("brook.v1.BrokerService/NoSuchMethod").setType(MethodDescriptor.MethodType.UNARY).build();
    try {
      io.grpc.stub.ClientCalls.blockingUnaryCall(node.channel, none, CallOptions.DEFAULT.withCallCredentials(alice)
          .withDeadlineAfter(10, TimeUnit.SECONDS), new byte[0]);
      throw new AssertionError("answered");
    } catch (StatusRuntimeException e) {
      assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNIMPLEMENTED);
    }
  }

  @Test
  void aWrongPasswordIsUnauthenticatedEvenForOpenMethods() {
    BrokerServiceGrpc.BrokerServiceBlockingStub wrong = BrokerServiceGrpc.newBlockingStub(node.channel)
        .withCallCredentials(basic("alice", "nope")).withDeadlineAfter(30, TimeUnit.SECONDS);
    try {
      wrong.metadata(MetadataRequest.getDefaultInstance());
      throw new AssertionError("a wrong password was accepted");
    } catch (StatusRuntimeException e) {
      assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
      assertThat(WireErrors.toException(e).code()).isEqualTo(ErrorCode.SASL_AUTHENTICATION_FAILED);
    }
  }
}
