package io.brook.broker.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.brook.metadata.image.ScramCredential;
import io.brook.metadata.image.SecurityImage;
import io.brook.proto.common.v1.ErrorCode;
import io.brook.proto.errors.WireErrors;
import io.brook.proto.security.Scram;
import io.brook.proto.v1.ScramMechanism;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AuthenticationInterceptorTest {
  private SecurityImage image = SecurityImage.EMPTY;
  private final AuthenticationInterceptor auth = new AuthenticationInterceptor(() -> image,
      SslPrincipalMapper.fromRules("RULE:^CN=([^,]*),OU=Brokers.*$/$1/L,DEFAULT"));

  static ScramCredential credential(ScramMechanism m, String password, int iterations) {
    byte[] salt = Scram.newSalt();
    byte[] salted = Scram.saltedPassword(m, password.toCharArray(), salt, iterations);
    return new ScramCredential(m, ByteString.copyFrom(salt), ByteString.copyFrom(Scram.storedKeyFromSalted(m, salted)),
        ByteString.copyFrom(Scram.serverKey(m, salted)), iterations);
  }

  private void setUser(String name, ScramCredential c) {
    image = new SecurityImage(Map.of(), Map.of(name, Map.of(c.mechanism(), c)));
  }

  static String basic(String user, String password) {
    return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void aRightPasswordGivesTheUsersPrincipal() {
    setUser("alice", credential(ScramMechanism.SCRAM_SHA_256, "alice-secret", 4096));
    assertThat(auth.authenticate(basic("alice", "alice-secret"), "SCRAM-SHA-256", null)).isEqualTo(KafkaPrincipal.user("alice"));
    assertThat(auth.authenticate(basic("alice", "alice-secret"), null, null).toString()).isEqualTo("User:alice");
  }

  @Test
  void aWrongPasswordAndAnUnknownUserAreRefusedAlike() {
    setUser("alice", credential(ScramMechanism.SCRAM_SHA_512, "alice-secret", 4096));
    StatusRuntimeException wrong = refusal(basic("alice", "guess"), "SCRAM-SHA-512");
    StatusRuntimeException unknown = refusal(basic("mallory", "guess"), "SCRAM-SHA-512");
    StatusRuntimeException otherMechanism = refusal(basic("alice", "alice-secret"), "SCRAM-SHA-256");
    for (StatusRuntimeException e : new StatusRuntimeException[] {wrong, unknown, otherMechanism}) {
      assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
      assertThat(WireErrors.toException(e).code()).isEqualTo(ErrorCode.SASL_AUTHENTICATION_FAILED);
    }
    assertThat(unknown.getStatus().getDescription()).as("no hint that the user does not exist")
        .isEqualTo(wrong.getStatus().getDescription()).contains("wrong user name or password");
    assertThat(WireErrors.toException(refusal(basic("alice", "x"), "PLAIN")).code()).isEqualTo(ErrorCode.UNSUPPORTED_SASL_MECHANISM);
    assertThat(WireErrors.toException(refusal("Bearer abc", null)).code()).isEqualTo(ErrorCode.SASL_AUTHENTICATION_FAILED);
    assertThat(WireErrors.toException(refusal("Basic !!!", null)).code()).isEqualTo(ErrorCode.SASL_AUTHENTICATION_FAILED);
  }

  private StatusRuntimeException refusal(String header, String mechanism) {
    try {
      auth.authenticate(header, mechanism, null);
    } catch (StatusRuntimeException e) {
      return e;
    }
    throw new AssertionError("authenticated " + header);
  }

  @Test
  void verifiedPasswordsAreCachedUntilTheCredentialChanges() {
    setUser("alice", credential(ScramMechanism.SCRAM_SHA_256, "one", 4096));
    auth.authenticate(basic("alice", "one"), "SCRAM-SHA-256", null);
    long runs = auth.pbkdf2Runs();
    for (int i = 0; i < 20; i++) {
      auth.authenticate(basic("alice", "one"), "SCRAM-SHA-256", null);
    }
    assertThat(auth.pbkdf2Runs()).as("cached: no PBKDF2 per call").isEqualTo(runs);
    refusal(basic("alice", "two"), "SCRAM-SHA-256");
    assertThat(auth.pbkdf2Runs()).as("a wrong password is checked every time").isEqualTo(runs + 1);

    setUser("alice", credential(ScramMechanism.SCRAM_SHA_256, "two", 4096)); // the password changed
    refusal(basic("alice", "one"), "SCRAM-SHA-256");
    assertThat(auth.authenticate(basic("alice", "two"), "SCRAM-SHA-256", null).name()).isEqualTo("alice");
    image = SecurityImage.EMPTY; // the user was deleted
    refusal(basic("alice", "two"), "SCRAM-SHA-256");
  }

  @Test
  void aClientCertificateGivesItsMappedPrincipalAndNothingGivesAnonymous() {
    assertThat(auth.authenticate(null, null, FakeCertificate.session(new FakeCertificate("CN=Broker1,OU=Brokers,O=Brook"))))
        .isEqualTo(KafkaPrincipal.user("broker1"));
    assertThat(auth.authenticate(null, null, FakeCertificate.session(new FakeCertificate("CN=alice,O=Example"))))
        .isEqualTo(KafkaPrincipal.user("CN=alice,O=Example"));
    assertThat(auth.authenticate(null, null, FakeCertificate.session(null))).isEqualTo(KafkaPrincipal.ANONYMOUS);
    assertThat(auth.authenticate(null, null, null)).isEqualTo(KafkaPrincipal.ANONYMOUS);
    setUser("alice", credential(ScramMechanism.SCRAM_SHA_256, "pw", 4096));
    assertThat(auth.authenticate(basic("alice", "pw"), null, FakeCertificate.session(new FakeCertificate("CN=x,OU=Brokers"))))
        .as("a user given over TLS is the principal (Kafka's SASL_SSL)").isEqualTo(KafkaPrincipal.user("alice"));
    AuthenticationInterceptor strict = new AuthenticationInterceptor(() -> image,
        SslPrincipalMapper.fromRules("RULE:^CN=([^,]*),OU=Brokers.*$/$1/"));
    assertThatThrownBy(() -> strict.authenticate(null, null, FakeCertificate.session(new FakeCertificate("CN=x,O=Other"))))
        .isInstanceOf(StatusRuntimeException.class).hasMessageContaining("no ssl.principal.mapping.rules rule matches");
  }
}
