package io.brook.broker.security;

import static io.brook.proto.v1.AclOperation.ACL_OPERATION_ALTER;
import static io.brook.proto.v1.AclOperation.ACL_OPERATION_ALTER_CONFIGS;
import static io.brook.proto.v1.AclOperation.ACL_OPERATION_CLUSTER_ACTION;
import static io.brook.proto.v1.AclOperation.ACL_OPERATION_CREATE;
import static io.brook.proto.v1.AclOperation.ACL_OPERATION_DELETE;
import static io.brook.proto.v1.AclOperation.ACL_OPERATION_DESCRIBE;
import static io.brook.proto.v1.AclOperation.ACL_OPERATION_DESCRIBE_CONFIGS;
import static io.brook.proto.v1.AclOperation.ACL_OPERATION_READ;
import static io.brook.proto.v1.AclOperation.ACL_OPERATION_WRITE;
import static io.brook.proto.v1.AclResourceType.ACL_RESOURCE_TYPE_CLUSTER;
import static io.brook.proto.v1.AclResourceType.ACL_RESOURCE_TYPE_GROUP;
import static io.brook.proto.v1.AclResourceType.ACL_RESOURCE_TYPE_TOPIC;

import io.brook.proto.common.v1.ErrorCode;
import io.brook.proto.common.v1.ErrorDetail;
import io.brook.proto.metadata.v1.ControllerServiceGrpc;
import io.brook.proto.replication.v1.ReplicationServiceGrpc;
import io.brook.proto.v1.AclOperation;
import io.brook.proto.v1.AclResourceType;
import io.brook.proto.v1.AdminServiceGrpc;
import io.brook.proto.v1.BrokerServiceGrpc;
import io.brook.proto.v1.ConsumerGroupHeartbeatRequest;
import io.brook.proto.v1.ConsumeRequest;
import io.brook.proto.v1.CreatePartitionsRequest;
import io.brook.proto.v1.CreateTopicRequest;
import io.brook.proto.v1.DeleteGroupRequest;
import io.brook.proto.v1.DeleteRecordsRequest;
import io.brook.proto.v1.DeleteTopicRequest;
import io.brook.proto.v1.DescribeGroupRequest;
import io.brook.proto.v1.DescribeTopicRequest;
import io.brook.proto.v1.DescribeTopicResponse;
import io.brook.proto.v1.FetchRequest;
import io.brook.proto.v1.FindCoordinatorRequest;
import io.brook.proto.v1.GroupServiceGrpc;
import io.brook.proto.v1.ListGroupsResponse;
import io.brook.proto.v1.ListOffsetsRequest;
import io.brook.proto.v1.ListTopicsResponse;
import io.brook.proto.v1.MetadataRequest;
import io.brook.proto.v1.MetadataResponse;
import io.brook.proto.v1.OffsetCommitPartition;
import io.brook.proto.v1.OffsetCommitRequest;
import io.brook.proto.v1.OffsetFetchRequest;
import io.brook.proto.v1.OffsetFetchResponse;
import io.brook.proto.v1.ProduceRequest;
import io.brook.proto.v1.TopicMetadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServiceDescriptor;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The authorization decision of every RPC a Brook node serves: for each gRPC method (by full
 * name), the operations on resources it needs, in Kafka's terms (docs/security.md, "ACLs"). The
 * {@link AuthorizationInterceptor} applies it to every call; a method missing here is refused
 * (fail closed), and a test fails when a served method has no entry. Services named here as open
 * (gRPC health and reflection) need nothing.
 *
 * <p>Each rule checks the request before the handler sees it, and may filter the response
 * (Metadata and ListTopics list only the topics the principal may DESCRIBE, as in Kafka;
 * DescribeTopic shows configs only with DESCRIBE_CONFIGS). Streaming requests (ProduceStream,
 * Replicate) are checked message by message.
 */
public final class RpcAuthorization {
  /** Checks one request message; throws a BrookException (PERMISSION_DENIED) to refuse. */
  @FunctionalInterface
  public interface Check {
    void check(Access access, Object request);
  }

  /** Filters one response message (the request is the call's first message, or null). */
  @FunctionalInterface
  public interface Filter {
    Object filter(Access access, Object request, Object response);
  }

  /**
   * @param needs  what the method needs, in words (docs, tests)
   * @param check  the request check
   * @param filter the response filter, or null
   */
  public record Rule(String needs, Check check, Filter filter) {
    Rule(String needs, Check check) {
      this(needs, check, null);
    }
  }

