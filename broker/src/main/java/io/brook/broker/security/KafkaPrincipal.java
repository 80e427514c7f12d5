package io.brook.broker.security;

import io.grpc.Context;

/**
 * Who a call comes from, as Kafka names it: a type and a name, written {@code User:alice}. A
 * caller that presented neither a client certificate nor a user is {@link #ANONYMOUS}
 * ({@code User:ANONYMOUS}, as in Kafka). The {@link AuthenticationInterceptor} puts the principal
 * and the client's address into the gRPC {@link Context} of every call.
 *
 * @param type e.g. {@code User}
 * @param name e.g. {@code alice}, or a certificate's mapped DN
 */
public record KafkaPrincipal(String type, String name) {
  /** The one principal type Brook uses (Kafka's {@code KafkaPrincipal.USER_TYPE}). */
  public static final String USER_TYPE = "User";
  /** A caller with neither a user nor a client certificate. */
  public static final KafkaPrincipal ANONYMOUS = new KafkaPrincipal(USER_TYPE, "ANONYMOUS");
  /** The principal of the current call (ANONYMOUS outside a call or without authentication). */
  public static final Context.Key<KafkaPrincipal> CONTEXT_KEY = Context.keyWithDefault("brook-principal", ANONYMOUS);
  /** The current call's client IP address as text, or "" when unknown (in-process calls). */
  public static final Context.Key<String> CLIENT_HOST_KEY = Context.keyWithDefault("brook-client-host", "");

  /** {@code User:name}. */
  public static KafkaPrincipal user(String name) {
    return new KafkaPrincipal(USER_TYPE, name);
  }

  /**
   * Parses {@code Type:name} (the name may contain ':').
   *
   * @throws IllegalArgumentException when there is no ':' or a part is empty
   */
  public static KafkaPrincipal parse(String s) {
    int colon = s.indexOf(':');
    if (colon <= 0 || colon == s.length() - 1) {
      throw new IllegalArgumentException("principal '" + s + "' is not of the form Type:name (e.g. User:alice)");
    }
    return new KafkaPrincipal(s.substring(0, colon).trim(), s.substring(colon + 1).trim());
  }

  /** The current call's principal. */
  public static KafkaPrincipal current() {
    return CONTEXT_KEY.get();
  }

  @Override
  public String toString() {
    return type + ":" + name;
  }
}
