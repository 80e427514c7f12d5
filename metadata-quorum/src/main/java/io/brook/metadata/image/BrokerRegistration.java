package io.brook.metadata.image;

import java.util.Map;

/**
 * A registered broker as the quorum knows it. {@code epoch} is the Raft index of the entry that
 * registered this incarnation; every broker request carries it so a request from an older
 * incarnation is recognised and refused. Immutable.
 */
public record BrokerRegistration(int id, long epoch, String incarnationId, String host,
                                 Map<String, Integer> ports, String rack, boolean fenced) {
    public static final String GRPC_PORT = "grpc";

    public BrokerRegistration {
        ports = SortedMaps.copyOf(ports);
    }

    public BrokerRegistration withFenced(boolean newFenced) {
        return new BrokerRegistration(id, epoch, incarnationId, host, ports, rack, newFenced);
    }

    /** host:port of the broker's gRPC API, or "" if it registered none. */
    public String grpcEndpoint() {
        Integer port = ports.get(GRPC_PORT);
        return port == null ? "" : host + ":" + port;
    }
}
