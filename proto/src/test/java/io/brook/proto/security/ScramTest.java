package io.brook.proto.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.brook.proto.v1.ScramMechanism;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

class ScramTest {
  /** RFC 7677 section 3: the SCRAM-SHA-256 exchange for user "user", password "pencil". */
  @Test
  void theKeysReproduceRfc7677sExchange() throws Exception {
    byte[] salt = Base64.getDecoder().decode("W22ZaJ0SNY7soEsUEjb6gQ==");
    ScramMechanism m = ScramMechanism.SCRAM_SHA_256;
    byte[] salted = Scram.saltedPassword(m, "pencil".toCharArray(), salt, 4096);
    byte[] clientKey = Scram.clientKey(m, salted);
    byte[] storedKey = Scram.storedKey(m, clientKey);
    String authMessage = "n=user,r=rOprNGfwEbeRWgbNEkqO,"
        + "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096,"
        + "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
    byte[] clientSignature = hmac(storedKey, authMessage);
    byte[] proof = new byte[clientKey.length];
    for (int i = 0; i < proof.length; i++) {
      proof[i] = (byte) (clientKey[i] ^ clientSignature[i]);
    }
    assertThat(Base64.getEncoder().encodeToString(proof)).isEqualTo("dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=");
    assertThat(Base64.getEncoder().encodeToString(hmac(Scram.serverKey(m, salted), authMessage)))
        .isEqualTo("6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=");
  }

  @Test
  void verifyAcceptsOnlyThePassword() {
    for (ScramMechanism m : new ScramMechanism[] {ScramMechanism.SCRAM_SHA_256, ScramMechanism.SCRAM_SHA_512}) {
      byte[] salt = Scram.newSalt();
      byte[] stored = Scram.storedKeyFromSalted(m, Scram.saltedPassword(m, "s3cret".toCharArray(), salt, 4096));
      assertThat(stored).hasSize(m == ScramMechanism.SCRAM_SHA_512 ? 64 : 32);
      assertThat(Scram.verify(m, "s3cret".toCharArray(), salt, 4096, stored)).isTrue();
      assertThat(Scram.verify(m, "s3cret!".toCharArray(), salt, 4096, stored)).isFalse();
      assertThat(Scram.verify(m, "s3cret".toCharArray(), salt, 4097, stored)).isFalse();
    }
  }

  @Test
  void mechanismsAndIterationsHaveKafkasNamesAndBounds() {
    assertThat(Scram.mechanism("scram-sha-512")).isEqualTo(ScramMechanism.SCRAM_SHA_512);
    assertThat(Scram.mechanismName(ScramMechanism.SCRAM_SHA_256)).isEqualTo("SCRAM-SHA-256");
    assertThatThrownBy(() -> Scram.mechanism("PLAIN")).hasMessageContaining("SCRAM-SHA-256 or SCRAM-SHA-512");
    assertThatThrownBy(() -> Scram.checkIterations(4095)).hasMessageContaining("between 4096 and 16384");
    assertThatThrownBy(() -> Scram.checkIterations(16385)).isInstanceOf(IllegalArgumentException.class);
    assertThat(Scram.checkIterations(8192)).isEqualTo(8192);
  }

  private static byte[] hmac(byte[] key, String text) throws Exception {
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(key, "HmacSHA256"));
    return mac.doFinal(text.getBytes(StandardCharsets.UTF_8));
  }
}
