package io.brook.broker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.brook.broker.config.NodeConfig;
import io.brook.security.DevCertificates;
import io.brook.security.TlsSettings;
import io.brook.storage.config.ConfigException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The node's TLS settings: validated at startup, each mistake one line naming the setting and file. */
class NodeTlsConfigTest {
  @TempDir Path dir;

  @BeforeEach
  void certificates() throws Exception {
    DevCertificates.create(dir, List.of(1, 2), List.of(), List.of(), DevCertificates.DEFAULT_VALIDITY);
  }

  private Map<String, String> ssl(String cert, String key) {
    Map<String, String> m = new HashMap<>();
    m.put("security.protocol", "SSL");
    m.put("ssl.certificate", dir.resolve(cert).toString());
    m.put("ssl.private.key", dir.resolve(key).toString());
    m.put("ssl.ca.certificates", dir.resolve("ca.pem").toString());
    return m;
  }

  @Test
  void plaintextIsTheDefault() {
    NodeConfig c = NodeConfig.of(Map.of());
    assertThat(c.tlsEnabled()).isFalse();
    assertThat(c.tlsSettings()).isNull();
  }

  @Test
  void sslWithMatchingFilesIsAccepted() {
    NodeConfig c = NodeConfig.of(ssl("node-1.pem", "node-1.key"));
    TlsSettings t = c.tlsSettings();
    assertThat(t.clientAuth()).isEqualTo(TlsSettings.ClientAuth.REQUESTED);
    assertThat(t.verifyHostname()).isTrue();
    assertThat(t.reloadIntervalMs()).isEqualTo(60_000);
  }

  @Test
  void keyOfAnotherNodeIsOneClearStartupError() {
    assertThatThrownBy(() -> NodeConfig.of(ssl("node-1.pem", "node-2.key")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("ssl.private.key file " + dir.resolve("node-2.key") + " is not the private key of the certificate")
        .hasMessageNotContaining("\n");
  }

  @Test
  void missingFileIsOneClearStartupError() {
    assertThatThrownBy(() -> NodeConfig.of(ssl("node-7.pem", "node-1.key")))
        .isInstanceOf(ConfigException.class)
        .hasMessage("ssl.certificate file " + dir.resolve("node-7.pem") + " does not exist");
  }

  @Test
  void sslWithoutCertificateOrWithBadClientAuthIsRefused() {
    assertThatThrownBy(() -> NodeConfig.of(Map.of("security.protocol", "SSL")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("ssl.certificate and ssl.private.key are not set");
    Map<String, String> m = ssl("node-1.pem", "node-1.key");
    m.put("ssl.client.auth", "maybe");
    assertThatThrownBy(() -> NodeConfig.of(m)).isInstanceOf(ConfigException.class).hasMessageContaining("ssl.client.auth");
    assertThatThrownBy(() -> NodeConfig.of(Map.of("security.protocol", "TLS")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("security.protocol");
  }

  @Test
  void certificateWithoutSslIsRefused() {
    Map<String, String> m = ssl("node-1.pem", "node-1.key");
    m.remove("security.protocol");
    assertThatThrownBy(() -> NodeConfig.of(m)).isInstanceOf(ConfigException.class)
        .hasMessageContaining("security.protocol is PLAINTEXT");
  }
}
