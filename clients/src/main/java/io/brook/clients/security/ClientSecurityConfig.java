package io.brook.clients.security;

import io.brook.clients.internals.SaslClientConfig;
import io.brook.security.ReloadingTls;
import io.brook.security.TlsConfigException;
import io.brook.security.TlsSettings;
import io.grpc.ChannelCredentials;
import io.grpc.InsecureChannelCredentials;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;

/**
 * How a client (producer, consumer, admin, the CLI) secures its connections, from Kafka-named
 * properties — the keys of a {@code --command-config} file, or of a client config map:
 *
 * <ul>
 *   <li>{@code security.protocol}: {@code PLAINTEXT} (default), {@code SSL}, or with a user
 *       ({@code sasl.mechanism} and {@code sasl.jaas.config} or {@code sasl.username}/{@code
 *       sasl.password}, see {@link SaslClientConfig}) {@code SASL_SSL} or {@code SASL_PLAINTEXT},
 *       Kafka's names;
 *   <li>{@code ssl.ca.certificates}: PEM file of the CAs the broker's certificate must lead to
 *       (required with SSL);
 *   <li>{@code ssl.certificate}, {@code ssl.private.key}: this client's certificate chain and
 *       PKCS#8 key, PEM, for mutual TLS (both or neither);
 *   <li>{@code ssl.endpoint.identification.algorithm}: {@code https} (default: the broker's
 *       certificate must name the host dialled) or empty (chain only);
 *   <li>{@code ssl.certificate.reload.interval.ms}: how often the files are checked for changes
 *       (default 60000).
 * </ul>
 *
 * <p>Keys starting with {@code sasl.} are kept as they are ({@link #properties()}) for the
 * authentication settings; other keys (a Kafka client file's {@code client.id}, ...) are left to
 * the caller; an unknown {@code ssl.*} key is an error, so a typo is not silently plaintext.
 * Immutable. This is the one place where client security properties are parsed.
 */
public final class ClientSecurityConfig {
  public static final String SECURITY_PROTOCOL = "security.protocol";
  /** The security keys this class reads. */
  public static final Set<String> TLS_KEYS = Set.of(SECURITY_PROTOCOL, TlsSettings.SSL_CA_CERTIFICATES,
      TlsSettings.SSL_CERTIFICATE, TlsSettings.SSL_PRIVATE_KEY, TlsSettings.SSL_ENDPOINT_IDENTIFICATION_ALGORITHM,
      TlsSettings.SSL_CERTIFICATE_RELOAD_INTERVAL_MS);

  /** No TLS, no authentication. */
  public static final ClientSecurityConfig PLAINTEXT = new ClientSecurityConfig("PLAINTEXT", null, Map.of(),
      SaslClientConfig.NONE);

  private final String securityProtocol;
  private final TlsSettings tls;
  private final Map<String, String> properties;
  private final SaslClientConfig sasl;

  private ClientSecurityConfig(String securityProtocol, TlsSettings tls, Map<String, String> properties,
                               SaslClientConfig sasl) {
    this.securityProtocol = securityProtocol;
    this.tls = tls;
    this.properties = Map.copyOf(properties);
    this.sasl = sasl;
  }

  /** Whether {@code key} is a security setting ({@code security.protocol}, {@code ssl.*}, {@code sasl.*}). */
  public static boolean isSecurityKey(String key) {
    return key.equals(SECURITY_PROTOCOL) || key.startsWith("ssl.") || key.startsWith("sasl.");
  }

