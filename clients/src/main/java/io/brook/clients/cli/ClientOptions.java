package io.brook.clients.cli;

import java.util.Arrays;
import java.util.List;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** Options every client command shares: where the cluster is, how long to wait. */
public final class ClientOptions {
  @Spec(Spec.Target.MIXEE) CommandSpec mixee;

  @Option(names = {"--bootstrap-server", "-b"},
      defaultValue = "${env:BROOK_BOOTSTRAP_SERVER:-localhost:9092}",
      description = "Broker(s) to connect to, host:port[,host:port...] (default: $BROOK_BOOTSTRAP_SERVER or localhost:9092).")
  String bootstrapServer;

  long requestTimeoutMs;

  @Option(names = "--request-timeout-ms", defaultValue = "30000", paramLabel = "MS",
      description = "How long to wait for the cluster per operation, in ms; > 0 (default: ${DEFAULT-VALUE})."
          + " topics, produce, consume and offsets wait at most min(this, 5000) ms for the first answer.")
  void requestTimeoutMs(long ms) {
    if (ms <= 0) {
      throw new ParameterException(mixee.commandLine(), "--request-timeout-ms must be > 0, got " + ms);
    }
    requestTimeoutMs = ms;
  }

  public List<String> bootstrap() {
    return Arrays.stream(bootstrapServer.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
  }

  /**
   * Client properties (Kafka's names) for the Admin, producer and consumer: the SASL keys of
   * {@link io.brook.clients.internals.SaslClientConfig}. Empty until the {@code --command-config}
   * file (the TLS work) is merged; then that file's properties.
   */
  public java.util.Map<String, String> clientProperties() {
    return java.util.Map.of();
  }

  public long requestTimeoutMs() {
    return requestTimeoutMs;
  }

  /**
   * Checks, within a few seconds, that a bootstrap server is a Brook broker that answers.
   *
   * @throws Reachability.UnreachableException with one line saying what was reached instead
   */
  public void requireReachable() {
    Reachability.require(bootstrap(), requestTimeoutMs);
  }

  /** Throws picocli's usage error (exit 2) for {@code value <= 0}. */
  static void requirePositive(CommandSpec spec, String option, long value) {
    if (value <= 0) {
      throw new ParameterException(spec.commandLine(), option + " must be > 0, got " + value);
    }
  }
}
