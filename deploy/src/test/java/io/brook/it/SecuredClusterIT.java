package io.brook.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.brook.clients.internals.ChannelPool;
import io.brook.clients.security.ClientSecurityConfig;
import io.brook.proto.common.v1.ErrorCode;
import io.brook.proto.errors.WireErrors;
import io.brook.proto.metadata.v1.ControllerServiceGrpc;
import io.brook.proto.replication.v1.ReplicationServiceGrpc;
import io.brook.security.DevCertificates;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServiceDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 13 end to end on three real processes with TLS on every listener and the authorizer on:
 * nodes authenticate each other by their certificates (super users by
 * {@code ssl.principal.mapping.rules}), so the cluster forms, replicates and serves; an admin with
 * a client certificate creates a topic, a SCRAM user and ACLs; the user, over TLS with only a CA
 * and a password, is refused (authorization, changing nothing) until the ACL exists, refused
 * with a wrong password, and then produces acks=all to partitions led by every broker and
 * consumes, also as a member of a group once the group's ACL exists; the ACL reaches every broker;
 * a certificate principal without ACLs sees no topic; a TLS client with neither certificate nor
 * user is {@code User:ANONYMOUS} and may do nothing; and client principals calling any method of
 * the controller or replication services, on every node, are refused with
 * CLUSTER_AUTHORIZATION_FAILED, changing nothing.
 */
@Timeout(420)
class SecuredClusterIT {
  @TempDir(cleanup = CleanupMode.ON_SUCCESS) Path root;

  private static Path properties(Path file, String... lines) throws Exception {
    Files.writeString(file, String.join("\n", lines) + "\n");
    return file;
  }

  @Test
  void tlsEverywhereWithUsersAndAclsOnThreeNodes() throws Exception {
    Path certs = root.resolve("certs");
    DevCertificates.create(certs, List.of(1, 2, 3), List.of("admin", "carol"), List.of(), DevCertificates.DEFAULT_VALIDITY);
    String ca = "ssl.ca.certificates=" + certs.resolve("ca.pem");
    Path admin = properties(root.resolve("admin.properties"), "security.protocol=SSL", ca,
        "ssl.certificate=" + certs.resolve("client-admin.pem"), "ssl.private.key=" + certs.resolve("client-admin.key"));
    Path carol = properties(root.resolve("carol.properties"), "security.protocol=SSL", ca,
        "ssl.certificate=" + certs.resolve("client-carol.pem"), "ssl.private.key=" + certs.resolve("client-carol.key"));
    Path bob = properties(root.resolve("bob.properties"), "security.protocol=SASL_SSL", ca, "sasl.mechanism=SCRAM-SHA-256",
        "sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username=\"bob\" password=\"bob-secret\";");
    Path wrong = properties(root.resolve("wrong.properties"), "security.protocol=SASL_SSL", ca, "sasl.mechanism=SCRAM-SHA-256",
        "sasl.username=bob", "sasl.password=not-it");
    Path anonymous = properties(root.resolve("anonymous.properties"), "security.protocol=SSL", ca);
    Path password = root.resolve("bob.password");
    Files.writeString(password, "bob-secret\n");

    try (TestCluster cluster = new TestCluster(root, 3, id -> {
      Map<String, String> m = new HashMap<>();
      m.put("security.protocol", "SSL");
      m.put("ssl.certificate", certs.resolve("node-" + id + ".pem").toString());
      m.put("ssl.private.key", certs.resolve("node-" + id + ".key").toString());
      m.put("ssl.ca.certificates", certs.resolve("ca.pem").toString());
      m.put("authorizer.enabled", "true");
      m.put("ssl.principal.mapping.rules", "RULE:^CN=(.*)$/$1/,DEFAULT");
      m.put("super.users", "User:brook-1;User:brook-2;User:brook-3;User:admin");
      return m;
    }).start()) {
      Map<String, String> env = Map.of("BROOK_BOOTSTRAP_SERVER", cluster.bootstrap());

      // The admin (certificate principal User:admin, a super user).
      Cli.Result created = Cli.run(root, env, null, "topics", "create", "secure", "--partitions", "3",
          "--replication-factor", "3", "--command-config", admin.toString());
      assertThat(created.exit()).as(created.err()).isZero();
      Cli.Result user = Cli.run(root, env, null, "users", "add", "bob", "--password-file", password.toString(),
          "--command-config", admin.toString());
      assertThat(user.exit()).as(user.err()).isZero();

      // bob without an ACL: refused, nothing written.
      Cli.Result denied = Cli.run(root, env, "x\n", "produce", "secure", "--acks", "all", "--command-config", bob.toString());
      assertThat(denied.exit()).isNotZero();
      assertThat(denied.err()).contains("not authorized to").contains("Topic:secure").doesNotContain("Exception");
      Cli.Result offsets = Cli.run(root, env, null, "offsets", "secure", "--command-config", admin.toString());
      assertThat(offsets.exit()).as(offsets.err()).isZero();
      assertThat(offsets.out().lines().filter(l -> l.startsWith("secure:")).toList()).as(offsets.out())
          .containsExactlyInAnyOrder("secure:0:0", "secure:1:0", "secure:2:0");
      // A wrong password: refused before any authorization.
      Cli.Result badPassword = Cli.run(root, env, null, "topics", "list", "--command-config", wrong.toString());
      assertThat(badPassword.exit()).isNotZero();
      assertThat(badPassword.err()).containsIgnoringCase("authentication failed").doesNotContain("Exception");

      // The ACLs, then on every broker within a bound.
      Cli.Result acl = Cli.run(root, env, null, "acls", "add", "--allow-principal", "User:bob", "--operation", "Write",
          "--operation", "Read", "--operation", "Describe", "--topic", "secure", "--command-config", admin.toString());
      assertThat(acl.exit()).as(acl.err()).isZero();
      for (BrookProcess n : cluster.nodes) {
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500)).until(() -> {
          Cli.Result l = Cli.run(root, Map.of(), null, "acls", "list", "--topic", "secure", "-b", n.grpcAddress(),
              "--command-config", admin.toString());
          return l.exit() == 0 && l.out().contains("User:bob");
        });
      }

