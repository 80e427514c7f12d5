package io.brook.broker.security;

import io.brook.metadata.image.ScramCredential;
import io.brook.metadata.image.SecurityImage;
import io.brook.proto.common.v1.ErrorCode;
import io.brook.proto.errors.WireErrors;
import io.brook.proto.security.Scram;
import io.brook.proto.v1.ScramMechanism;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.StatusRuntimeException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/**
 * Establishes who calls (docs/security.md, "Principals"), before anything else runs, and puts the
 * {@link KafkaPrincipal} and the client's IP address into the call's {@link Context}:
 *
 * <ol>
 *   <li>a user name and password ({@code authorization: Basic base64(user:password)}, RFC 7617,
 *       with the SCRAM mechanism in {@code brook-sasl-mechanism}; Kafka's SASL/SCRAM users) are
 *       checked against the user's stored SCRAM credential: PBKDF2 of the password with the stored
 *       salt and iterations, then ClientKey and StoredKey (RFC 5802), compared in constant time.
 *       Principal {@code User:<name>}. A wrong password, an unknown user or a user without a
 *       credential for that mechanism are refused alike with UNAUTHENTICATED
 *       (SASL_AUTHENTICATION_FAILED), which does not say whether the user exists (an unknown user
 *       costs the same PBKDF2 as a known one);
 *   <li>else the TLS client certificate ({@link Grpc#TRANSPORT_ATTR_SSL_SESSION}): principal
 *       {@code User:<name>} where the name comes from the subject DN by {@code
 *       ssl.principal.mapping.rules} ({@link SslPrincipalMapper});
 *   <li>else {@link KafkaPrincipal#ANONYMOUS}.
 * </ol>
 *
 * <p>Verified passwords are cached (user, mechanism, SHA-256 of the password) together with the
 * credential they matched; an entry counts only while the image still holds that very credential,
 * so a changed or deleted credential takes effect at once. So a client's calls cost one PBKDF2
 * per credential change, not per call. The cache holds {@value #CACHE_ENTRIES} entries (LRU).
 * Wrong passwords are never cached. Thread-safe.
 */
public final class AuthenticationInterceptor implements ServerInterceptor {
  static final int CACHE_ENTRIES = 1024;
  static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
  static final Metadata.Key<String> MECHANISM = Metadata.Key.of("brook-sasl-mechanism", Metadata.ASCII_STRING_MARSHALLER);
  private static final String FAILED = "authentication failed: wrong user name or password";
  /** Spent on unknown users so that they take as long as known ones. */
  private static final byte[] DUMMY_SALT = Scram.newSalt();

