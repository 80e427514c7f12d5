package io.brook.clients.internals;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.brook.proto.v1.ScramMechanism;
import io.grpc.CallCredentials;
import io.grpc.Metadata;
import io.grpc.Status;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class SaslClientConfigTest {
  @Test
  void kafkasJaasLineGivesTheUser() {
    SaslClientConfig c = SaslClientConfig.parse(Map.of("sasl.mechanism", "SCRAM-SHA-512", "sasl.jaas.config",
        "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"alice\" password=\"p\\\"w;d\";"));
    assertThat(c.mechanism()).isEqualTo(ScramMechanism.SCRAM_SHA_512);
    assertThat(c.username()).isEqualTo("alice");
    assertThat(c.password()).isEqualTo("p\"w;d");
    assertThat(c.toString()).doesNotContain("p\"w");
  }

  @Test
  void usernameAndPasswordKeysWorkToo() {
    SaslClientConfig c = SaslClientConfig.parse(Map.of("sasl.mechanism", "scram-sha-256", "sasl.username", "bob",
        "sasl.password", "secret", "bootstrap.servers", "ignored:1"));
    assertThat(c.enabled()).isTrue();
    assertThat(c.username()).isEqualTo("bob");
    assertThat(SaslClientConfig.parse(Map.of()).enabled()).isFalse();
    assertThat(SaslClientConfig.parse(Map.of()).callCredentials()).isNull();
  }

  @Test
  void badSettingsNameTheKey() {
    assertThatThrownBy(() -> SaslClientConfig.parse(Map.of("sasl.mechanism", "PLAIN", "sasl.username", "a",
        "sasl.password", "b"))).hasMessageContaining("sasl.mechanism").hasMessageContaining("SCRAM-SHA-256");
    assertThatThrownBy(() -> SaslClientConfig.parse(Map.of("sasl.username", "a", "sasl.password", "b")))
        .hasMessageContaining("no sasl.mechanism");
    assertThatThrownBy(() -> SaslClientConfig.parse(Map.of("sasl.mechanism", "SCRAM-SHA-256")))
        .hasMessageContaining("sasl.jaas.config");
    assertThatThrownBy(() -> SaslClientConfig.parse(Map.of("sasl.mechanism", "SCRAM-SHA-256", "sasl.jaas.config",
        "ScramLoginModule required username=\"a\" password=\"b\""))).hasMessageContaining("must end with ';'");
    assertThatThrownBy(() -> SaslClientConfig.parse(Map.of("sasl.mechanism", "SCRAM-SHA-256", "sasl.jaas.config",
        "ScramLoginModule username=\"a\";"))).hasMessageContaining("login module and a flag");
    assertThatThrownBy(() -> SaslClientConfig.parse(Map.of("sasl.mechanism", "SCRAM-SHA-256", "sasl.jaas.config",
        "ScramLoginModule required username=\"a;"))).hasMessageContaining("unterminated");
    assertThatThrownBy(() -> SaslClientConfig.parse(Map.of("sasl.mechanism", "SCRAM-SHA-256", "sasl.jaas.config",
        "ScramLoginModule required username=\"a\";"))).hasMessageContaining("password");
    assertThatThrownBy(() -> SaslClientConfig.parse(Map.of("sasl.mechanism", "SCRAM-SHA-256", "sasl.username", "a:b",
        "sasl.password", "c"))).hasMessageContaining("':'");
  }

  @Test
  void theCallCredentialsCarryBasicAuthAndTheMechanism() {
    CallCredentials creds = SaslClientConfig.parse(Map.of("sasl.mechanism", "SCRAM-SHA-256", "sasl.username", "alice",
        "sasl.password", "pé")).callCredentials();
    AtomicReference<Metadata> sent = new AtomicReference<>();
    creds.applyRequestMetadata(null, Runnable::run, new CallCredentials.MetadataApplier() {
      @Override
      public void apply(Metadata headers) {
        sent.set(headers);
      }

      @Override
      public void fail(Status status) {
        throw new AssertionError(status);
      }
    });
    assertThat(sent.get().get(SaslClientConfig.AUTHORIZATION_HEADER)).isEqualTo("Basic "
        + Base64.getEncoder().encodeToString("alice:pé".getBytes(StandardCharsets.UTF_8)));
    assertThat(sent.get().get(SaslClientConfig.MECHANISM_HEADER)).isEqualTo("SCRAM-SHA-256");
  }
}
