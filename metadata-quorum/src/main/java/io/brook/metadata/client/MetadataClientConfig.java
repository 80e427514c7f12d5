package io.brook.metadata.client;

import io.brook.metadata.config.ConfigException;
import io.brook.metadata.config.HostPort;
import java.util.ArrayList;
import java.util.List;

/**
 * Settings of a {@link MetadataClient}, validated on construction.
 *
 * @param controllers         gRPC endpoints (host:port) of the voters' controller API, tried in turn
 * @param requestTimeoutMs    how long one call may take, failovers and retries included
 * @param heartbeatIntervalMs how often a registered broker heartbeats (~2 s; below the session timeout)
 * @param backoffInitialMs    first wait before retrying another voter; doubles per failed round
 * @param backoffMaxMs        cap of that wait
 * @param sessionTimeoutMs    a registered broker with no acknowledged heartbeat for this long
 *                            counts itself fenced (the controller does the same on its side)
 */
public record MetadataClientConfig(List<HostPort> controllers, long requestTimeoutMs, long heartbeatIntervalMs,
                                   long backoffInitialMs, long backoffMaxMs, long sessionTimeoutMs) {
    public static final String CONTROLLERS = "controller.endpoints";

    public MetadataClientConfig {
        controllers = List.copyOf(controllers);
        if (controllers.isEmpty()) {
            throw new ConfigException(CONTROLLERS, "", "at least one controller endpoint is needed");
        }
        if (requestTimeoutMs <= 0 || heartbeatIntervalMs <= 0 || backoffInitialMs <= 0 || backoffMaxMs < backoffInitialMs
                || sessionTimeoutMs <= heartbeatIntervalMs) {
            throw new ConfigException("MetadataClientConfig: timeouts must be > 0, backoffMaxMs >= backoffInitialMs and the session longer than a heartbeat interval");
        }
    }

    /** Defaults: 5 s requests, 2 s heartbeats, backoff 50 ms doubling to 1 s. */
    public static MetadataClientConfig of(String commaSeparatedEndpoints) {
        List<HostPort> endpoints = new ArrayList<>();
        for (String s : commaSeparatedEndpoints.split(",")) {
            if (!s.isBlank()) {
                endpoints.add(HostPort.parse(CONTROLLERS, s.trim()));
            }
        }
        return new MetadataClientConfig(endpoints, 5_000, 2_000, 50, 1_000, 9_000);
    }

    public MetadataClientConfig withHeartbeatIntervalMs(long ms) {
        return new MetadataClientConfig(controllers, requestTimeoutMs, ms, backoffInitialMs, backoffMaxMs,
                Math.max(sessionTimeoutMs, ms + 1));
    }

    public MetadataClientConfig withRequestTimeoutMs(long ms) {
        return new MetadataClientConfig(controllers, ms, heartbeatIntervalMs, backoffInitialMs, backoffMaxMs,
                sessionTimeoutMs);
    }

    public MetadataClientConfig withSessionTimeoutMs(long ms) {
        return new MetadataClientConfig(controllers, requestTimeoutMs, heartbeatIntervalMs, backoffInitialMs,
                backoffMaxMs, ms);
    }
}