  /** gRPC services every caller may use: health checks and server reflection. */
  public static final Set<String> OPEN_SERVICES = Set.of("grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection",
      "grpc.reflection.v1alpha.ServerReflection");

  /** Full method name to rule. */
  public static final Map<String, Rule> RULES;

  private static final Map<String, Rule> rules = new LinkedHashMap<>();

  private static void rule(MethodDescriptor<?, ?> method, Rule rule) {
    if (rules.put(method.getFullMethodName(), rule) != null) {
      throw new IllegalStateException("two rules for " + method.getFullMethodName());
    }
  }

  private static Rule cluster(AclOperation op) {
    return new Rule(name(op) + " on CLUSTER", (a, r) -> a.require(op, ACL_RESOURCE_TYPE_CLUSTER, Authorizer.CLUSTER));
  }

  private static String name(AclOperation op) {
    return op.name().substring("ACL_OPERATION_".length());
  }

  static {
    // ---- brook.v1.BrokerService
    rule(BrokerServiceGrpc.getProduceMethod(), new Rule("WRITE on TOPIC",
        (a, r) -> a.require(ACL_OPERATION_WRITE, ACL_RESOURCE_TYPE_TOPIC, ((ProduceRequest) r).getTopic())));
    rule(BrokerServiceGrpc.getProduceStreamMethod(), new Rule("WRITE on TOPIC (each request of the stream)",
        (a, r) -> a.require(ACL_OPERATION_WRITE, ACL_RESOURCE_TYPE_TOPIC, ((ProduceRequest) r).getTopic())));
    rule(BrokerServiceGrpc.getFetchMethod(), new Rule("READ on TOPIC",
        (a, r) -> a.require(ACL_OPERATION_READ, ACL_RESOURCE_TYPE_TOPIC, ((FetchRequest) r).getTopic())));
    rule(BrokerServiceGrpc.getConsumeMethod(), new Rule("READ on TOPIC",
        (a, r) -> a.require(ACL_OPERATION_READ, ACL_RESOURCE_TYPE_TOPIC, ((ConsumeRequest) r).getTopic())));
    rule(BrokerServiceGrpc.getListOffsetsMethod(), new Rule("DESCRIBE on TOPIC",
        (a, r) -> a.require(ACL_OPERATION_DESCRIBE, ACL_RESOURCE_TYPE_TOPIC, ((ListOffsetsRequest) r).getTopic())));
    rule(BrokerServiceGrpc.getMetadataMethod(), new Rule("none; lists only topics with DESCRIBE on TOPIC",
        (a, r) -> { }, RpcAuthorization::filterMetadata));
    rule(BrokerServiceGrpc.getInitProducerIdMethod(), new Rule("WRITE on any TOPIC (Kafka's idempotent producer)",
        (a, r) -> a.requireAny(ACL_OPERATION_WRITE, ACL_RESOURCE_TYPE_TOPIC)));
    rule(BrokerServiceGrpc.getDeleteRecordsMethod(), new Rule("DELETE on TOPIC",
        (a, r) -> a.require(ACL_OPERATION_DELETE, ACL_RESOURCE_TYPE_TOPIC, ((DeleteRecordsRequest) r).getTopic())));
    rule(BrokerServiceGrpc.getDescribeLogDirsMethod(), cluster(ACL_OPERATION_DESCRIBE));

    // ---- brook.v1.AdminService
    rule(AdminServiceGrpc.getCreateTopicMethod(), new Rule("CREATE on CLUSTER or on TOPIC", (a, r) -> {
      String t = ((CreateTopicRequest) r).getName();
      if (!a.allowed(ACL_OPERATION_CREATE, ACL_RESOURCE_TYPE_CLUSTER, Authorizer.CLUSTER)) {
        a.require(ACL_OPERATION_CREATE, ACL_RESOURCE_TYPE_TOPIC, t);
      }
    }));
    rule(AdminServiceGrpc.getDeleteTopicMethod(), new Rule("DELETE on TOPIC",
        (a, r) -> a.require(ACL_OPERATION_DELETE, ACL_RESOURCE_TYPE_TOPIC, ((DeleteTopicRequest) r).getName())));
    rule(AdminServiceGrpc.getListTopicsMethod(), new Rule("none; lists only topics with DESCRIBE on TOPIC",
        (a, r) -> { }, (a, req, resp) -> ListTopicsResponse.newBuilder().addAllNames(((ListTopicsResponse) resp)
            .getNamesList().stream().filter(t -> a.allowed(ACL_OPERATION_DESCRIBE, ACL_RESOURCE_TYPE_TOPIC, t)).toList())
            .build()));
    rule(AdminServiceGrpc.getDescribeTopicMethod(), new Rule("DESCRIBE on TOPIC (configs shown with DESCRIBE_CONFIGS)",
        (a, r) -> a.require(ACL_OPERATION_DESCRIBE, ACL_RESOURCE_TYPE_TOPIC, ((DescribeTopicRequest) r).getName()),
        (a, req, resp) -> a.allowed(ACL_OPERATION_DESCRIBE_CONFIGS, ACL_RESOURCE_TYPE_TOPIC,
            ((DescribeTopicRequest) req).getName()) ? resp
            : ((DescribeTopicResponse) resp).toBuilder().clearConfigs().clearOverrides().build()));
    rule(AdminServiceGrpc.getCreatePartitionsMethod(), new Rule("ALTER on TOPIC",
        (a, r) -> a.require(ACL_OPERATION_ALTER, ACL_RESOURCE_TYPE_TOPIC, ((CreatePartitionsRequest) r).getName())));
    rule(AdminServiceGrpc.getAlterTopicConfigMethod(), new Rule("ALTER_CONFIGS on TOPIC",
        (a, r) -> a.require(ACL_OPERATION_ALTER_CONFIGS, ACL_RESOURCE_TYPE_TOPIC,
            ((io.brook.proto.v1.AlterTopicConfigRequest) r).getName())));
    rule(AdminServiceGrpc.getDescribeClusterMethod(), new Rule("none (Kafka's DescribeCluster)", (a, r) -> { }));
    rule(AdminServiceGrpc.getElectLeadersMethod(), cluster(ACL_OPERATION_ALTER));
    // Kafka: AlterPartitionReassignments needs ALTER, ListPartitionReassignments DESCRIBE, on the cluster.
    rule(AdminServiceGrpc.getAlterPartitionReassignmentsMethod(), cluster(ACL_OPERATION_ALTER));
    rule(AdminServiceGrpc.getListPartitionReassignmentsMethod(), cluster(ACL_OPERATION_DESCRIBE));
    rule(AdminServiceGrpc.getDescribeUserScramCredentialsMethod(), cluster(ACL_OPERATION_DESCRIBE));
    rule(AdminServiceGrpc.getAlterUserScramCredentialsMethod(), cluster(ACL_OPERATION_ALTER));
    rule(AdminServiceGrpc.getCreateAclsMethod(), cluster(ACL_OPERATION_ALTER));
    rule(AdminServiceGrpc.getDescribeAclsMethod(), cluster(ACL_OPERATION_DESCRIBE));
    rule(AdminServiceGrpc.getDeleteAclsMethod(), cluster(ACL_OPERATION_ALTER));

    // ---- brook.v1.GroupService
    rule(GroupServiceGrpc.getConsumerGroupHeartbeatMethod(), new Rule("READ on GROUP, DESCRIBE on each subscribed TOPIC",
        (a, r) -> {
          ConsumerGroupHeartbeatRequest h = (ConsumerGroupHeartbeatRequest) r;
          a.require(ACL_OPERATION_READ, ACL_RESOURCE_TYPE_GROUP, h.getGroupId());
          for (String t : h.getSubscribedTopicNamesList()) {
            a.require(ACL_OPERATION_DESCRIBE, ACL_RESOURCE_TYPE_TOPIC, t);
          }
        }));
    rule(GroupServiceGrpc.getOffsetCommitMethod(), new Rule("READ on GROUP, READ on each TOPIC", (a, r) -> {
      OffsetCommitRequest c = (OffsetCommitRequest) r;
      a.require(ACL_OPERATION_READ, ACL_RESOURCE_TYPE_GROUP, c.getGroupId());
      Set<String> seen = new HashSet<>();
      for (OffsetCommitPartition p : c.getPartitionsList()) {
        if (seen.add(p.getTopic())) {
          a.require(ACL_OPERATION_READ, ACL_RESOURCE_TYPE_TOPIC, p.getTopic());
        }
      }
    }));
    rule(GroupServiceGrpc.getOffsetFetchMethod(), new Rule("DESCRIBE on GROUP; offsets only of topics with DESCRIBE",
        (a, r) -> {
          OffsetFetchRequest f = (OffsetFetchRequest) r;
          a.require(ACL_OPERATION_DESCRIBE, ACL_RESOURCE_TYPE_GROUP, f.getGroupId());
          for (String t : f.getTopicsList()) {
            a.require(ACL_OPERATION_DESCRIBE, ACL_RESOURCE_TYPE_TOPIC, t);
          }
        }, (a, req, resp) -> {
          OffsetFetchResponse o = (OffsetFetchResponse) resp;
          return o.toBuilder().clearOffsets().addAllOffsets(o.getOffsetsList().stream()
              .filter(c -> a.allowed(ACL_OPERATION_DESCRIBE, ACL_RESOURCE_TYPE_TOPIC, c.getTopic())).toList()).build();
        }));
    rule(GroupServiceGrpc.getListGroupsMethod(), new Rule("none; lists only groups with DESCRIBE on GROUP",
        (a, r) -> { }, (a, req, resp) -> ListGroupsResponse.newBuilder().addAllGroups(((ListGroupsResponse) resp)
            .getGroupsList().stream().filter(g -> a.allowed(ACL_OPERATION_DESCRIBE, ACL_RESOURCE_TYPE_GROUP,
                g.getGroupId())).toList()).build()));
    rule(GroupServiceGrpc.getDescribeGroupMethod(), new Rule("DESCRIBE on GROUP",
        (a, r) -> a.require(ACL_OPERATION_DESCRIBE, ACL_RESOURCE_TYPE_GROUP, ((DescribeGroupRequest) r).getGroupId())));
    rule(GroupServiceGrpc.getDeleteGroupMethod(), new Rule("DELETE on GROUP",
        (a, r) -> a.require(ACL_OPERATION_DELETE, ACL_RESOURCE_TYPE_GROUP, ((DeleteGroupRequest) r).getGroupId())));
    rule(GroupServiceGrpc.getFindCoordinatorMethod(), new Rule("DESCRIBE on GROUP",
        (a, r) -> a.require(ACL_OPERATION_DESCRIBE, ACL_RESOURCE_TYPE_GROUP, ((FindCoordinatorRequest) r).getGroupId())));

    // ---- brook.replication.v1.ReplicationService and brook.metadata.v1.ControllerService: nodes only.
    for (ServiceDescriptor s : List.of(ReplicationServiceGrpc.getServiceDescriptor(),
        ControllerServiceGrpc.getServiceDescriptor())) {
      for (MethodDescriptor<?, ?> m : s.getMethods()) {
        rule(m, cluster(ACL_OPERATION_CLUSTER_ACTION));
      }
    }
    RULES = Collections.unmodifiableMap(rules);
  }

