package io.brook.clients.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.brook.clients.consumer.ConsumerConfig;
import io.brook.clients.producer.ProducerConfig;
import io.brook.security.DevCertificates;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClientSecurityConfigTest {
  @TempDir Path dir;

  @BeforeEach
  void certificates() throws Exception {
    DevCertificates.create(dir, List.of(), List.of("alice", "bob"), List.of(), DevCertificates.DEFAULT_VALIDITY);
  }

  @Test
  void plaintextByDefaultAndOtherKeysIgnored() {
    ClientSecurityConfig c = ClientSecurityConfig.fromProperties(Map.of("client.id", "x", "acks", "all"));
    assertThat(c.tlsEnabled()).isFalse();
    assertThat(c.securityProtocol()).isEqualTo("PLAINTEXT");
  }

  @Test
  void sslWithCaAndClientCertificate() {
    ClientSecurityConfig c = ClientSecurityConfig.fromProperties(Map.of("security.protocol", "SASL_SSL",
        "ssl.ca.certificates", dir.resolve("ca.pem").toString(), "ssl.certificate", dir.resolve("client-alice.pem").toString(),
        "ssl.private.key", dir.resolve("client-alice.key").toString(), "sasl.mechanism", "SCRAM-SHA-256",
        "sasl.username", "alice", "sasl.password", "pw"));
    assertThat(c.sasl().username()).isEqualTo("alice");
    assertThat(c.sasl().callCredentials()).isNotNull();
    assertThat(c.tlsEnabled()).isTrue();
    assertThat(c.tls().hasCertificate()).isTrue();
    assertThat(c.tls().verifyHostname()).isTrue();
    assertThat(c.properties()).containsEntry("sasl.mechanism", "SCRAM-SHA-256");
    try (ClientSecurityConfig.Transport t = c.open()) {
      assertThat(t.tlsEnabled()).isTrue();
    }
  }

  @Test
  void mistakesAreOneLine() {
    assertThatThrownBy(() -> ClientSecurityConfig.fromProperties(Map.of("security.protocol", "SSL")))
        .hasMessageContaining("ssl.ca.certificates is not set");
    assertThatThrownBy(() -> ClientSecurityConfig.fromProperties(Map.of("security.protocol", "TLS")))
        .hasMessage("invalid value 'TLS' for security.protocol: expected PLAINTEXT, SSL, SASL_SSL or SASL_PLAINTEXT");
    // A user is sent only with a SASL protocol, and a SASL protocol needs one: never silently anonymous.
    assertThatThrownBy(() -> ClientSecurityConfig.fromProperties(Map.of("sasl.mechanism", "SCRAM-SHA-256",
        "sasl.username", "a", "sasl.password", "b"))).hasMessageContaining("security.protocol is PLAINTEXT")
        .hasMessageContaining("SASL_SSL");
    assertThatThrownBy(() -> ClientSecurityConfig.fromProperties(Map.of("security.protocol", "SASL_PLAINTEXT")))
        .hasMessageContaining("needs a user");
    assertThat(ClientSecurityConfig.fromProperties(Map.of("security.protocol", "SASL_PLAINTEXT", "sasl.mechanism",
        "SCRAM-SHA-512", "sasl.username", "a", "sasl.password", "b")).tlsEnabled()).isFalse();
    assertThatThrownBy(() -> ClientSecurityConfig.fromProperties(Map.of("ssl.ca.certificates", dir.resolve("ca.pem").toString())))
        .hasMessageContaining("security.protocol is PLAINTEXT");
    assertThatThrownBy(() -> ClientSecurityConfig.fromProperties(Map.of("security.protocol", "SSL",
        "ssl.truststore.location", "/x"))).hasMessageStartingWith("unknown client setting 'ssl.truststore.location'");
    assertThatThrownBy(() -> ClientSecurityConfig.fromProperties(Map.of("security.protocol", "SSL",
        "ssl.ca.certificates", dir.resolve("ca.pem").toString(), "ssl.certificate", dir.resolve("client-alice.pem").toString(),
        "ssl.private.key", dir.resolve("client-bob.key").toString())))
        .hasMessageContaining("is not the private key of the certificate");
  }

  @Test
  void loadNamesTheFile() throws Exception {
    Path f = Files.writeString(dir.resolve("c.properties"), "security.protocol=SSL\nssl.ca.certificates=" + dir.resolve("nope.pem") + "\n");
    assertThatThrownBy(() -> ClientSecurityConfig.load(f))
        .hasMessage(f + ": ssl.ca.certificates file " + dir.resolve("nope.pem") + " does not exist");
    assertThatThrownBy(() -> ClientSecurityConfig.load(dir.resolve("missing.properties")))
        .hasMessageStartingWith("cannot read the command config file " + dir.resolve("missing.properties"));
  }

  @Test
  void producerAndConsumerConfigsTakeTheSameKeys() {
    String ca = dir.resolve("ca.pem").toString();
    ProducerConfig p = ProducerConfig.builder("localhost:9092").set("security.protocol", "SSL").set("ssl.ca.certificates", ca)
        .set("acks", "1").build();
    assertThat(p.security().tlsEnabled()).isTrue();
    ConsumerConfig c = ConsumerConfig.fromProperties(Map.of("bootstrap.servers", "localhost:9092", "security.protocol", "SSL",
        "ssl.ca.certificates", ca));
    assertThat(c.security().tlsEnabled()).isTrue();
    assertThat(ConsumerConfig.defaults("localhost:9092").security().tlsEnabled()).isFalse();
  }
}
