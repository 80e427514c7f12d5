package io.brook.metadata;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.brook.metadata.config.QuorumConfig;
import io.brook.metadata.quorum.MetadataQuorumNode;
import io.brook.metadata.time.Time;
import io.brook.security.DevCertificates;
import io.brook.security.ReloadingTls;
import io.brook.security.TlsSettings;
import java.io.IOException;
import java.math.BigInteger;
import java.net.Socket;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Ratis quorum over mutual TLS: three voters with certificates from one CA elect a leader
 * (Raft votes and appends go over TLS both ways), and the quorum port refuses a peer whose
 * certificate comes from another CA.
 */
@Timeout(120)
class QuorumTlsTest {
  @TempDir Path dir;

  private static TlsSettings node(Path certs, String base) {
    return new TlsSettings(certs.resolve(base + ".pem"), certs.resolve(base + ".key"), certs.resolve("ca.pem"),
        TlsSettings.ClientAuth.REQUIRED, true, 1_000);
  }

  @Test
  void votersElectALeaderOverMutualTlsAndRefuseAForeignCertificate() throws Exception {
    Path certs = dir.resolve("certs");
    Path other = dir.resolve("other");
    DevCertificates.create(certs, List.of(1, 2, 3), List.of(), List.of(), DevCertificates.DEFAULT_VALIDITY);
    DevCertificates.create(other, List.of(9), List.of(), List.of(), DevCertificates.DEFAULT_VALIDITY);
    Map<Integer, Integer> ports = new TreeMap<>();
    for (int id = 1; id <= 3; id++) {
      ports.put(id, TestCluster.freePort());
    }
    String voters = ports.entrySet().stream().map(e -> e.getKey() + "@127.0.0.1:" + e.getValue())
        .collect(Collectors.joining(","));
    List<MetadataQuorumNode> nodes = new ArrayList<>();
    List<ReloadingTls> tlss = new ArrayList<>();
    try {
      for (int id = 1; id <= 3; id++) {
        ReloadingTls tls = ReloadingTls.forServer(node(certs, "node-" + id));
        tlss.add(tls);
        QuorumConfig c = QuorumConfig.builder().nodeId(id).voters(voters).dataDir(dir.resolve("node-" + id))
            .electionTimeoutMs(1_000).requestTimeoutMs(4_000).build();
        nodes.add(MetadataQuorumNode.start(c, Time.SYSTEM, tls));
      }
      await().atMost(Duration.ofSeconds(60)).until(() -> {
        int leader = nodes.get(0).leaderId();
        return leader > 0 && nodes.stream().allMatch(n -> n.leaderId() == leader);
      });
      int port = ports.get(1);
      BigInteger node1 = DevCertificates.readIssued(certs.resolve("node-1.pem"), certs.resolve("node-1.key"))
          .certificate().getSerialNumber();
      assertThat(handshake(port, node(certs, "node-2"))).isEqualTo(node1);
      // A certificate from another CA (trusting ours): the voter ends the handshake.
      TlsSettings foreign = new TlsSettings(other.resolve("node-9.pem"), other.resolve("node-9.key"),
          certs.resolve("ca.pem"), TlsSettings.ClientAuth.REQUIRED, true, 1_000);
      assertThatThrownBy(() -> handshake(port, foreign)).isInstanceOf(IOException.class);
    } finally {
      nodes.forEach(MetadataQuorumNode::close);
      tlss.forEach(ReloadingTls::close);
    }
  }

  /** Handshakes with 127.0.0.1:port as {@code as}, reads once (TLS 1.3 reports a refused client certificate then), returns the server's serial. */
  private static BigInteger handshake(int port, TlsSettings as) throws Exception {
    try (ReloadingTls tls = ReloadingTls.forClient(as)) {
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(new KeyManager[] {tls.keyManager()}, new TrustManager[] {tls.serverTrustManager()}, null);
      try (SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket(new Socket("127.0.0.1", port), "127.0.0.1", port, true)) {
        var p = s.getSSLParameters();
        p.setApplicationProtocols(new String[] {"h2"});
        s.setSSLParameters(p);
        s.setSoTimeout(3_000);
        s.startHandshake();
        // An HTTP/2 client preface: a server that accepted us answers with SETTINGS; one that
        // refused our certificate sends an alert instead.
        s.getOutputStream().write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        s.getOutputStream().write(new byte[] {0, 0, 0, 4, 0, 0, 0, 0, 0});
        s.getOutputStream().flush();
        if (s.getInputStream().read() < 0) {
          throw new IOException("connection closed by the server");
        }
        return ((X509Certificate) s.getSession().getPeerCertificates()[0]).getSerialNumber();
      }
    }
  }
}
