package io.brook.clients.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.brook.clients.security.ClientSecurityConfig;
import io.brook.security.DevCertificates;
import io.brook.security.ReloadingTls;
import io.brook.security.TlsSettings;
import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import io.grpc.ServerCredentials;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** What the CLI says, in one line, when a TLS connection to a gRPC server cannot be made. */
@Timeout(60)
class TlsReachabilityTest {
  @TempDir Path dir;

  private static Server serve(ServerCredentials credentials) throws Exception {
    return io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder.forAddress(new java.net.InetSocketAddress("127.0.0.1", 0), credentials)
        .build().start();
  }

  private String probe(int port, Map<String, String> props) {
    ClientSecurityConfig security = ClientSecurityConfig.fromProperties(props);
    try (ClientSecurityConfig.Transport t = security.open()) {
      return Reachability.probe("127.0.0.1:" + port, 3_000, t);
    }
  }

  private ReloadingTls serverTls(String base, TlsSettings.ClientAuth auth) {
    return ReloadingTls.forServer(new TlsSettings(dir.resolve(base + ".pem"), dir.resolve(base + ".key"),
        dir.resolve("ca.pem"), auth, true, 60_000));
  }

  @Test
  void eachMismatchIsOneLine() throws Exception {
    Path other = dir.resolve("other");
    DevCertificates.create(dir, List.of(1), List.of("alice"), List.of(), DevCertificates.DEFAULT_VALIDITY);
    DevCertificates.create(other, List.of(), List.of(), List.of(), DevCertificates.DEFAULT_VALIDITY);
    DevCertificates.Issued ca = DevCertificates.readIssued(dir.resolve("ca.pem"), dir.resolve("ca.key"));
    DevCertificates.write(dir, "elsewhere", DevCertificates.issue(ca, "elsewhere", List.of("elsewhere.example"), true,
        DevCertificates.DEFAULT_VALIDITY));
    Map<String, String> trusting = Map.of("security.protocol", "SSL", "ssl.ca.certificates", dir.resolve("ca.pem").toString());

    try (ReloadingTls tls = serverTls("node-1", TlsSettings.ClientAuth.REQUIRED)) {
      Server server = serve(tls.serverCredentials());
      int port = server.getPort();
      String at = "127.0.0.1:" + port;
      try {
        assertThat(probe(port, Map.of())).isEqualTo(at + " speaks TLS and this client plaintext: set"
            + " security.protocol=SSL and ssl.ca.certificates in a --command-config file (see docs/security.md)");
        assertThat(probe(port, Map.of("security.protocol", "SSL", "ssl.ca.certificates", other.resolve("ca.pem").toString())))
            .isEqualTo("TLS handshake with " + at + " failed: certificate not trusted (its chain does not lead to a CA in"
                + " ssl.ca.certificates: PKIX path building failed)");
        assertThat(probe(port, trusting)).startsWith("TLS handshake with " + at + " failed: the broker requires a client"
            + " certificate").doesNotContain("\n");
        // With alice's certificate the handshake succeeds: what fails is the (absent) Brook API.
        assertThat(probe(port, Map.of("security.protocol", "SSL", "ssl.ca.certificates", dir.resolve("ca.pem").toString(),
            "ssl.certificate", dir.resolve("client-alice.pem").toString(), "ssl.private.key",
            dir.resolve("client-alice.key").toString()))).doesNotContain("TLS");
      } finally {
        server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    }

    try (ReloadingTls tls = serverTls("elsewhere", TlsSettings.ClientAuth.NONE)) {
      Server server = serve(tls.serverCredentials());
      try {
        assertThat(probe(server.getPort(), trusting)).startsWith("TLS handshake with 127.0.0.1:" + server.getPort()
            + " failed: the broker's certificate does not name the host dialled (");
      } finally {
        server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    }

    Server plain = serve(InsecureServerCredentials.create());
    try {
      assertThat(probe(plain.getPort(), trusting)).isEqualTo("127.0.0.1:" + plain.getPort() + " speaks plaintext, not TLS:"
          + " remove security.protocol=SSL (or set PLAINTEXT) in the client config, or turn TLS on at the broker");
    } finally {
      plain.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }
}
