package io.brook.metadata.image;

/** Where voter {@code nodeId} serves the controller gRPC API. */
public record ControllerEndpoint(int nodeId, String host, int port) {
    public String hostPort() {
        return host + ":" + port;
    }
}
