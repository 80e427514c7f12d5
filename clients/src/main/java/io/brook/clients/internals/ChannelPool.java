package io.brook.clients.internals;

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
  /** Sent with every call on every channel (username/password), or null. */
  private final io.grpc.CallCredentials credentials;

  public ChannelPool() {
    this(null);
  }

  /** @param credentials added to every call (e.g. {@link SaslClientConfig#callCredentials()}), or null */
  public ChannelPool(io.grpc.CallCredentials credentials) {
    this.credentials = credentials;
  }

  public ManagedChannel get(String hostPort) {
    return channels.computeIfAbsent(hostPort, hp -> {
      HostPort parsed = HostPort.parse(hp);
      NettyChannelBuilder b = NettyChannelBuilder.forAddress(parsed.host(), parsed.port());
      if (credentials != null) {
        b.intercept(SaslClientConfig.withCredentials(credentials));
      }
      return b
          .usePlaintext()
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
  }
}
