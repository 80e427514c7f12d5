package io.brook.launcher;

import io.brook.security.DevCertificates;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code brook certs create}: a development CA and node/client certificates as PEM files (see
 * {@link DevCertificates} and docs/security.md, "Certificates").
 */
@Command(name = "certs", mixinStandardHelpOptions = true,
    description = "Development certificates for TLS (not for production: the CA key is kept next to them).",
    subcommands = CertsCommand.Create.class)
final class CertsCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getErr());
    return Brook.USAGE_EXIT_CODE;
  }

  @Command(name = "create", mixinStandardHelpOptions = true,
      description = "Create (or reuse) a CA in DIR (ca.pem, ca.key) and write node-N.pem/.key and client-NAME.pem/.key"
          + " signed by it. Node certificates name localhost, brook-N, brookN, 127.0.0.1, ::1 and --hosts. Existing node and"
          + " client files are replaced (a running node reloads them): this is also how to rotate them.")
  static final class Create implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--dir", required = true, paramLabel = "DIR", description = "Directory for the PEM files (created if missing).")
    Path dir;

    @Option(names = "--nodes", split = ",", paramLabel = "ID", defaultValue = "1,2,3",
        description = "Node ids to make certificates for (default: ${DEFAULT-VALUE}).")
    List<Integer> nodes;

    @Option(names = "--clients", split = ",", paramLabel = "NAME", description = "Client names to make certificates for (mutual TLS), e.g. admin,alice.")
    List<String> clients = new ArrayList<>();

    @Option(names = "--hosts", split = ",", paramLabel = "HOST", description = "Further host names or IP addresses for every node certificate.")
    List<String> hosts = new ArrayList<>();

    @Option(names = "--validity-days", defaultValue = "365", paramLabel = "DAYS",
        description = "How long the node and client certificates are valid (default: ${DEFAULT-VALUE}).")
    int validityDays;

    @Override
    public Integer call() throws Exception {
      if (validityDays <= 0) {
        throw new ParameterException(spec.commandLine(), "--validity-days must be > 0, got " + validityDays);
      }
      for (int id : nodes) {
        if (id < 0) {
          throw new ParameterException(spec.commandLine(), "--nodes: node ids are >= 0, got " + id);
        }
      }
      for (String c : clients) {
        if (!c.matches("[A-Za-z0-9._-]+")) {
          throw new ParameterException(spec.commandLine(), "--clients: names are letters, digits, '.', '_' and '-', got '" + c + "'");
        }
      }
      List<Path> written = DevCertificates.create(dir, nodes, clients, hosts, Duration.ofDays(validityDays));
      PrintWriter out = spec.commandLine().getOut();
      for (Path p : written) {
        out.println(p);
      }
      out.flush();
      return 0;
    }
  }
}