      // bob writes to every partition (led by every broker), acks=all, and reads it back.
      String lines = IntStream.range(0, 30).mapToObj(i -> "k" + i + ":v" + i).collect(Collectors.joining("\n")) + "\n";
      Cli.Result produced = Cli.run(root, env, lines, "produce", "secure", "--acks", "all", "--key-separator", ":",
          "--command-config", bob.toString());
      assertThat(produced.exit()).as(produced.err()).isZero();
      Cli.Result consumed = Cli.run(root, env, null, "consume", "secure", "--from-beginning", "--max-messages", "30",
          "--command-config", bob.toString());
      assertThat(consumed.exit()).as(consumed.err()).isZero();
      assertThat(consumed.out().lines().toList()).containsExactlyInAnyOrderElementsOf(
          IntStream.range(0, 30).mapToObj(i -> "v" + i).toList());
      Cli.Result described = Cli.run(root, env, null, "topics", "describe", "secure", "--command-config", admin.toString());
      assertThat(described.out()).as("replicated: every ISR full").contains("Isr: ")
          .doesNotContain("Leader: none");
      assertThat(described.out().lines().filter(l -> l.contains("Partition:")).map(l -> l.replaceAll(".*Leader: (\\d+).*", "$1"))
          .distinct().count()).as("leaders on every broker: %s", described.out()).isEqualTo(3);

      // carol (a certificate, no ACLs) sees no topic and may not describe it.
      Cli.Result carolList = Cli.run(root, env, null, "topics", "list", "--command-config", carol.toString());
      assertThat(carolList.exit()).as(carolList.err()).isZero();
      assertThat(carolList.out()).doesNotContain("secure");
      Cli.Result carolDescribe = Cli.run(root, env, null, "topics", "describe", "secure", "--command-config", carol.toString());
      assertThat(carolDescribe.exit()).isNotZero();
      assertThat(carolDescribe.err()).contains("User:carol is not authorized to Describe Topic:secure");