  private RpcAuthorization() {}

  /** The rule of a method, or null: open services get an empty rule; unknown methods null (refused). */
  public static Rule ruleFor(String fullMethodName) {
    Rule r = RULES.get(fullMethodName);
    if (r != null) {
      return r;
    }
    String service = io.grpc.MethodDescriptor.extractFullServiceName(fullMethodName);
    return OPEN_SERVICES.contains(service) ? new Rule("none (open service)", (a, x) -> { }) : null;
  }

  /**
   * Metadata: every requested topic the principal may not DESCRIBE answers TOPIC_AUTHORIZATION_FAILED
   * (whether or not it exists: nothing leaks); with no topics requested, they are left out.
   */
  private static Object filterMetadata(Access a, Object request, Object response) {
    MetadataResponse m = (MetadataResponse) response;
    boolean named = request != null && ((MetadataRequest) request).getTopicsCount() > 0;
    MetadataResponse.Builder b = m.toBuilder().clearTopics();
    for (TopicMetadata t : m.getTopicsList()) {
      if (a.allowed(ACL_OPERATION_DESCRIBE, ACL_RESOURCE_TYPE_TOPIC, t.getName())) {
        b.addTopics(t);
      } else if (named) {
        b.addTopics(TopicMetadata.newBuilder().setName(t.getName()).setError(ErrorDetail.newBuilder()
            .setCode(ErrorCode.TOPIC_AUTHORIZATION_FAILED).setMessage(a.denied(ACL_OPERATION_DESCRIBE,
                ACL_RESOURCE_TYPE_TOPIC, t.getName()).getMessage())));
      }
    }
    return b.build();
  }

  /** Used by tests and docs: the operation names of a rule, e.g. "WRITE on TOPIC". */
  static String describe(AclOperation op, AclResourceType type) {
    return name(op) + " on " + type.name().substring("ACL_RESOURCE_TYPE_".length());
  }
}
