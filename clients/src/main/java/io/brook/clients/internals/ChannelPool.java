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

  /** Plaintext channels. */
  public ChannelPool() {
    this(ClientSecurityConfig.PLAINTEXT);
  }

  /**
   * Channels secured as {@code security} says (TLS with the CAs and, for mutual TLS, the client
   * certificate; the files are reloaded while the pool is open).
   */
  public ChannelPool(ClientSecurityConfig security) {
    this.transport = security.open();
  }

  /** Whether the channels speak TLS. */
  public boolean tlsEnabled() {
    return transport.tlsEnabled();
  }

  public ManagedChannel get(String hostPort) {
    return channels.computeIfAbsent(hostPort, hp -> {
      HostPort parsed = HostPort.parse(hp);
      return NettyChannelBuilder.forAddress(parsed.host(), parsed.port(), transport.channelCredentials())
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
