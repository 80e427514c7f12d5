package io.brook.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.Grpc;
import io.grpc.Server;
import java.math.BigInteger;
import java.net.Socket;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** A gRPC server on {@link ReloadingTls}'s credentials presents a replaced certificate without a restart. */
@Timeout(60)
class ReloadingTlsTest {
  @TempDir Path dir;

  @Test
  void newHandshakesSeeTheReplacedCertificate() throws Exception {
    DevCertificates.create(dir, List.of(1), List.of(), List.of(), DevCertificates.DEFAULT_VALIDITY);
    TlsSettings settings = new TlsSettings(dir.resolve("node-1.pem"), dir.resolve("node-1.key"), dir.resolve("ca.pem"),
        TlsSettings.ClientAuth.REQUESTED, true, 200);
    try (ReloadingTls tls = ReloadingTls.forServer(settings)) {
      Server server = Grpc.newServerBuilderForPort(0, tls.serverCredentials()).build().start();
      try {
        BigInteger before = serialOf(server.getPort(), tls);
        assertThat(before).isEqualTo(DevCertificates.readIssued(dir.resolve("node-1.pem"), dir.resolve("node-1.key"))
            .certificate().getSerialNumber());

        DevCertificates.create(dir, List.of(1), List.of(), List.of(), DevCertificates.DEFAULT_VALIDITY);
        BigInteger replaced = DevCertificates.readIssued(dir.resolve("node-1.pem"), dir.resolve("node-1.key"))
            .certificate().getSerialNumber();
        assertThat(replaced).isNotEqualTo(before);
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100))
            .until(() -> serialOf(server.getPort(), tls).equals(replaced));
      } finally {
        server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    }
  }

  @Test
  void aCertificateWithoutItsKeyIsNotSwappedIn() throws Exception {
    DevCertificates.create(dir, List.of(1), List.of(), List.of(), DevCertificates.DEFAULT_VALIDITY);
    TlsSettings settings = new TlsSettings(dir.resolve("node-1.pem"), dir.resolve("node-1.key"), dir.resolve("ca.pem"),
        TlsSettings.ClientAuth.REQUESTED, true, 100);
    try (ReloadingTls tls = ReloadingTls.forServer(settings)) {
      Server server = Grpc.newServerBuilderForPort(0, tls.serverCredentials()).build().start();
      try {
        BigInteger before = serialOf(server.getPort(), tls);
        // Half a rotation: the new certificate is in place, its key not yet.
        DevCertificates.Issued ca = DevCertificates.readIssued(dir.resolve("ca.pem"), dir.resolve("ca.key"));
        DevCertificates.Issued next = DevCertificates.issue(ca, "brook-1", DevCertificates.nodeHosts(1, List.of()), true,
            DevCertificates.DEFAULT_VALIDITY);
        DevCertificates.writeCertificate(dir.resolve("node-1.pem"), next.certificate());
        // Several reload intervals: every look finds a key that does not match and keeps the old pair.
        await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(100))
            .until(() -> serialOf(server.getPort(), tls).equals(before));
        DevCertificates.writePrivateKey(dir.resolve("node-1.key"), next.keys().getPrivate());
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100))
            .until(() -> serialOf(server.getPort(), tls).equals(next.certificate().getSerialNumber()));
      } finally {
        server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    }
  }

  /** The serial number of the certificate a TLS handshake with 127.0.0.1:port is answered with (checked against the CA). */
  private static BigInteger serialOf(int port, ReloadingTls tls) throws Exception {
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(null, new TrustManager[] {tls.clientTrustManager()}, null);
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