  /**
   * Reads the security settings among {@code props} (other keys are ignored) and checks the files.
   *
   * @throws IllegalArgumentException one line naming the setting (and file) that is wrong
   */
  public static ClientSecurityConfig fromProperties(Map<String, String> props) {
    Map<String, String> own = new LinkedHashMap<>();
    props.forEach((k, v) -> {
      if (isSecurityKey(k)) {
        own.put(k, v == null ? "" : v.trim());
      }
    });
    for (String k : own.keySet()) {
      if (k.startsWith("ssl.") && !TLS_KEYS.contains(k)) {
        throw new IllegalArgumentException("unknown client setting '" + k + "' (known: " + String.join(", ",
            new java.util.TreeSet<>(TLS_KEYS)) + ")");
      }
    }
    String protocol = own.getOrDefault(SECURITY_PROTOCOL, "PLAINTEXT").toUpperCase(Locale.ROOT);
    if (!Set.of("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL").contains(protocol)) {
      throw new IllegalArgumentException("invalid value '" + own.get(SECURITY_PROTOCOL) + "' for security.protocol:"
          + " expected PLAINTEXT, SSL, SASL_SSL or SASL_PLAINTEXT");
    }
    SaslClientConfig sasl = SaslClientConfig.parse(own);
    boolean saslProtocol = protocol.startsWith("SASL_");
    if (saslProtocol && sasl == SaslClientConfig.NONE) {
      throw new IllegalArgumentException("security.protocol=" + protocol + " needs a user: sasl.mechanism=SCRAM-SHA-256"
          + " (or -512) and sasl.jaas.config, or sasl.username and sasl.password");
    }
    if (!saslProtocol && sasl != SaslClientConfig.NONE) {
      throw new IllegalArgumentException("sasl.mechanism is set but security.protocol is " + protocol
          + ": set security.protocol=" + (protocol.equals("SSL") ? "SASL_SSL" : "SASL_SSL (or SASL_PLAINTEXT)")
          + " to log in as the user");
    }
    if (protocol.equals("PLAINTEXT") || protocol.equals("SASL_PLAINTEXT")) {
      for (String k : own.keySet()) {
        if (k.startsWith("ssl.")) {
          throw new IllegalArgumentException(k + " is set but security.protocol is " + protocol + ": set security.protocol="
              + (saslProtocol ? "SASL_SSL" : "SSL") + " to use TLS");
        }
      }
      return new ClientSecurityConfig(protocol, null, own, sasl);
    }
    String algorithm = own.getOrDefault(TlsSettings.SSL_ENDPOINT_IDENTIFICATION_ALGORITHM, "https");
    if (!algorithm.isEmpty() && !algorithm.equalsIgnoreCase("https")) {
      throw new IllegalArgumentException("invalid value '" + algorithm + "' for "
          + TlsSettings.SSL_ENDPOINT_IDENTIFICATION_ALGORITHM + ": expected https or empty");
    }
    long reloadMs;
    try {
      reloadMs = Long.parseLong(own.getOrDefault(TlsSettings.SSL_CERTIFICATE_RELOAD_INTERVAL_MS,
          Long.toString(TlsSettings.DEFAULT_RELOAD_INTERVAL_MS)));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("invalid value for " + TlsSettings.SSL_CERTIFICATE_RELOAD_INTERVAL_MS
          + ": expected a number of milliseconds");
    }
    TlsSettings tls = new TlsSettings(path(own, TlsSettings.SSL_CERTIFICATE), path(own, TlsSettings.SSL_PRIVATE_KEY),
        path(own, TlsSettings.SSL_CA_CERTIFICATES), TlsSettings.ClientAuth.NONE, !algorithm.isEmpty(), reloadMs);
    tls.validate(false);
    return new ClientSecurityConfig(protocol, tls, own, sasl);
  }

  /**
   * Reads a Java properties file (a Kafka tool's {@code --command-config}).
   *
   * @throws IllegalArgumentException one line: the file cannot be read, or a setting is wrong
   */
  public static ClientSecurityConfig load(Path file) {
    Properties p = new Properties();
    try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      p.load(r);
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read the command config file " + file + ": " + e);
    }
    Map<String, String> m = new LinkedHashMap<>();
    p.stringPropertyNames().forEach(k -> m.put(k, p.getProperty(k)));
    try {
      return fromProperties(m);
    } catch (TlsConfigException e) {
      throw new IllegalArgumentException(file + ": " + e.getMessage());
    }
  }

  /** {@code PLAINTEXT}, {@code SSL}, {@code SASL_SSL} or {@code SASL_PLAINTEXT}. */
  public String securityProtocol() {
    return securityProtocol;
  }

  /** Whether connections use TLS. */
  public boolean tlsEnabled() {
    return tls != null;
  }

  /** The TLS settings, or null with PLAINTEXT. */
  public TlsSettings tls() {
    return tls;
  }

  /** The user to log in as (with a SASL protocol), or {@link SaslClientConfig#NONE}. */
  public SaslClientConfig sasl() {
    return sasl;
  }

  /** The security properties as given ({@code security.protocol}, {@code ssl.*}, {@code sasl.*}). */
  public Map<String, String> properties() {
    return properties;
  }

  /**
   * Starts what connections need: with TLS, the reloading trust (and key) managers; the caller
   * closes the result when its connections are closed.
   */
  public Transport open() {
    if (tls == null) {
      return new Transport(null);
    }
    return new Transport(ReloadingTls.forClient(tls));
  }

  /** The channel credentials of one client instance (plaintext or TLS); close stops the file reloading. */
  public static final class Transport implements AutoCloseable {
    private final ReloadingTls tls;

    private Transport(ReloadingTls tls) {
      this.tls = tls;
    }

    /** Credentials for a Netty channel builder: insecure (plaintext) or TLS with the reloading managers. */
    public ChannelCredentials channelCredentials() {
      return tls == null ? InsecureChannelCredentials.create() : tls.channelCredentials();
    }

    /** Whether the channels speak TLS. */
    public boolean tlsEnabled() {
      return tls != null;
    }

    @Override
    public void close() {
      if (tls != null) {
        tls.close();
      }
    }
  }

  private static Path path(Map<String, String> m, String key) {
    String v = m.get(key);
    return v == null || v.isEmpty() ? null : Path.of(v);
  }

  @Override
  public String toString() {
    return "ClientSecurityConfig[" + securityProtocol + (tls == null ? "" : ", " + tls) + "]";
  }
}
