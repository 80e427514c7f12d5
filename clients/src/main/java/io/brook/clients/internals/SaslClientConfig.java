package io.brook.clients.internals;

import io.brook.proto.security.Scram;
import io.brook.proto.v1.ScramMechanism;
import io.grpc.CallCredentials;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Executor;

/**
 * A client's user name and password, from Kafka's client properties:
 *
 * <ul>
 *   <li>{@code sasl.mechanism}: {@code SCRAM-SHA-256} or {@code SCRAM-SHA-512} (required when a
 *       user is given);
 *   <li>{@code sasl.jaas.config}: Kafka's line, e.g. {@code
 *       org.apache.kafka.common.security.scram.ScramLoginModule required username="alice"
 *       password="alice-secret";} (double-quoted values, {@code \"} and {@code \\} escaped), or
 *   <li>{@code sasl.username} and {@code sasl.password} (Brook's shorter form; the JAAS line wins
 *       when both are given).
 * </ul>
 *
 * <p>Brook sends them with every gRPC call as call credentials: metadata {@code authorization:
 * Basic base64(user:password)} (RFC 7617) and {@code brook-sasl-mechanism}; the node checks the
 * password against the user's stored SCRAM credential (docs/security.md). Use TLS: the password
 * crosses the connection. Immutable.
 */
public record SaslClientConfig(ScramMechanism mechanism, String username, String password) {
  public static final String SASL_MECHANISM = "sasl.mechanism";
  public static final String SASL_JAAS_CONFIG = "sasl.jaas.config";
  public static final String SASL_USERNAME = "sasl.username";
  public static final String SASL_PASSWORD = "sasl.password";
  /** The metadata key naming the SCRAM mechanism whose credential the password is checked against. */
  public static final Metadata.Key<String> MECHANISM_HEADER =
      Metadata.Key.of("brook-sasl-mechanism", Metadata.ASCII_STRING_MARSHALLER);
  public static final Metadata.Key<String> AUTHORIZATION_HEADER =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  /** No user: calls carry no credentials. */
  public static final SaslClientConfig NONE = new SaslClientConfig(null, null, null);

  /**
   * Reads the SASL keys of a client's properties; other keys are ignored (they belong to TLS and
   * the clients' own settings).
   *
   * @throws IllegalArgumentException naming the key: an unsupported mechanism, a mechanism
   *     without a user, a user without a mechanism, or a JAAS line that does not parse
   */
  public static SaslClientConfig parse(Map<String, String> props) {
    String mech = props.get(SASL_MECHANISM);
    String user = props.get(SASL_USERNAME);
    String pass = props.get(SASL_PASSWORD);
    String jaas = props.get(SASL_JAAS_CONFIG);
    if (jaas != null && !jaas.isBlank()) {
      Map<String, String> options = parseJaas(jaas);
      user = options.get("username");
      pass = options.get("password");
      if (user == null || pass == null) {
        throw new IllegalArgumentException(SASL_JAAS_CONFIG + " needs username=\"...\" and password=\"...\"");
      }
    }
    if (mech == null || mech.isBlank()) {
      if (user != null || pass != null) {
        throw new IllegalArgumentException("a user is given but no " + SASL_MECHANISM
            + ": set it to SCRAM-SHA-256 or SCRAM-SHA-512");
      }
      return NONE;
    }
    ScramMechanism m;
    try {
      m = Scram.mechanism(mech);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(SASL_MECHANISM + ": " + e.getMessage());
    }
    if (user == null || user.isEmpty() || pass == null) {
      throw new IllegalArgumentException(SASL_MECHANISM + "=" + mech + " needs " + SASL_JAAS_CONFIG + " or "
          + SASL_USERNAME + " and " + SASL_PASSWORD);
    }
    if (user.indexOf(':') >= 0) {
      throw new IllegalArgumentException("a user name cannot contain ':' (RFC 7617), got '" + user + "'");
    }
    return new SaslClientConfig(m, user, pass);
  }

  /**
   * The options of a JAAS configuration line: {@code LoginModuleClass flag key=value ... ;}.
   *
   * @throws IllegalArgumentException when the line does not parse
   */
  static Map<String, String> parseJaas(String line) {
    String s = line.strip();
    if (!s.endsWith(";")) {
      throw new IllegalArgumentException(SASL_JAAS_CONFIG + " must end with ';'");
    }
    s = s.substring(0, s.length() - 1);
    int i = 0;
    String[] head = new String[2];
    for (int h = 0; h < 2; h++) {
      while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
        i++;
      }
      int start = i;
      while (i < s.length() && !Character.isWhitespace(s.charAt(i))) {
        i++;
      }
      head[h] = s.substring(start, i);
    }
    if (head[0].isEmpty() || !head[1].matches("(?i)required|requisite|sufficient|optional")) {
      throw new IllegalArgumentException(SASL_JAAS_CONFIG + " must start with a login module and a flag"
          + " (e.g. org.apache.kafka.common.security.scram.ScramLoginModule required)");
    }
    Map<String, String> options = new LinkedHashMap<>();
    while (true) {
      while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
        i++;
      }
      if (i >= s.length()) {
        return options;
      }
      int eq = s.indexOf('=', i);
      if (eq < 0) {
        throw new IllegalArgumentException(SASL_JAAS_CONFIG + ": expected key=value at '" + s.substring(i) + "'");
      }
      String key = s.substring(i, eq).strip();
      i = eq + 1;
      StringBuilder value = new StringBuilder();
      if (i < s.length() && s.charAt(i) == '"') {
        i++;
        boolean closed = false;
        while (i < s.length()) {
          char c = s.charAt(i++);
          if (c == '\\' && i < s.length()) {
            value.append(s.charAt(i++));
          } else if (c == '"') {
            closed = true;
            break;
          } else {
            value.append(c);
          }
        }
        if (!closed) {
          throw new IllegalArgumentException(SASL_JAAS_CONFIG + ": unterminated quote in the value of " + key);
        }
      } else {
        while (i < s.length() && !Character.isWhitespace(s.charAt(i))) {
          value.append(s.charAt(i++));
        }
      }
      options.put(key, value.toString());
    }
  }

  /** Whether calls carry a user. */
  public boolean enabled() {
    return mechanism != null;
  }

  /** The call credentials to attach to every call, or null when no user is configured. */
  public CallCredentials callCredentials() {
    if (!enabled()) {
      return null;
    }
    String basic = "Basic " + Base64.getEncoder().encodeToString((username + ":" + password)
        .getBytes(StandardCharsets.UTF_8));
    String mech = Scram.mechanismName(mechanism);
    return new CallCredentials() {
      @Override
      public void applyRequestMetadata(RequestInfo info, Executor executor, MetadataApplier applier) {
        Metadata headers = new Metadata();
        headers.put(AUTHORIZATION_HEADER, basic);
        headers.put(MECHANISM_HEADER, mech);
        applier.apply(headers);
      }
    };
  }

  /** A channel interceptor that puts {@code credentials} on every call. */
  public static ClientInterceptor withCredentials(CallCredentials credentials) {
    return new ClientInterceptor() {
      @Override
      public <Q, A> ClientCall<Q, A> interceptCall(MethodDescriptor<Q, A> method, CallOptions options, Channel next) {
        return next.newCall(method, options.withCallCredentials(credentials));
      }
    };
  }

  @Override
  public String toString() {
    return enabled() ? "SaslClientConfig[" + Scram.mechanismName(mechanism) + ", user " + username + "]" : "SaslClientConfig[none]";
  }
}
