package io.brook.broker.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import io.brook.broker.BrookNode;
import io.brook.broker.config.NodeConfig;
import io.brook.proto.security.Scram;
import io.brook.proto.v1.AclBinding;
import io.brook.proto.v1.AclOperation;
import io.brook.proto.v1.AclPatternType;
import io.brook.proto.v1.AclPermissionType;
import io.brook.proto.v1.AclResourceType;
import io.brook.proto.v1.AdminServiceGrpc;
import io.brook.proto.v1.AlterUserScramCredentialsRequest;
import io.brook.proto.v1.CreateAclsRequest;
import io.brook.proto.v1.CreateTopicRequest;
import io.brook.proto.v1.DescribeTopicRequest;
import io.brook.proto.v1.ScramCredentialUpsertion;
import io.brook.proto.v1.ScramMechanism;
import io.brook.storage.testing.FreePorts;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Users and ACLs written through one node are enforced by another: a broker-only node that follows
 * the metadata of a combined node authenticates the new user and applies the new ACL once its
 * image has them (within seconds), without being told.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class AclPropagationTest {
  @Test
  void aUserAndAnAclMadeOnOneNodeAreEnforcedByAnother(@TempDir Path dir) throws Exception {
    int grpc1 = FreePorts.next();
    int quorum = FreePorts.next();
    int grpc2 = FreePorts.next();
    Map<String, String> security = Map.of("authorizer.enabled", "true", "super.users", "User:ANONYMOUS");
    java.util.HashMap<String, String> p1 = new java.util.HashMap<>(Map.of("node.id", "1", "data.dir",
        dir.resolve("n1").toString(), "listen.host", "127.0.0.1", "advertised.host", "127.0.0.1", "grpc.port", "" + grpc1,
        "quorum.port", "" + quorum, "http.port", "0", "controller.quorum.voters", "1@127.0.0.1:" + quorum));
    p1.putAll(security);
    java.util.HashMap<String, String> p2 = new java.util.HashMap<>(Map.of("node.id", "2", "process.roles", "broker",
        "data.dir", dir.resolve("n2").toString(), "listen.host", "127.0.0.1", "advertised.host", "127.0.0.1",
        "grpc.port", "" + grpc2, "http.port", "0", "controller.quorum.voters", "1@127.0.0.1:" + quorum,
        "controller.endpoints", "127.0.0.1:" + grpc1));
    p2.putAll(security);
    try (BrookNode n1 = BrookNode.start(NodeConfig.of(p1))) {
      await().atMost(Duration.ofSeconds(60)).until(n1::isReady);
      try (BrookNode n2 = BrookNode.start(NodeConfig.of(p2))) {
        await().atMost(Duration.ofSeconds(60)).until(n2::isReady);
        ManagedChannel c1 = NettyChannelBuilder.forAddress("127.0.0.1", grpc1).usePlaintext().build();
        ManagedChannel c2 = NettyChannelBuilder.forAddress("127.0.0.1", grpc2).usePlaintext().build();
        try {
          AdminServiceGrpc.AdminServiceBlockingStub admin1 = AdminServiceGrpc.newBlockingStub(c1)
              .withDeadlineAfter(30, TimeUnit.SECONDS);
          admin1.createTopic(CreateTopicRequest.newBuilder().setName("shared").setPartitions(1).setReplicationFactor(1).build());
          byte[] salt = Scram.newSalt();
          admin1.alterUserScramCredentials(AlterUserScramCredentialsRequest.newBuilder().addUpsertions(
              ScramCredentialUpsertion.newBuilder().setName("alice").setMechanism(ScramMechanism.SCRAM_SHA_256)
                  .setIterations(4096).setSalt(ByteString.copyFrom(salt)).setSaltedPassword(ByteString.copyFrom(
                      Scram.saltedPassword(ScramMechanism.SCRAM_SHA_256, "pw".toCharArray(), salt, 4096)))).build());
          AdminServiceGrpc.AdminServiceBlockingStub alice2 = AdminServiceGrpc.newBlockingStub(c2)
              .withCallCredentials(RpcAuthorizationTest.basic("alice", "pw"));
          DescribeTopicRequest describe = DescribeTopicRequest.newBuilder().setName("shared").build();
          // Node 2 knows alice once its image has her, and refuses her without the ACL.
          await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(status(() ->
              alice2.withDeadlineAfter(5, TimeUnit.SECONDS).describeTopic(describe))).isEqualTo(Status.Code.PERMISSION_DENIED));
          admin1.createAcls(CreateAclsRequest.newBuilder().addCreations(AclBinding.newBuilder().setPrincipal("User:alice")
              .setHost("*").setResourceType(AclResourceType.ACL_RESOURCE_TYPE_TOPIC).setResourceName("shared")
              .setPatternType(AclPatternType.ACL_PATTERN_TYPE_LITERAL).setOperation(AclOperation.ACL_OPERATION_DESCRIBE)
              .setPermissionType(AclPermissionType.ACL_PERMISSION_TYPE_ALLOW)).build());
          await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(status(() ->
              alice2.withDeadlineAfter(5, TimeUnit.SECONDS).describeTopic(describe))).isEqualTo(Status.Code.OK));
        } finally {
          c1.shutdownNow();
          c2.shutdownNow();
        }
      }
    }
  }

  private static Status.Code status(Runnable call) {
    try {
      call.run();
      return Status.Code.OK;
    } catch (StatusRuntimeException e) {
      return e.getStatus().getCode();
    }
  }
}
