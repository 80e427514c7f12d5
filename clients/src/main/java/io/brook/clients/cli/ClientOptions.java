package io.brook.clients.cli;

import io.brook.clients.security.ClientSecurityConfig;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** Options every client command shares: where the cluster is, how to connect to it (TLS), how long to wait. */
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

  @Option(names = "--command-config", paramLabel = "FILE",
      description = "Client settings file (Java properties, Kafka names): security.protocol=SSL, ssl.ca.certificates,"
          + " and for mutual TLS ssl.certificate and ssl.private.key (PEM files); see docs/security.md.")
  Path commandConfig;

  private ClientSecurityConfig security;

  /** The {@code --command-config} file, or null. */
  public Path commandConfig() {
    return commandConfig;
  }

  /**
   * The security settings of {@code --command-config} (plaintext without one), read once.
   *
   * @throws ParameterException (usage error) for a file that cannot be read or a bad setting in it,
   *     in one line naming the setting and file
   */
  public ClientSecurityConfig security() {
    if (security == null) {
      try {
        security = commandConfig == null ? ClientSecurityConfig.PLAINTEXT : ClientSecurityConfig.load(commandConfig);
      } catch (IllegalArgumentException e) {
        throw new ParameterException(mixee.commandLine(), "--command-config: " + e.getMessage());
      }
    }
    return security;
  }

  public List<String> bootstrap() {
    return Arrays.stream(bootstrapServer.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
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
    Reachability.require(bootstrap(), requestTimeoutMs, security());
  }

  /** Throws picocli's usage error (exit 2) for {@code value <= 0}. */
  static void requirePositive(CommandSpec spec, String option, long value) {
    if (value <= 0) {
      throw new ParameterException(spec.commandLine(), option + " must be > 0, got " + value);
    }
  }
}
