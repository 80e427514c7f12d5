package io.brook.metadata.client;

import java.util.Map;

/** What a broker registers: its id, advertised host, named ports (must include "grpc") and rack. */
public record BrokerIdentity(int brokerId, String host, Map<String, Integer> ports, String rack) {
    public BrokerIdentity {
        ports = Map.copyOf(ports);
        rack = rack == null ? "" : rack;
    }
}
