package io.brook.it;

import static io.brook.it.ReplicationWorkload.awaitIsr;
import static io.brook.it.ReplicationWorkload.leaderOf;
import static io.brook.it.ReplicationWorkload.verify;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.brook.clients.security.ClientSecurityConfig;
import io.brook.it.ReplicationWorkload.Load;
import io.brook.proto.v1.TopicMetadata;
import io.brook.security.DevCertificates;
import io.brook.security.ReloadingTls;
import io.brook.security.TlsSettings;
import java.math.BigInteger;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * TLS on every gRPC and quorum port of a 3-node cluster of real processes
 * ({@code security.protocol=SSL}, certificates from {@code brook certs create}'s code): the CLI
 * with {@code --command-config} creates a topic, produces with acks=all and consumes; clients
 * without the CA, with a certificate from another CA, or in plaintext are refused with one line;
 * the node certificates are replaced under an acks=all producer and new connections to the gRPC
 * and Ratis ports present the new serial within the reload interval; then a follower is killed
 * (replication and the quorum fail over between nodes connecting with the new certificates) and
 * every acknowledged record is there exactly once.
 */
@Timeout(600)
class TlsIT {
  private static final long RELOAD_MS = 1_000;

  @TempDir(cleanup = CleanupMode.ON_SUCCESS) Path root;

  private Map<String, String> nodeTls(Path certs, int id) {
    Map<String, String> m = new HashMap<>();
    m.put("security.protocol", "SSL");
    m.put("ssl.certificate", certs.resolve("node-" + id + ".pem").toString());
    m.put("ssl.private.key", certs.resolve("node-" + id + ".key").toString());
    m.put("ssl.ca.certificates", certs.resolve("ca.pem").toString());
    m.put("ssl.certificate.reload.interval.ms", Long.toString(RELOAD_MS));
    m.put("replica.lag.time.max.ms", "3000");
    return m;
  }

  private static Path properties(Path file, String... lines) throws Exception {
    Files.writeString(file, String.join("\n", lines) + "\n");
    return file;
  }

  @Test
  void clusterServesReplicatesRotatesAndFailsOverOverTls() throws Exception {
    Path certs = root.resolve("certs");
    Path other = root.resolve("other-ca");
    DevCertificates.create(certs, List.of(1, 2, 3), List.of("admin"), List.of(), DevCertificates.DEFAULT_VALIDITY);
    DevCertificates.create(other, List.of(), List.of("mallory"), List.of(), DevCertificates.DEFAULT_VALIDITY);
    Path caOnly = properties(root.resolve("client.properties"), "security.protocol=SSL",
        "ssl.ca.certificates=" + certs.resolve("ca.pem"));
    Path mutual = properties(root.resolve("admin.properties"), "security.protocol=SSL",
        "ssl.ca.certificates=" + certs.resolve("ca.pem"), "ssl.certificate=" + certs.resolve("client-admin.pem"),
        "ssl.private.key=" + certs.resolve("client-admin.key"));
    Path wrongCa = properties(root.resolve("wrong-ca.properties"), "security.protocol=SSL",
        "ssl.ca.certificates=" + other.resolve("ca.pem"));
    Path foreignCert = properties(root.resolve("mallory.properties"), "security.protocol=SSL",
        "ssl.ca.certificates=" + certs.resolve("ca.pem"), "ssl.certificate=" + other.resolve("client-mallory.pem"),
        "ssl.private.key=" + other.resolve("client-mallory.key"));

    try (TestCluster cluster = new TestCluster(root, 3, id -> nodeTls(certs, id)).start()) {
      String bootstrap = cluster.bootstrap();
      Map<String, String> env = Map.of("BROOK_BOOTSTRAP_SERVER", bootstrap);
      String first = cluster.node(1).grpcAddress();

      // The CLI over TLS: create, produce with acks=all, consume.
      Cli.Result created = Cli.run(root, env, null, "topics", "create", "seq", "--partitions", "3",
          "--replication-factor", "3", "--command-config", caOnly.toString());
      assertThat(created.exit()).as(created.err()).isZero();
      Cli.Result createdCli = Cli.run(root, env, null, "topics", "create", "cli", "--partitions", "1",
          "--replication-factor", "3", "--command-config", mutual.toString());
      assertThat(createdCli.exit()).as(createdCli.err()).isZero();
      Cli.Result produced = Cli.run(root, env, "one\ntwo\nthree\n", "produce", "cli", "--acks", "all",
          "--command-config", mutual.toString());
      assertThat(produced.exit()).as(produced.err()).isZero();
      Cli.Result consumed = Cli.run(root, env, null, "consume", "cli", "--from-beginning", "--max-messages", "3",
          "--command-config", caOnly.toString());
      assertThat(consumed.exit()).as(consumed.err()).isZero();
      assertThat(consumed.out().lines().toList()).containsExactly("one", "two", "three");

      // Refused clients: one line each, no stack trace.
      Cli.Result plaintext = Cli.run(root, Map.of(), null, "topics", "list", "-b", first);
      assertThat(plaintext.exit()).isEqualTo(1);
      assertThat(plaintext.err().strip()).isEqualTo("error: " + first + " speaks TLS and this client plaintext: set"
          + " security.protocol=SSL and ssl.ca.certificates in a --command-config file (see docs/security.md)");
      Cli.Result untrusted = Cli.run(root, Map.of(), null, "topics", "list", "-b", first, "--command-config", wrongCa.toString());
      assertThat(untrusted.exit()).isEqualTo(1);
      assertThat(untrusted.err().strip()).isEqualTo("error: TLS handshake with " + first + " failed: certificate not"
          + " trusted (its chain does not lead to a CA in ssl.ca.certificates: PKIX path building failed)");
      Cli.Result foreign = Cli.run(root, Map.of(), null, "topics", "list", "-b", first, "--command-config", foreignCert.toString());
      assertThat(foreign.exit()).isEqualTo(1);
      assertThat(foreign.err().strip()).startsWith("error: TLS handshake with " + first + " failed: the broker refused"
          + " the handshake (TLS alert ").doesNotContain("\n").doesNotContain("Exception");

      ClientSecurityConfig security = ClientSecurityConfig.load(caOnly);
      TopicMetadata topic = ReplicationWorkload.describe(cluster.bootstrapList(), security);
      Load load = new Load(cluster.bootstrapList(), security);
      try (load) {
        load.awaitAcked(600);

        // Rotation: new certificates (same CA) for every node, written while the producer runs.
        Map<Integer, BigInteger> before = new HashMap<>();
        for (BrookProcess n : cluster.nodes) {
          before.put(n.nodeId, serialAt(n.grpcPort, certs));
        }
        long rotatedAt = System.nanoTime();
        DevCertificates.create(certs, List.of(1, 2, 3), List.of(), List.of(), DevCertificates.DEFAULT_VALIDITY);
        for (BrookProcess n : cluster.nodes) {
          BigInteger expected = DevCertificates.readIssued(certs.resolve("node-" + n.nodeId + ".pem"),
              certs.resolve("node-" + n.nodeId + ".key")).certificate().getSerialNumber();
          assertThat(expected).isNotEqualTo(before.get(n.nodeId));
          // Within the reload interval (plus a generous margin for a loaded machine).
          await().atMost(Duration.ofMillis(RELOAD_MS + 9_000)).pollInterval(Duration.ofMillis(100))
              .until(() -> expected.equals(serialAt(n.grpcPort, certs)));
          await().atMost(Duration.ofMillis(RELOAD_MS + 9_000)).pollInterval(Duration.ofMillis(100))
              .until(() -> expected.equals(serialAt(n.quorumPort, certs)));
        }
        System.out.printf("TLS: every node presented its new certificate %d ms after the files were replaced%n",
            (System.nanoTime() - rotatedAt) / 1_000_000);
        load.awaitAcked(load.acked() + 600);

        // Failover over TLS: kill a follower of partition 0; the ISR shrinks, writes go on
        // (min.insync.replicas=2), the node comes back (connecting with the new certificates).
        int leader = leaderOf(topic, 0);
        int follower = IntStream.rangeClosed(1, 3).filter(id -> id != leader).findFirst().orElseThrow();
        cluster.node(follower).kill();
        awaitIsr(root, cluster.bootstrapList(), 0, 2, "--command-config", caOnly.toString());
        load.awaitAcked(load.acked() + 300);
        cluster.node(follower).start();
        cluster.node(follower).awaitReady(Duration.ofSeconds(90));
        awaitIsr(root, cluster.bootstrapList(), 0, 3, "--command-config", caOnly.toString());
        load.awaitAcked(load.acked() + 300);
      }
      verify(cluster.bootstrapList(), cluster.nodes.stream().map(BrookProcess::dataDir).toList(), load, security);
    }
  }

  @Test
  void tlsClientAgainstPlaintextBrokerIsToldSo() throws Exception {
    Path certs = root.resolve("certs");
    DevCertificates.create(certs, List.of(), List.of(), List.of(), DevCertificates.DEFAULT_VALIDITY);
    Path caOnly = properties(root.resolve("client.properties"), "security.protocol=SSL",
        "ssl.ca.certificates=" + certs.resolve("ca.pem"));
    try (TestCluster cluster = new TestCluster(root, 1, Map.of()).start()) {
      String address = cluster.node(1).grpcAddress();
      Cli.Result r = Cli.run(root, Map.of(), null, "topics", "list", "-b", address, "--command-config", caOnly.toString());
      assertThat(r.exit()).isEqualTo(1);
      assertThat(r.err().strip()).isEqualTo("error: " + address + " speaks plaintext, not TLS: remove"
          + " security.protocol=SSL (or set PLAINTEXT) in the client config, or turn TLS on at the broker");
    }
  }

  /**
   * {@code ssl.client.auth=required}: a TLS client without a certificate does not get a
   * connection (told so in one line), one with a certificate from the cluster's CA does.
   */
  @Test
  void clientAuthRequiredRefusesAClientWithoutACertificate() throws Exception {
    Path certs = root.resolve("certs");
    DevCertificates.create(certs, List.of(1), List.of("admin"), List.of(), DevCertificates.DEFAULT_VALIDITY);
    Path caOnly = properties(root.resolve("client.properties"), "security.protocol=SSL",
        "ssl.ca.certificates=" + certs.resolve("ca.pem"));
    Path mutual = properties(root.resolve("admin.properties"), "security.protocol=SSL",
        "ssl.ca.certificates=" + certs.resolve("ca.pem"), "ssl.certificate=" + certs.resolve("client-admin.pem"),
        "ssl.private.key=" + certs.resolve("client-admin.key"));
    Map<String, String> settings = nodeTls(certs, 1);
    settings.put("ssl.client.auth", "required");
    try (TestCluster cluster = new TestCluster(root, 1, settings).start()) {
      String address = cluster.node(1).grpcAddress();
      Cli.Result refused = Cli.run(root, Map.of(), null, "topics", "create", "t", "-b", address,
          "--command-config", caOnly.toString());
      assertThat(refused.exit()).isEqualTo(1);
      assertThat(refused.err().strip()).isEqualTo("error: TLS handshake with " + address + " failed: the broker"
          + " requires a client certificate (set ssl.certificate and ssl.private.key)");
      Cli.Result created = Cli.run(root, Map.of(), null, "topics", "create", "t", "-b", address,
          "--command-config", mutual.toString());
      assertThat(created.exit()).as(created.err()).isZero();
      Cli.Result listed = Cli.run(root, Map.of(), null, "topics", "list", "-b", address,
          "--command-config", mutual.toString());
      assertThat(listed.out().lines().toList()).as("only the mutual-TLS client created a topic").containsExactly("t");
    }
  }

  @Test
  void nodeWithKeyOfAnotherCertificateFailsToStartWithOneLine() throws Exception {
    Path certs = root.resolve("certs");
    DevCertificates.create(certs, List.of(1, 2), List.of(), List.of(), DevCertificates.DEFAULT_VALIDITY);
    Map<String, String> settings = nodeTls(certs, 1);
    settings.put("ssl.private.key", certs.resolve("node-2.key").toString());
    TestCluster cluster = new TestCluster(root, 1, settings);
    try (cluster) {
      BrookProcess node = cluster.node(1);
      node.start();
      await().atMost(Duration.ofSeconds(60)).until(() -> !node.isAlive());
      assertThat(node.log()).contains("ssl.private.key file " + certs.resolve("node-2.key")
          + " is not the private key of the certificate in ssl.certificate file " + certs.resolve("node-1.pem"));
    }
  }

  /**
   * The serial of the certificate a new TLS connection to 127.0.0.1:port is answered with, checked
   * against the CA; node 1's certificate is presented as client certificate (the quorum port
   * requires one).
   */
  private static BigInteger serialAt(int port, Path certs) throws Exception {
    TlsSettings settings = new TlsSettings(certs.resolve("node-1.pem"), certs.resolve("node-1.key"),
        certs.resolve("ca.pem"), TlsSettings.ClientAuth.NONE, true, 60_000);
    try (ReloadingTls tls = ReloadingTls.forClient(settings)) {
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(new KeyManager[] {tls.keyManager()}, new TrustManager[] {tls.clientTrustManager()}, null);
      try (SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket(new Socket("127.0.0.1", port), "127.0.0.1", port, true)) {
        SSLParameters p = s.getSSLParameters();
        p.setApplicationProtocols(new String[] {"h2"});
        s.setSSLParameters(p);
        s.setSoTimeout(5_000);
        s.startHandshake();
        return ((X509Certificate) s.getSession().getPeerCertificates()[0]).getSerialNumber();
      }
    }
  }
}
