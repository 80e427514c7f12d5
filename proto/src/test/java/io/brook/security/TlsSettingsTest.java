package io.brook.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TlsSettingsTest {
  @TempDir Path dir;

  @BeforeEach
  void certificates() throws Exception {
    DevCertificates.create(dir, List.of(1, 2), List.of("alice"), List.of(), DevCertificates.DEFAULT_VALIDITY);
  }

  private TlsSettings server(Path cert, Path key, Path ca) {
    return new TlsSettings(cert, key, ca, TlsSettings.ClientAuth.REQUESTED, true, 1_000);
  }

  @Test
  void validNodeAndClientSettingsPass() {
    server(dir.resolve("node-1.pem"), dir.resolve("node-1.key"), dir.resolve("ca.pem")).validate(true);
    new TlsSettings(null, null, dir.resolve("ca.pem"), TlsSettings.ClientAuth.NONE, true, 1_000).validate(false);
    new TlsSettings(dir.resolve("client-alice.pem"), dir.resolve("client-alice.key"), dir.resolve("ca.pem"),
        TlsSettings.ClientAuth.NONE, true, 1_000).validate(false);
  }

  @Test
  void missingFileIsOneClearLine() {
    assertThatThrownBy(() -> server(dir.resolve("node-9.pem"), dir.resolve("node-1.key"), dir.resolve("ca.pem")).validate(true))
        .isInstanceOf(TlsConfigException.class)
        .hasMessage("ssl.certificate file " + dir.resolve("node-9.pem") + " does not exist");
  }

  @Test
  void keyOfAnotherCertificateIsRefused() {
    assertThatThrownBy(() -> server(dir.resolve("node-1.pem"), dir.resolve("node-2.key"), dir.resolve("ca.pem")).validate(true))
        .isInstanceOf(TlsConfigException.class)
        .hasMessageStartingWith("ssl.private.key file " + dir.resolve("node-2.key") + " is not the private key of the certificate in ssl.certificate file")
        .hasMessageNotContaining("\n");
  }

  @Test
  void fileThatIsNotPemIsRefused() throws Exception {
    Path junk = Files.writeString(dir.resolve("junk.pem"), "hello\n");
    assertThatThrownBy(() -> server(dir.resolve("node-1.pem"), junk, dir.resolve("ca.pem")).validate(true))
        .isInstanceOf(TlsConfigException.class).hasMessageStartingWith("ssl.private.key file " + junk);
    assertThatThrownBy(() -> server(junk, dir.resolve("node-1.key"), dir.resolve("ca.pem")).validate(true))
        .isInstanceOf(TlsConfigException.class).hasMessageStartingWith("ssl.certificate file " + junk);
  }

  @Test
  void serverWithoutCertificateOrCaIsRefused() {
    assertThatThrownBy(() -> server(null, null, dir.resolve("ca.pem")).validate(true))
        .hasMessageContaining("ssl.certificate and ssl.private.key are not set");
    assertThatThrownBy(() -> server(dir.resolve("node-1.pem"), dir.resolve("node-1.key"), null).validate(true))
        .hasMessageContaining("ssl.ca.certificates is not set");
    assertThatThrownBy(() -> server(dir.resolve("node-1.pem"), null, dir.resolve("ca.pem")).validate(true))
        .hasMessageContaining("ssl.certificate is set but ssl.private.key is not");
    // ssl.client.auth=none: no CA needed on the server
    new TlsSettings(dir.resolve("node-1.pem"), dir.resolve("node-1.key"), null, TlsSettings.ClientAuth.NONE, true, 1_000)
        .validate(true);
  }

  @Test
  void clientAuthParsesKafkasValues() {
    assertThat(TlsSettings.ClientAuth.parse("Required")).isEqualTo(TlsSettings.ClientAuth.REQUIRED);
    assertThatThrownBy(() -> TlsSettings.ClientAuth.parse("yes"))
        .hasMessage("invalid value 'yes' for ssl.client.auth: expected none, requested or required");
  }

  @Test
  void createReusesTheCa() throws Exception {
    String ca = Files.readString(dir.resolve("ca.pem"));
    String node1 = Files.readString(dir.resolve("node-1.pem"));
    DevCertificates.create(dir, List.of(1), List.of(), List.of(), DevCertificates.DEFAULT_VALIDITY);
    assertThat(Files.readString(dir.resolve("ca.pem"))).isEqualTo(ca);
    assertThat(Files.readString(dir.resolve("node-1.pem"))).isNotEqualTo(node1);
    server(dir.resolve("node-1.pem"), dir.resolve("node-1.key"), dir.resolve("ca.pem")).validate(true);
  }
}
