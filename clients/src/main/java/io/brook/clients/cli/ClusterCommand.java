package io.brook.clients.cli;

import io.brook.clients.admin.Admin;
import io.brook.proto.v1.BrokerEndpoint;
import io.brook.proto.v1.DescribeClusterResponse;
import io.brook.proto.v1.Voter;
import java.io.PrintWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code brook cluster describe}: the metadata quorum and the brokers. */
@Command(name = "cluster", mixinStandardHelpOptions = true, description = "The metadata quorum and the brokers.",
    subcommands = {ClusterCommand.Describe.class})
public final class ClusterCommand implements Runnable {
  @Spec CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  @Command(name = "describe", mixinStandardHelpOptions = true,
      description = "Voters, active controller, term, commit index, brokers and their state.")
  static final class Describe implements Runnable {
    @Mixin ClientOptions client;
    @Spec CommandSpec spec;
    @Option(names = "--output", defaultValue = "text", description = "text or json.") OutputFormat output;

    @Override
    public void run() {
      try (Admin admin = new Admin(client.bootstrap(), client.requestTimeoutMs())) {
        DescribeClusterResponse c = admin.describeCluster();
        PrintWriter out = spec.commandLine().getOut();
        if (output == OutputFormat.json) {
          out.println(OutputFormat.toJson(c));
        } else {
          out.printf("ClusterId: %s%nActiveController: %s%nTerm: %d%nCommitIndex: %d%n", c.getClusterId(),
              c.getLeaderId() < 0 ? "none" : Integer.toString(c.getLeaderId()), c.getTerm(), c.getCommitIndex());
          for (Voter v : c.getVotersList()) {
            out.printf("Voter: %d\t%s%s%n", v.getId(), v.getAddress(), v.getId() == c.getLeaderId() ? "\t(leader)" : "");
          }
          for (BrokerEndpoint b : c.getBrokersList()) {
            out.printf("Broker: %d\t%s:%d\t%s%n", b.getId(), b.getHost(), b.getPort(), b.getFenced() ? "fenced" : "unfenced");
          }
        }
        out.flush();
      }
    }
  }
}
