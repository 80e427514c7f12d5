package io.brook.clients.cli;

import java.util.Arrays;
import java.util.List;
import picocli.CommandLine.Option;

/** Options every client command shares: where the cluster is, how long to wait. */
public final class ClientOptions {
  @Option(names = {"--bootstrap-server", "-b"},
      defaultValue = "${env:BROOK_BOOTSTRAP_SERVER:-localhost:9092}",
      description = "Broker(s) to connect to, host:port[,host:port...] (default: $BROOK_BOOTSTRAP_SERVER or localhost:9092).")
  String bootstrapServer;

  @Option(names = "--request-timeout-ms", defaultValue = "30000", description = "How long to wait for the cluster (default: ${DEFAULT-VALUE}).")
  long requestTimeoutMs;

  public List<String> bootstrap() {
    return Arrays.stream(bootstrapServer.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
  }

  public long requestTimeoutMs() {
    return requestTimeoutMs;
  }
}
