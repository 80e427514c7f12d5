package io.brook.proto.security;

import io.brook.proto.v1.ScramMechanism;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import javax.crypto.Mac;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The SCRAM formulas of RFC 5802 (section 3) for SCRAM-SHA-256 (RFC 7677) and SCRAM-SHA-512, as
 * Kafka computes and stores its credentials (KIP-84, KIP-554), with the JDK's PBKDF2 and HMAC:
 *
 * <pre>
 * SaltedPassword = Hi(password, salt, iterations)      (= PBKDF2 with HMAC-SHA-xxx, one block)
 * ClientKey      = HMAC(SaltedPassword, "Client Key")
 * StoredKey      = H(ClientKey)
 * ServerKey      = HMAC(SaltedPassword, "Server Key")
 * </pre>
 *
 * <p>Only salt, iterations, StoredKey and ServerKey are stored. A password is checked by computing
 * StoredKey from it and comparing in constant time. Thread-safe (stateless).
 */
public final class Scram {
  /** Kafka's bounds on the iteration count of a SCRAM credential. */
  public static final int MIN_ITERATIONS = 4096;
  public static final int MAX_ITERATIONS = 16384;
  /** Kafka's default for {@code kafka-configs --add-config SCRAM-SHA-256=[password=...]}. */
  public static final int DEFAULT_ITERATIONS = 8192;
  /** Bytes of random salt a new credential gets. */
  public static final int SALT_BYTES = 32;

  private static final SecureRandom RANDOM = new SecureRandom();

  private Scram() {}

  /** Kafka's name of a mechanism ("SCRAM-SHA-256"). */
  public static String mechanismName(ScramMechanism m) {
    return switch (m) {
      case SCRAM_SHA_256 -> "SCRAM-SHA-256";
      case SCRAM_SHA_512 -> "SCRAM-SHA-512";
      default -> throw new IllegalArgumentException("no SCRAM mechanism given");
    };
  }

  /**
   * The mechanism Kafka calls {@code name} ("SCRAM-SHA-256" or "SCRAM-SHA-512", case-insensitive).
   *
   * @throws IllegalArgumentException for any other name, listing the two
   */
  public static ScramMechanism mechanism(String name) {
    String n = name == null ? "" : name.trim().toUpperCase(java.util.Locale.ROOT);
    return switch (n) {
      case "SCRAM-SHA-256" -> ScramMechanism.SCRAM_SHA_256;
      case "SCRAM-SHA-512" -> ScramMechanism.SCRAM_SHA_512;
      default -> throw new IllegalArgumentException("unsupported SASL mechanism '" + name
          + "': use SCRAM-SHA-256 or SCRAM-SHA-512");
    };
  }

  /** A new random salt of {@value #SALT_BYTES} bytes. */
  public static byte[] newSalt() {
    byte[] salt = new byte[SALT_BYTES];
    RANDOM.nextBytes(salt);
    return salt;
  }

  /** RFC 5802's Hi(): PBKDF2 with HMAC of the mechanism's hash, output the hash's length. */
  public static byte[] saltedPassword(ScramMechanism m, char[] password, byte[] salt, int iterations) {
    try {
      int bits = m == ScramMechanism.SCRAM_SHA_512 ? 512 : 256;
      PBEKeySpec spec = new PBEKeySpec(password, salt, iterations, bits);
      try {
        return SecretKeyFactory.getInstance("PBKDF2With" + hmac(m)).generateSecret(spec).getEncoded();
      } finally {
        spec.clearPassword();
      }
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK lacks PBKDF2With" + hmac(m), e);
    }
  }

  /** HMAC(SaltedPassword, "Client Key"). */
  public static byte[] clientKey(ScramMechanism m, byte[] saltedPassword) {
    return hmac(m, saltedPassword, "Client Key");
  }

  /** HMAC(SaltedPassword, "Server Key"). */
  public static byte[] serverKey(ScramMechanism m, byte[] saltedPassword) {
    return hmac(m, saltedPassword, "Server Key");
  }

  /** H(ClientKey). */
  public static byte[] storedKey(ScramMechanism m, byte[] clientKey) {
    try {
      return MessageDigest.getInstance(m == ScramMechanism.SCRAM_SHA_512 ? "SHA-512" : "SHA-256").digest(clientKey);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** StoredKey from a salted password (what the server stores, and what a login is compared with). */
  public static byte[] storedKeyFromSalted(ScramMechanism m, byte[] saltedPassword) {
    return storedKey(m, clientKey(m, saltedPassword));
  }

  /**
   * Whether {@code password} is the one the stored key was made from: computes StoredKey from it
   * and compares in constant time ({@link MessageDigest#isEqual}). Costs {@code iterations}
   * HMACs.
   */
  public static boolean verify(ScramMechanism m, char[] password, byte[] salt, int iterations, byte[] storedKey) {
    byte[] salted = saltedPassword(m, password, salt, iterations);
    try {
      return MessageDigest.isEqual(storedKeyFromSalted(m, salted), storedKey);
    } finally {
      Arrays.fill(salted, (byte) 0);
    }
  }

  /**
   * Checks an iteration count against Kafka's bounds.
   *
   * @throws IllegalArgumentException outside {@value #MIN_ITERATIONS}..{@value #MAX_ITERATIONS}
   */
  public static int checkIterations(int iterations) {
    if (iterations < MIN_ITERATIONS || iterations > MAX_ITERATIONS) {
      throw new IllegalArgumentException("iterations must be between " + MIN_ITERATIONS + " and " + MAX_ITERATIONS
          + ", got " + iterations);
    }
    return iterations;
  }

  private static String hmac(ScramMechanism m) {
    return m == ScramMechanism.SCRAM_SHA_512 ? "HmacSHA512" : "HmacSHA256";
  }

  private static byte[] hmac(ScramMechanism m, byte[] key, String text) {
    try {
      Mac mac = Mac.getInstance(hmac(m));
      mac.init(new SecretKeySpec(key, hmac(m)));
      return mac.doFinal(text.getBytes(StandardCharsets.US_ASCII));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }
}