      // Groups: bob consumes as a member of g1 once he may read the group, and the offsets commit.
      Cli.Result groupDenied = Cli.run(root, env, null, "consume", "secure", "--group", "g1", "--from-beginning",
          "--max-messages", "30", "--command-config", bob.toString());
      assertThat(groupDenied.exit()).isNotZero();
      assertThat(groupDenied.err()).contains("not authorized to").contains("Group:g1");
      Cli.Result groupAcl = Cli.run(root, env, null, "acls", "add", "--allow-principal", "User:bob", "--operation", "Read",
          "--group", "g1", "--command-config", admin.toString());
      assertThat(groupAcl.exit()).as(groupAcl.err()).isZero();
      await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
        Cli.Result grouped = Cli.run(root, env, null, "consume", "secure", "--group", "g1", "--from-beginning",
            "--max-messages", "30", "--command-config", bob.toString());
        assertThat(grouped.exit()).as(grouped.err()).isZero();
        assertThat(grouped.out().lines().toList()).containsExactlyInAnyOrderElementsOf(
            IntStream.range(0, 30).mapToObj(i -> "v" + i).toList());
      });
      Cli.Result lag = Cli.run(root, env, null, "groups", "describe", "g1", "--command-config", admin.toString());
      assertThat(lag.exit()).as(lag.err()).isZero();
      List<String[]> rows = lag.out().lines().filter(l -> l.startsWith("secure")).map(l -> l.trim().split("\\s+")).toList();
      assertThat(rows).as(lag.out()).hasSize(3).allSatisfy(r -> assertThat(r[4]).as("LAG").isEqualTo("0"));
      assertThat(rows.stream().mapToLong(r -> Long.parseLong(r[2])).sum()).as("committed offsets: " + lag.out()).isEqualTo(30);

      // A TLS client with neither certificate nor user is User:ANONYMOUS: sees no topic, may not write.
      Cli.Result anonymousList = Cli.run(root, env, null, "topics", "list", "--command-config", anonymous.toString());
      assertThat(anonymousList.exit()).as(anonymousList.err()).isZero();
      assertThat(anonymousList.out()).doesNotContain("secure");
      Cli.Result anonymousProduce = Cli.run(root, env, "x\n", "produce", "secure", "--command-config", anonymous.toString());
      assertThat(anonymousProduce.exit()).isNotZero();
      assertThat(anonymousProduce.err()).contains("User:ANONYMOUS is not authorized to");

      // Client principals (a user, a client certificate) against the inter-node APIs: every method of
      // the controller and replication services, on every node, is refused and changes nothing.
      String before = adminView(env, admin);
      int refused = 0;
      for (Path client : List.of(bob, carol)) {
        try (ChannelPool pool = new ChannelPool(ClientSecurityConfig.load(client))) {
          for (BrookProcess n : cluster.nodes) {
            for (ServiceDescriptor service : List.of(ControllerServiceGrpc.getServiceDescriptor(),
                ReplicationServiceGrpc.getServiceDescriptor())) {
              for (MethodDescriptor<?, ?> method : service.getMethods()) {
                StatusRuntimeException e = call(pool.get(n.grpcAddress()), method);
                String what = client.getFileName() + " -> node " + n.nodeId + " " + method.getFullMethodName();
                assertThat(e.getStatus().getCode()).as(what + ": " + e.getStatus()).isEqualTo(Status.Code.PERMISSION_DENIED);
                assertThat(WireErrors.toException(e).code()).as(what).isEqualTo(ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
                assertThat(e.getStatus().getDescription()).as(what).contains("ClusterAction");
                refused++;
              }
            }
          }
        }
      }
      assertThat(refused).as("(18 controller + 1 replication methods) x 3 nodes x 2 principals").isEqualTo(2 * 3
          * (ControllerServiceGrpc.getServiceDescriptor().getMethods().size() + 1));
      assertThat(adminView(env, admin)).as("nothing changed").isEqualTo(before);
    }
  }

  /** Brokers, topics with their partitions and ISRs, ACLs and users, as the admin sees them. */
  private String adminView(Map<String, String> env, Path admin) throws Exception {
    StringBuilder view = new StringBuilder();
    for (String[] args : List.of(new String[] {"cluster", "describe"}, new String[] {"topics", "describe"},
        new String[] {"acls", "list"}, new String[] {"users", "list"})) {
      List<String> all = new java.util.ArrayList<>(List.of(args));
      all.addAll(List.of("--command-config", admin.toString()));
      Cli.Result r = Cli.run(root, env, null, all.toArray(String[]::new));
      assertThat(r.exit()).as(r.err()).isZero();
      // The quorum's lag figures move on their own; its broker lines and the rest may not.
      r.out().lines().filter(l -> !args[0].equals("cluster") || l.startsWith("Broker:"))
          .forEach(l -> view.append(l).append('\n'));
    }
    return view.toString();
  }

  /**
   * Calls {@code method} with its empty request and returns how it ended: the status it closed
   * with, or OK if it answered (then the caller's assertion fails, naming the method).
   */
  private static <Q, R> StatusRuntimeException call(io.grpc.Channel channel, MethodDescriptor<Q, R> method)
      throws Exception {
    @SuppressWarnings("unchecked")
    Q request = ((MethodDescriptor.PrototypeMarshaller<Q>) method.getRequestMarshaller()).getMessagePrototype();
    ClientCall<Q, R> call = channel.newCall(method, CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS));
    CompletableFuture<StatusRuntimeException> outcome = new CompletableFuture<>();
    call.start(new ClientCall.Listener<>() {
      @Override
      public void onMessage(R message) {
        outcome.complete(Status.OK.withDescription("answered").asRuntimeException());
      }

      @Override
      public void onClose(Status status, Metadata trailers) {
        outcome.complete(status.asRuntimeException(trailers));
      }
    }, new Metadata());
    call.request(1);
    call.sendMessage(request);
    call.halfClose();
    try {
      return outcome.get(15, TimeUnit.SECONDS);
    } finally {
      call.cancel("done", null);
    }
  }
}
