package io.brook.clients.internals;

import io.brook.clients.security.ClientSecurityConfig;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * One gRPC channel per broker address ({@code host:port}), shared by every stub of a client.
 * gRPC multiplexes all calls to a broker over the channel's HTTP/2 connection and reconnects by
 * itself. Thread-safe.
 */
public final class ChannelPool implements AutoCloseable {
  private static final int MAX_MESSAGE_BYTES = 64 * 1024 * 1024;
  private final Map<String, ManagedChannel> channels = new ConcurrentHashMap<>();
  private final ClientSecurityConfig.Transport transport;
  /** Sent with every call on every channel (username/password), or null. */
  private final io.grpc.CallCredentials credentials;

  /** Plaintext channels. */
  public ChannelPool() {
    this(ClientSecurityConfig.PLAINTEXT);
  }

  /**
   * Channels secured as {@code security} says: TLS with the CAs and, for mutual TLS, the client
   * certificate (the files are reloaded while the pool is open); with a SASL protocol, the user's
   * credentials on every call.
   */
  public ChannelPool(ClientSecurityConfig security) {
    this(security, security.sasl().callCredentials());
  }

  /**
   * @param security    TLS as {@code security} says
   * @param credentials added to every call (e.g. {@link SaslClientConfig#callCredentials()}), or
   *                    null for none
   */
  public ChannelPool(ClientSecurityConfig security, io.grpc.CallCredentials credentials) {
    this.transport = security.open();
    this.credentials = credentials;
  }

  /** Whether the channels speak TLS. */
  public boolean tlsEnabled() {
    return transport.tlsEnabled();
  }

  public ManagedChannel get(String hostPort) {
    return channels.computeIfAbsent(hostPort, hp -> {
      HostPort parsed = HostPort.parse(hp);
      NettyChannelBuilder b = NettyChannelBuilder.forAddress(parsed.host(), parsed.port(), transport.channelCredentials());
      if (credentials != null) {
        b.intercept(SaslClientConfig.withCredentials(credentials));
      }
      return b
          .maxInboundMessageSize(MAX_MESSAGE_BYTES)
          .keepAliveTime(30, TimeUnit.SECONDS)
          .build();
    });
  }

  @Override
  public void close() {
    channels.values().forEach(ManagedChannel::shutdown);
    for (ManagedChannel c : channels.values()) {
      try {
        if (!c.awaitTermination(5, TimeUnit.SECONDS)) {
          c.shutdownNow();
        }
      } catch (InterruptedException e) {
        c.shutdownNow();
        Thread.currentThread().interrupt();
      }
    }
    channels.clear();
    transport.close();
  }
}
