package io.brook.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.brook.security.DevCertificates;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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
 * consumes; the ACL reaches every broker; a certificate principal without ACLs sees no topic.
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
    }
  }
}