  private final Supplier<SecurityImage> security;
  private final SslPrincipalMapper mapper;
  private final Map<String, ScramCredential> verified = new LinkedHashMap<>(64, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, ScramCredential> eldest) {
      return size() > CACHE_ENTRIES;
    }
  };
  private long pbkdf2Runs;

  /**
   * @param security the current users' credentials (the node's metadata image)
   * @param mapper   certificate subject to user name
   */
  public AuthenticationInterceptor(Supplier<SecurityImage> security, SslPrincipalMapper mapper) {
    this.security = security;
    this.mapper = mapper;
  }

  @Override
  public <Q, A> ServerCall.Listener<Q> interceptCall(ServerCall<Q, A> call, Metadata headers, ServerCallHandler<Q, A> next) {
    KafkaPrincipal principal;
    try {
      principal = authenticate(headers.get(AUTHORIZATION), headers.get(MECHANISM),
          call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION));
    } catch (StatusRuntimeException e) {
      call.close(e.getStatus(), e.getTrailers() == null ? new Metadata() : e.getTrailers());
      return new ServerCall.Listener<>() {};
    }
    Context ctx = Context.current().withValues(KafkaPrincipal.CONTEXT_KEY, principal,
        KafkaPrincipal.CLIENT_HOST_KEY, clientHost(call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR)));
    return Contexts.interceptCall(ctx, call, headers, next);
  }

  /** The client's IP address as text, or "" when the transport has none (in-process). */
  static String clientHost(SocketAddress remote) {
    if (remote instanceof InetSocketAddress inet && inet.getAddress() != null) {
      return inet.getAddress().getHostAddress();
    }
    return "";
  }

  /**
   * The principal of a call with these credentials.
   *
   * @param authorization the {@code authorization} header, or null
   * @param mechanism     the {@code brook-sasl-mechanism} header, or null (then the user's one credential, SHA-512 first)
   * @param ssl           the TLS session, or null on plaintext
   * @throws StatusRuntimeException UNAUTHENTICATED with a SASL_AUTHENTICATION_FAILED or UNSUPPORTED_SASL_MECHANISM detail
   */
  KafkaPrincipal authenticate(String authorization, String mechanism, SSLSession ssl) {
    if (authorization != null) {
      return KafkaPrincipal.user(checkPassword(authorization, mechanism));
    }
    if (ssl != null) {
      X509Certificate cert = peerCertificate(ssl);
      if (cert != null) {
        try {
          return KafkaPrincipal.user(mapper.name(cert.getSubjectX500Principal().getName()));
        } catch (IllegalArgumentException e) {
          throw WireErrors.toStatus(ErrorCode.SASL_AUTHENTICATION_FAILED, "authentication failed: " + e.getMessage());
        }
      }
    }
    return KafkaPrincipal.ANONYMOUS;
  }

  private static X509Certificate peerCertificate(SSLSession ssl) {
    try {
      Certificate[] chain = ssl.getPeerCertificates();
      return chain.length > 0 && chain[0] instanceof X509Certificate x ? x : null;
    } catch (SSLPeerUnverifiedException e) {
      return null; // TLS without a client certificate
    }
  }

  private String checkPassword(String authorization, String mechanismName) {
    if (!authorization.regionMatches(true, 0, "Basic ", 0, 6)) {
      throw WireErrors.toStatus(ErrorCode.SASL_AUTHENTICATION_FAILED,
          "authentication failed: the authorization header must be 'Basic base64(user:password)'");
    }
    String decoded;
    try {
      decoded = new String(Base64.getDecoder().decode(authorization.substring(6).trim()), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      throw WireErrors.toStatus(ErrorCode.SASL_AUTHENTICATION_FAILED,
          "authentication failed: the authorization header is not base64(user:password)");
    }
    int colon = decoded.indexOf(':');
    if (colon <= 0) {
      throw WireErrors.toStatus(ErrorCode.SASL_AUTHENTICATION_FAILED,
          "authentication failed: the authorization header is not base64(user:password)");
    }
    String user = decoded.substring(0, colon);
    String password = decoded.substring(colon + 1);
    ScramMechanism wanted = null;
    if (mechanismName != null) {
      try {
        wanted = Scram.mechanism(mechanismName);
      } catch (IllegalArgumentException e) {
        throw WireErrors.toStatus(ErrorCode.UNSUPPORTED_SASL_MECHANISM, e.getMessage());
      }
    }
    SecurityImage image = security.get();
    ScramCredential cred = wanted != null ? image.credential(user, wanted)
        : image.credential(user, ScramMechanism.SCRAM_SHA_512) != null ? image.credential(user, ScramMechanism.SCRAM_SHA_512)
        : image.credential(user, ScramMechanism.SCRAM_SHA_256);
    String mech = Scram.mechanismName(wanted != null ? wanted : cred != null ? cred.mechanism() : ScramMechanism.SCRAM_SHA_256);
    if (cred == null) {
      // Unknown user: spend the same work as for a known one, then refuse alike.
      runPbkdf2(ScramMechanism.SCRAM_SHA_256, password, DUMMY_SALT, Scram.DEFAULT_ITERATIONS);
      throw WireErrors.toStatus(ErrorCode.SASL_AUTHENTICATION_FAILED, FAILED + " (" + mech + ")");
    }
    String key = user + '\u0000' + cred.mechanism() + '\u0000' + sha256(password);
    synchronized (verified) {
      if (cred.equals(verified.get(key))) {
        return user;
      }
    }
    byte[] salted = runPbkdf2(cred.mechanism(), password, cred.salt().toByteArray(), cred.iterations());
    boolean ok = MessageDigest.isEqual(Scram.storedKeyFromSalted(cred.mechanism(), salted), cred.storedKey().toByteArray());
    java.util.Arrays.fill(salted, (byte) 0);
    if (!ok) {
      throw WireErrors.toStatus(ErrorCode.SASL_AUTHENTICATION_FAILED, FAILED + " (" + mech + ")");
    }
    synchronized (verified) {
      verified.put(key, cred);
    }
    return user;
  }

  private byte[] runPbkdf2(ScramMechanism m, String password, byte[] salt, int iterations) {
    synchronized (verified) {
      pbkdf2Runs++;
    }
    return Scram.saltedPassword(m, password.toCharArray(), salt, iterations);
  }

  /** How many PBKDF2 computations this interceptor ran (tests: the cache saves them). */
  long pbkdf2Runs() {
    synchronized (verified) {
      return pbkdf2Runs;
    }
  }

  private static String sha256(String s) {
    try {
      return Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
