package io.brook.security;

import io.grpc.util.CertificateUtils;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.util.Locale;
import java.util.Objects;

/**
 * The TLS settings of one end of a connection, as PEM files (Kafka's {@code ssl.*} names, PEM
 * instead of key stores):
 *
 * <ul>
 *   <li>{@code ssl.certificate}: this end's certificate chain (leaf first), PEM;
 *   <li>{@code ssl.private.key}: its private key, PEM PKCS#8 ({@code BEGIN PRIVATE KEY}, RSA or EC);
 *   <li>{@code ssl.ca.certificates}: the CA certificates the other end's chain must lead to, PEM;
 *   <li>{@code ssl.client.auth} (servers): none, requested or required, as Kafka;
 *   <li>{@code ssl.endpoint.identification.algorithm} (clients): {@code https} checks that the
 *       server's certificate names the host dialled (SAN DNS name or IP address, RFC 2818/6125),
 *       empty skips that check (the chain is still checked);
 *   <li>{@code ssl.certificate.reload.interval.ms}: how often the files are looked at for changes;
 *       changed files are loaded without a restart (new handshakes use them).
 * </ul>
 *
 * <p>A server needs a certificate and key; a client needs the CA file and, for mutual TLS, a
 * certificate and key. {@link #validate} checks the files once, so that a bad setting is one clear
 * line at startup rather than a failed handshake later.
 *
 * @param certificate           PEM certificate chain, or null (a client without a certificate)
 * @param privateKey            PEM PKCS#8 private key, or null (only together with {@code certificate})
 * @param caCertificates        PEM trusted CAs, or null (a server that does not check client certificates)
 * @param clientAuth            what a server asks of clients
 * @param verifyHostname        whether a client checks the server's name (endpoint identification)
 * @param reloadIntervalMs      how often the files are checked for changes, in ms (&gt; 0)
 */
