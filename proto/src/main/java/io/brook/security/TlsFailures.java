package io.brook.security;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.security.cert.X509Certificate;
import java.util.Locale;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * Turns a failed TLS connection into one line for the user, instead of a stack trace: what went
 * wrong in the handshake (the other end's certificate is not trusted, does not name the host,
 * this end has no certificate or one the other end does not trust) or that the two ends do not
 * speak the same protocol (TLS against plaintext, either way round).
 */
public final class TlsFailures {
  /** BoringSSL's and the JDK's names of a TLS alert received ({@code TLSV1_ALERT_UNKNOWN_CA}, {@code Received fatal alert: bad_certificate}). */
  private static final java.util.regex.Pattern ALERT =
      java.util.regex.Pattern.compile("(?:tlsv1[3]?_alert_|sslv3_alert_|received fatal alert: )([a-z_]+)");

  private TlsFailures() {}

  /**
   * The user's line for {@code failure} (a gRPC failure and its causes) on a connection to
   * {@code address}, or null when nothing in it is about TLS.
   *
   * @param tlsClient whether this end spoke TLS ({@code security.protocol=SSL})
   */
  public static String explain(Throwable failure, String address, boolean tlsClient) {
    String chain = chain(failure).toLowerCase(Locale.ROOT);
    String prefix = "TLS handshake with " + address + " failed: ";
    if (chain.contains("not an ssl/tls record")) {
      return address + " speaks plaintext, not TLS: remove security.protocol=SSL (or set PLAINTEXT) in the client"
          + " config, or turn TLS on at the broker";
    }
    if (!tlsClient) {
      return null;
    }
    if (chain.contains("pkix path") || chain.contains("unable to find valid certification path")
        || chain.contains("certpathvalidatorexception") || chain.contains("signature check failed")) {
      return prefix + "certificate not trusted (its chain does not lead to a CA in ssl.ca.certificates: PKIX path"
          + " building failed)";
    }
    if (chain.contains("no subject alternative") || chain.contains("no name matching")) {
      return prefix + "the broker's certificate does not name the host dialled (" + firstLine(chain, "no ")
          + "); connect by a name in its subject alternative names, or set ssl.endpoint.identification.algorithm= to"
          + " skip the name check";
    }
    if (chain.contains("certificate_required") || chain.contains("certificate required")) {
      return prefix + "the broker requires a client certificate (set ssl.certificate and ssl.private.key)";
    }
    java.util.regex.Matcher alert = ALERT.matcher(chain);
    if (alert.find() || chain.contains("bad_certificate") || chain.contains("unknown_ca")
        || chain.contains("received fatal alert")) {
      String name = alert.find(0) ? alert.group(1) : firstLine(chain, "alert");
      return prefix + "the broker refused the handshake (TLS alert " + name + "): a broker that rejects this client's"
          + " certificate answers so; ssl.certificate must be signed by a CA in the broker's ssl.ca.certificates";
    }
    if (chain.contains("certificateexpired") || chain.contains("certificate expired") || chain.contains("notafter")) {
      return prefix + "certificate expired";
    }
    if (chain.contains("sslhandshakeexception") || chain.contains("sslexception") || chain.contains("ssl routines")) {
      return prefix + firstLine(chain, "ssl");
    }
    return null;
  }

  /**
   * Whether {@code host:port} completes a TLS handshake (any certificate accepted): to tell a
   * plaintext client that the broker speaks TLS. Waits at most {@code timeoutMs}.
   */
  public static boolean speaksTls(String host, int port, int timeoutMs) {
    try {
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(null, new TrustManager[] {new X509TrustManager() {
        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) {
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) {
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
          return new X509Certificate[0];
        }
      }}, null);
      try (Socket raw = new Socket()) {
        raw.connect(new InetSocketAddress(host, port), timeoutMs);
        raw.setSoTimeout(timeoutMs);
        try (SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket(raw, host, port, false)) {
          s.startHandshake();
          return true;
        }
      }
    } catch (IOException | java.security.GeneralSecurityException e) {
      return false;
    }
  }

  private static String chain(Throwable t) {
    StringBuilder b = new StringBuilder();
    int depth = 0;
    for (Throwable c = t; c != null && depth < 20; c = c.getCause(), depth++) {
      b.append(c.getClass().getSimpleName()).append(": ").append(c.getMessage()).append('\n');
    }
    return b.toString();
  }

  /** The first line of {@code chain} containing {@code marker}, from the marker on, trimmed. */
  private static String firstLine(String chain, String marker) {
    for (String line : chain.split("\n")) {
      int i = line.indexOf(marker);
      if (i >= 0) {
        String s = line.substring(line.indexOf(": ") + 2).trim();
        return s.length() > 200 ? s.substring(0, 200) + "..." : s;
      }
    }
    return "handshake failed";
  }
}
