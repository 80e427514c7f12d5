package io.brook.metadata.client;

import io.brook.metadata.config.HostPort;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The voters a client can talk to, one lazily created gRPC channel each, and which one is
 * believed to be the active controller. Endpoints learned from NOT_CONTROLLER hints join the
 * list. Thread-safe.
 */
final class ControllerEndpoints implements AutoCloseable {
    private final List<HostPort> endpoints;
    private final Map<HostPort, ManagedChannel> channels = new ConcurrentHashMap<>();
    private volatile HostPort preferred;

    ControllerEndpoints(List<HostPort> bootstrap) {
        this.endpoints = new ArrayList<>(bootstrap);
        this.preferred = bootstrap.get(0);
    }

    HostPort preferred() {
        return preferred;
    }

    void prefer(HostPort endpoint) {
        synchronized (endpoints) {
            if (!endpoints.contains(endpoint)) {
                endpoints.add(endpoint);
            }
        }
        preferred = endpoint;
    }

    /** The endpoint after {@code current} in the list (round-robin). */
    HostPort after(HostPort current) {
        synchronized (endpoints) {
            int i = endpoints.indexOf(current);
            return endpoints.get((i + 1) % endpoints.size());
        }
    }

    /**
     * Keepalive pings make a voter that stopped answering (frozen, cut off) break the watch stream
     * within seconds, so the client fails over instead of keeping a stale image.
     */
    ManagedChannel channel(HostPort endpoint) {
        return channels.computeIfAbsent(endpoint, e -> ManagedChannelBuilder.forAddress(e.host(), e.port())
                .usePlaintext()
                .keepAliveTime(KEEPALIVE_MS, TimeUnit.MILLISECONDS)
                .keepAliveTimeout(KEEPALIVE_MS, TimeUnit.MILLISECONDS)
                .keepAliveWithoutCalls(true)
                .build());
    }

    /** Servers must permit pings this often (the node's gRPC server does). */
    public static final long KEEPALIVE_MS = 2_000;

    @Override
    public void close() {
        for (ManagedChannel c : channels.values()) {
            c.shutdownNow();
        }
        for (ManagedChannel c : channels.values()) {
            try {
                c.awaitTermination(2, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