public record TlsSettings(Path certificate, Path privateKey, Path caCertificates, ClientAuth clientAuth,
                          boolean verifyHostname, long reloadIntervalMs) {

  public static final String SSL_CERTIFICATE = "ssl.certificate";
  public static final String SSL_PRIVATE_KEY = "ssl.private.key";
  public static final String SSL_CA_CERTIFICATES = "ssl.ca.certificates";
  public static final String SSL_CLIENT_AUTH = "ssl.client.auth";
  public static final String SSL_ENDPOINT_IDENTIFICATION_ALGORITHM = "ssl.endpoint.identification.algorithm";
  public static final String SSL_CERTIFICATE_RELOAD_INTERVAL_MS = "ssl.certificate.reload.interval.ms";
  /** The default of {@link #SSL_CERTIFICATE_RELOAD_INTERVAL_MS}: one minute. */
  public static final long DEFAULT_RELOAD_INTERVAL_MS = 60_000;

  /** Kafka's {@code ssl.client.auth}: whether a server asks clients for a certificate. */
  public enum ClientAuth {
    /** No client certificate is asked for. */
    NONE,
    /** A client may present a certificate (it must then be trusted); clients without one are let in. */
    REQUESTED,
    /** Every client must present a trusted certificate. */
    REQUIRED;

    /**
     * Parses {@code none}, {@code requested} or {@code required} (any case).
     *
     * @throws TlsConfigException for anything else
     */
    public static ClientAuth parse(String value) {
      try {
        return valueOf(value.trim().toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new TlsConfigException("invalid value '" + value + "' for " + SSL_CLIENT_AUTH
            + ": expected none, requested or required");
      }
    }
  }

  public TlsSettings {
    Objects.requireNonNull(clientAuth, "clientAuth");
    if (reloadIntervalMs <= 0) {
      throw new TlsConfigException(SSL_CERTIFICATE_RELOAD_INTERVAL_MS + " must be > 0, got " + reloadIntervalMs);
    }
  }

  /** Whether this end has its own certificate (a server always; a client for mutual TLS). */
  public boolean hasCertificate() {
    return certificate != null;
  }

  /**
   * Checks the settings and files for a server ({@code server}) or a client: a server needs
   * {@code ssl.certificate} and {@code ssl.private.key}, and {@code ssl.ca.certificates} unless
   * {@code ssl.client.auth=none}; a client needs {@code ssl.ca.certificates}, and the certificate
   * and key both or neither. Every named file must be readable PEM, and the key must belong to
   * the certificate (a signature made with the key is checked with the certificate's public key).
   *
   * @return this
   * @throws TlsConfigException with one line naming the setting, the file and what is wrong
   */
  public TlsSettings validate(boolean server) {
    if ((certificate == null) != (privateKey == null)) {
      throw new TlsConfigException(certificate == null
          ? SSL_PRIVATE_KEY + " is set but " + SSL_CERTIFICATE + " is not: set both or neither"
          : SSL_CERTIFICATE + " is set but " + SSL_PRIVATE_KEY + " is not: set both or neither");
    }
    if (server && certificate == null) {
      throw new TlsConfigException("TLS is on (security.protocol=SSL) but " + SSL_CERTIFICATE + " and "
          + SSL_PRIVATE_KEY + " are not set: a TLS server needs its certificate and private key");
    }
    boolean needCa = !server || clientAuth != ClientAuth.NONE;
    if (needCa && caCertificates == null) {
      throw new TlsConfigException("TLS is on (security.protocol=SSL) but " + SSL_CA_CERTIFICATES + " is not set"
          + (server ? " (needed to check client and peer certificates; " + SSL_CLIENT_AUTH + "=" + name(clientAuth) + ")"
                    : " (needed to check the broker's certificate)"));
    }
    if (caCertificates != null) {
      X509Certificate[] cas = readCertificates(SSL_CA_CERTIFICATES, caCertificates);
      if (cas.length == 0) {
        throw new TlsConfigException(SSL_CA_CERTIFICATES + " file " + caCertificates + " holds no PEM certificate");
      }
    }
    if (certificate != null) {
      readIdentity();
    }
    return this;
  }

  /** A certificate chain (leaf first) and its private key. */
  public record Identity(X509Certificate[] chain, PrivateKey key) {}

  /**
   * Reads {@code ssl.certificate} and {@code ssl.private.key} and checks that they belong together.
   *
   * @throws TlsConfigException as {@link #validate}
   */
  public Identity readIdentity() {
    X509Certificate[] chain = readCertificates(SSL_CERTIFICATE, certificate);
    if (chain.length == 0) {
      throw new TlsConfigException(SSL_CERTIFICATE + " file " + certificate + " holds no PEM certificate");
    }
    PrivateKey key = readPrivateKey(privateKey);
    if (!matches(key, chain[0].getPublicKey())) {
      throw new TlsConfigException(SSL_PRIVATE_KEY + " file " + privateKey + " is not the private key of the certificate in "
          + SSL_CERTIFICATE + " file " + certificate + " (" + chain[0].getSubjectX500Principal().getName() + ")");
    }
    return new Identity(chain, key);
  }

  private static String name(ClientAuth a) {
    return a.name().toLowerCase(Locale.ROOT);
  }

  /** Reads a PEM certificate file; a missing, unreadable or malformed file is a {@link TlsConfigException}. */
  static X509Certificate[] readCertificates(String setting, Path file) {
    requireReadable(setting, file);
    try (InputStream in = Files.newInputStream(file)) {
      return CertificateUtils.getX509Certificates(in);
    } catch (IOException | GeneralSecurityException | RuntimeException e) {
      throw new TlsConfigException(setting + " file " + file + " is not a PEM certificate file: " + e.getMessage());
    }
  }

  private static PrivateKey readPrivateKey(Path file) {
    requireReadable(SSL_PRIVATE_KEY, file);
    try (InputStream in = Files.newInputStream(file)) {
      PrivateKey key = CertificateUtils.getPrivateKey(in);
      if (key == null) {
        throw new TlsConfigException(SSL_PRIVATE_KEY + " file " + file + " holds no PEM private key");
      }
      return key;
    } catch (IOException | GeneralSecurityException | IllegalArgumentException e) {
      throw new TlsConfigException(SSL_PRIVATE_KEY + " file " + file
          + " is not a PEM PKCS#8 private key (BEGIN PRIVATE KEY, RSA or EC): " + e.getMessage());
    }
  }

  private static void requireReadable(String setting, Path file) {
    if (!Files.isRegularFile(file)) {
      throw new TlsConfigException(setting + " file " + file + " does not exist");
    }
    if (!Files.isReadable(file)) {
      throw new TlsConfigException(setting + " file " + file + " is not readable");
    }
  }

  /** Whether {@code key} signs what {@code publicKey} verifies. */
  static boolean matches(PrivateKey key, PublicKey publicKey) {
    if (!key.getAlgorithm().equals(publicKey.getAlgorithm())) {
      return false;
    }
    String algorithm = switch (key.getAlgorithm()) {
      case "RSA" -> "SHA256withRSA";
      case "EC" -> "SHA256withECDSA";
      default -> key.getAlgorithm(); // Ed25519, Ed448
    };
    try {
      byte[] data = new byte[32];
      new SecureRandom().nextBytes(data);
      Signature s = Signature.getInstance(algorithm);
      s.initSign(key);
      s.update(data);
      byte[] signature = s.sign();
      Signature v = Signature.getInstance(algorithm);
      v.initVerify(publicKey);
      v.update(data);
      return v.verify(signature);
    } catch (GeneralSecurityException e) {
      return false;
    }
  }
}
