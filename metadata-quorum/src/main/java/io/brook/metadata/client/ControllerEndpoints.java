package io.brook.metadata.client;

import io.brook.metadata.config.HostPort;
import io.grpc.ManagedChannel;
import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The voters a client can talk to, one lazily created gRPC channel each, and which one is
 * believed to be the active controller. Endpoints learned from NOT_CONTROLLER hints join the
 * list.
 *
 * <p>An endpoint that could not be reached (connection refused or timed out) is set aside for
 * {@link #UNREACHABLE_MS}: hints naming it are not followed and the round-robin passes over it,
 * unless every endpoint is set aside. A hint carries the leader's advertised address, which the
 * node itself may not be able to reach: behind NAT a container cannot reach its own published
 * port (no hairpin), so a combined node whose controller became active was sent to itself by
 * every other voter, timed out, and never registered. Set aside, that address no longer hides
 * the configured endpoint of the same node. Thread-safe.
 */
final class ControllerEndpoints implements AutoCloseable {
    /** How long an endpoint that could not be reached is passed over, in milliseconds. */
    static final long UNREACHABLE_MS = 10_000;

    private final List<HostPort> endpoints;
    private final Map<HostPort, ManagedChannel> channels = new ConcurrentHashMap<>();
    private final Map<HostPort, Long> unreachableUntilMs = new ConcurrentHashMap<>();
    private volatile HostPort preferred;
    private final ChannelCredentials credentials;

    ControllerEndpoints(List<HostPort> bootstrap) {
        this(bootstrap, InsecureChannelCredentials.create());
    }

    /** {@code credentials}: plaintext, or TLS with the node's certificate (mutual TLS between nodes). */
    ControllerEndpoints(List<HostPort> bootstrap, ChannelCredentials credentials) {
        this.credentials = credentials;
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

    /**
     * The endpoint after {@code current} in the list (round-robin), passing over those set aside
     * as unreachable at {@code nowMs} (monotonic ms) unless all of them are.
     */
    HostPort after(HostPort current, long nowMs) {
        synchronized (endpoints) {
            int i = endpoints.indexOf(current);
            int n = endpoints.size();
            for (int step = 1; step <= n; step++) {
                HostPort next = endpoints.get((i + step) % n);
                if (!unreachable(next, nowMs)) {
                    return next;
                }
            }
            return endpoints.get((i + 1) % n);
        }
    }

    /** How many endpoints are known (configured and learned from hints). */
    int size() {
        synchronized (endpoints) {
            return endpoints.size();
        }
    }

    /** Sets {@code endpoint} aside until {@code nowMs + UNREACHABLE_MS} (monotonic ms). */
    void markUnreachable(HostPort endpoint, long nowMs) {
        unreachableUntilMs.put(endpoint, nowMs + UNREACHABLE_MS);
    }

    /** Clears what {@link #markUnreachable} set: {@code endpoint} answered. */
    void markReachable(HostPort endpoint) {
        unreachableUntilMs.remove(endpoint);
    }

    /** Whether {@code endpoint} is set aside at {@code nowMs} (monotonic ms). */
    boolean unreachable(HostPort endpoint, long nowMs) {
        Long until = unreachableUntilMs.get(endpoint);
        return until != null && until > nowMs;
    }

    /**
     * Keepalive pings make a voter that stopped answering (frozen, cut off) break the watch stream
     * within seconds, so the client fails over instead of keeping a stale image.
     */
    ManagedChannel channel(HostPort endpoint) {
        return channels.computeIfAbsent(endpoint, e -> Grpc.newChannelBuilderForAddress(e.host(), e.port(), credentials)
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
