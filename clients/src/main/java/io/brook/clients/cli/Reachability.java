package io.brook.clients.cli;

import io.brook.clients.internals.HostPort;
import io.brook.clients.security.ClientSecurityConfig;
import io.brook.proto.errors.BrookException;
import io.brook.security.TlsConfigException;
import io.brook.security.TlsFailures;
import io.brook.proto.errors.WireErrors;
import io.brook.proto.v1.BrokerServiceGrpc;
import io.brook.proto.v1.MetadataRequest;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.protobuf.StatusProto;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.NoRouteToHostException;
import java.net.Socket;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The command-line tools' first step: one bounded Metadata call to the bootstrap servers, so that a
 * cluster that is down, a wrong address or a port that is not a Brook client port gives one clear
 * line at once instead of a wait of the full request timeout per operation.
 */
public final class Reachability {
  /** The longest the probe waits for a broker, whatever the request timeout (ms). */
  public static final long MAX_PROBE_MS = 10_000;
  /** The least the probe waits for one broker (ms): a cold CLI JVM on a busy host needs a few seconds for its first call. */
  static final long MIN_PER_SERVER_MS = 3_000;

  private static final Pattern HEX_DUMP = Pattern.compile("Hex dump for first \\d+ bytes: ([0-9a-fA-F]+)");

  /** Thrown when no bootstrap server is a reachable Brook broker; the message is the line for the user. */
  public static final class UnreachableException extends RuntimeException {
    public UnreachableException(String message) {
      super(message);
    }
  }

  private Reachability() {}

  /**
   * Asks each bootstrap server in turn for metadata, each for at most {@code min(requestTimeoutMs,
   * 10000) / servers} ms (at least {@code min(requestTimeoutMs, 3000)}), and returns as soon as one answers as a Brook broker does
   * (an answer carrying a Brook error counts: the broker is there).
   *
   * @param bootstrap {@code host:port} addresses
   * @param requestTimeoutMs the command's request timeout (ms), bounding the wait
   * @throws UnreachableException when none answers, saying why for each
   */
  public static void require(List<String> bootstrap, long requestTimeoutMs) {
    require(bootstrap, requestTimeoutMs, ClientSecurityConfig.PLAINTEXT);
  }

  /**
   * As {@link #require(List, long)}, connecting as {@code security} says (plaintext or TLS); a
   * failed TLS handshake, or plaintext on one side and TLS on the other, is said in one line.
   */
  public static void require(List<String> bootstrap, long requestTimeoutMs, ClientSecurityConfig security) {
    long budget = Math.max(1, Math.min(requestTimeoutMs, MAX_PROBE_MS));
    long perServer = Math.max(Math.min(budget, MIN_PER_SERVER_MS), budget / Math.max(1, bootstrap.size()));
    List<String> why = new ArrayList<>();
    try (ClientSecurityConfig.Transport transport = security.open()) {
      for (String address : bootstrap) {
        String problem = probe(address, perServer, transport);
        if (problem == null) {
          return;
        }
        why.add(problem);
      }
    } catch (TlsConfigException e) {
      throw new UnreachableException(e.getMessage());
    }
    throw new UnreachableException(String.join("; ", why));
  }

  /** Null when {@code address} is a Brook broker that answered, else the line that says what is wrong. */
  static String probe(String address, long timeoutMs) {
    try (ClientSecurityConfig.Transport plaintext = ClientSecurityConfig.PLAINTEXT.open()) {
      return probe(address, timeoutMs, plaintext);
    }
  }

  static String probe(String address, long timeoutMs, ClientSecurityConfig.Transport transport) {
    HostPort hp = HostPort.parse(address);
    ManagedChannel channel = NettyChannelBuilder.forAddress(hp.host(), hp.port(), transport.channelCredentials()).build();
    try {
      BrokerServiceGrpc.newBlockingStub(channel).withDeadlineAfter(timeoutMs, TimeUnit.MILLISECONDS)
          .metadata(MetadataRequest.newBuilder().addTopics("__brook_cli_probe").build());
      return null;
    } catch (StatusRuntimeException e) {
      return explain(hp, e, timeoutMs, transport.tlsEnabled());
    } finally {
      channel.shutdownNow();
    }
  }

  /** The user's line for a failed probe of {@code hp}; null when the failure came from a Brook broker. */
  static String explain(HostPort hp, StatusRuntimeException e, long timeoutMs) {
    return explain(hp, e, timeoutMs, false);
  }

  /** The user's line for a failed probe of {@code hp} over plaintext or TLS ({@code tls}); null when a Brook broker answered. */
  static String explain(HostPort hp, StatusRuntimeException e, long timeoutMs, boolean tls) {
    Status status = e.getStatus();
    com.google.rpc.Status detailed = StatusProto.fromThrowable(e);
    if (detailed != null && !detailed.getDetailsList().isEmpty()) {
      return null; // a Brook error detail: a Brook broker answered
    }
    String tlsProblem = TlsFailures.explain(e, hp.toString(), tls);
    if (tlsProblem != null) {
      return tlsProblem;
    }
    BrookException brook = WireErrors.toException(e);
    Throwable root = rootCause(e);
    if (status.getCode() == Status.Code.UNAVAILABLE && root instanceof ConnectException
        && String.valueOf(root.getMessage()).toLowerCase(Locale.ROOT).contains("refused")) {
      return "cannot reach a Brook broker at " + hp + " (connection refused)";
    }
    if (root instanceof UnknownHostException) {
      return "cannot reach a Brook broker at " + hp + " (unknown host " + hp.host() + ")";
    }
    if (root instanceof NoRouteToHostException) {
      return "cannot reach a Brook broker at " + hp + " (no route to host)";
    }
    if (status.getCode() == Status.Code.UNIMPLEMENTED) {
      return hp + " is not a Brook client port (it is a gRPC server without Brook's client API,"
          + " e.g. the metadata quorum port; Brook clients use the node's client port, 9092 by default)";
    }
    // Something listens but did not answer as gRPC: an HTTP/1.x server (the node's http.port), or
    // something else. Whatever it answered to gRPC, ask it plainly whether it speaks HTTP/1.x.
    if (!tls && status.getCode() == Status.Code.UNAVAILABLE && TlsFailures.speaksTls(hp.host(), hp.port(), 1_000)) {
      return hp + " speaks TLS and this client plaintext: set security.protocol=SSL and ssl.ca.certificates in a"
          + " --command-config file (see docs/security.md)";
    }
    Matcher hex = HEX_DUMP.matcher(causeChain(e));
    boolean notHttp2 = hex.find();
    String httpLine = httpStatusLine(hp);
    if (httpLine != null) {
      return hp + " is not a Brook client port (it answered " + httpLine
          + "; is it the node's http.port? Brook clients use the node's client port, 9092 by default)";
    }
    if (notHttp2) {
      return hp + " is not a Brook client port (it does not speak gRPC over HTTP/2)";
    }
    switch (status.getCode()) {
      case DEADLINE_EXCEEDED:
        return "cannot reach a Brook broker at " + hp + " (no answer within " + timeoutMs + " ms)";
      case UNAVAILABLE:
        String d = status.getDescription();
        if (d != null && d.contains("Network closed")) {
          return hp + " closed the connection without answering: it is not a Brook client port, or the node is stopping";
        }
        return "cannot reach a Brook broker at " + hp + " ("
            + (root != null && root.getMessage() != null ? root.getMessage() : d == null ? "unavailable" : d) + ")";
      case INTERNAL:
      case UNKNOWN:
        return hp + " is not a Brook client port (it answered " + status.getCode()
            + (status.getDescription() == null ? "" : ": " + status.getDescription()) + ")";
      default:
        return brook.retriable() ? "cannot reach a Brook broker at " + hp + " (" + brook.getMessage() + ")" : null;
    }
  }

  private static String causeChain(Throwable t) {
    StringBuilder b = new StringBuilder();
    for (Throwable c = t; c != null; c = c.getCause()) {
      b.append(c).append('\n');
      if (c.getCause() == c) {
        break;
      }
    }
    return b.toString();
  }

  private static Throwable rootCause(Throwable t) {
    Throwable root = null;
    for (Throwable c = t.getCause(); c != null && c != root; c = c.getCause()) {
      root = c;
    }
    return root;
  }

  /** The status line an HTTP/1.x server answers a plain {@code HEAD /} with, or null. */
  private static String httpStatusLine(HostPort hp) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(hp.host(), hp.port()), 1_000);
      s.setSoTimeout(1_000);
      OutputStream out = s.getOutputStream();
      out.write(("HEAD / HTTP/1.1\r\nHost: " + hp.host() + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      out.flush();
      String line = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.ISO_8859_1)).readLine();
      return line != null && line.startsWith("HTTP/") ? line.trim() : null;
    } catch (IOException e) {
      return null;
    }
  }
}
