package io.brook.clients.cli;

import io.brook.clients.admin.Admin;
import io.brook.proto.v1.BrokerEndpoint;
import io.brook.proto.v1.DescribeClusterResponse;
import io.brook.proto.v1.MetadataResponse;
import io.brook.proto.v1.PartitionMetadata;
import io.brook.proto.v1.TopicMetadata;
import io.brook.proto.v1.Voter;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code brook cluster describe} (the metadata quorum and the brokers, with each voter's
 * replication like {@code kafka-metadata-quorum describe --status --replication}) and
 * {@code brook cluster health} (like {@code rpk cluster health}: exit 0 when healthy, 1 when not).
 */
@Command(name = "cluster", mixinStandardHelpOptions = true, description = "The metadata quorum and the brokers.",
    subcommands = {ClusterCommand.Describe.class, ClusterCommand.Health.class})
public final class ClusterCommand implements Runnable {
  /** Exit code of {@code cluster health} for an unhealthy cluster. */
  public static final int UNHEALTHY_EXIT_CODE = 1;
  /**
   * A voter the active controller has not heard from for longer than this (milliseconds) counts
   * as down: Raft leaders contact every follower several times per election timeout (1 s by default).
   */
  static final long VOTER_DOWN_AFTER_MS = 5_000;

  @Spec CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  @Command(name = "describe", mixinStandardHelpOptions = true,
      description = "Cluster id, active controller, term, high watermark (commit index), each voter's log end and lag,"
          + " brokers and their state.")
  static final class Describe implements Runnable {
    @Mixin ClientOptions client;
    @Spec CommandSpec spec;
    @Option(names = "--output", defaultValue = "text", description = "text or json.") OutputFormat output;

    @Override
    public void run() {
      client.requireReachable(); // one clear line for a wrong address or a TLS mismatch
      try (Admin admin = new Admin(client.bootstrap(), client.requestTimeoutMs(), client.security())) {
        DescribeClusterResponse c = admin.describeCluster();
        PrintWriter out = spec.commandLine().getOut();
        if (output == OutputFormat.json) {
          out.println(OutputFormat.toJson(c));
        } else {
          out.printf("ClusterId: %s%nActiveController: %s%nTerm: %d%nHighWatermark: %d%nCommitIndex: %d%n",
              c.getClusterId().isEmpty() ? "none" : c.getClusterId(),
              c.getLeaderId() < 0 ? "none" : Integer.toString(c.getLeaderId()), c.getTerm(), c.getCommitIndex(),
              c.getCommitIndex());
          long maxLag = c.getVotersList().stream().mapToLong(Voter::getLag).max().orElse(-1);
          long maxLagMs = c.getVotersList().stream().filter(v -> v.getId() != c.getLeaderId())
              .mapToLong(Voter::getLastContactMs).max().orElse(0);
          out.printf("MaxFollowerLag: %s%nMaxFollowerLagTimeMs: %s%n", known(maxLag), known(maxLagMs));
          for (Voter v : c.getVotersList()) {
            out.printf("Voter: %d\t%s\t%s\tLogEndIndex: %s\tLag: %s\tLastContactMs: %s%n", v.getId(), v.getAddress(),
                v.getId() == c.getLeaderId() ? "leader" : "follower", known(v.getLogEndIndex()), known(v.getLag()),
                known(v.getLastContactMs()));
          }
          for (BrokerEndpoint b : c.getBrokersList()) {
            out.printf("Broker: %d\t%s:%d\t%s%n", b.getId(), b.getHost(), b.getPort(), b.getFenced() ? "fenced" : "unfenced");
          }
        }
        out.flush();
      }
    }

    /** -1 (not known: the answer came from a follower) prints as "unknown". */
    private static String known(long v) {
      return v < 0 ? "unknown" : Long.toString(v);
    }
  }

  @Command(name = "health", mixinStandardHelpOptions = true,
      description = "Whether the cluster is healthy: an active controller, no node down, every partition with a leader"
          + " and a full ISR. Exit code 0 when healthy, " + UNHEALTHY_EXIT_CODE + " when not.")
  static final class Health implements Callable<Integer> {
    @Mixin ClientOptions client;
    @Spec CommandSpec spec;
    @Option(names = "--output", defaultValue = "text", description = "text or json.") OutputFormat output;

    @Override
    public Integer call() {
      client.requireReachable(); // one clear line for a wrong address or a TLS mismatch
      try (Admin admin = new Admin(client.bootstrap(), client.requestTimeoutMs(), client.security())) {
        DescribeClusterResponse c = admin.describeCluster();
        MetadataResponse m = admin.clusterMetadata();
        Report r = Report.of(c, m);
        PrintWriter out = spec.commandLine().getOut();
        if (output == OutputFormat.json) {
          out.println(r.toJson());
        } else {
          out.printf("Healthy: %s%n", r.healthy() ? "true" : "false");
          out.printf("UnhealthyReasons: %s%n", r.reasons());
          out.printf("ClusterId: %s%n", c.getClusterId().isEmpty() ? "none" : c.getClusterId());
          out.printf("ControllerId: %s%n", c.getLeaderId() < 0 ? "none" : Integer.toString(c.getLeaderId()));
          out.printf("AllNodes: %s%n", r.allNodes());
          out.printf("NodesDown: %s%n", r.nodesDown());
          out.printf("LeaderlessPartitions (%d): %s%n", r.leaderless().size(), r.leaderless());
          out.printf("UnderReplicatedPartitions (%d): %s%n", r.underReplicated().size(), r.underReplicated());
        }
        out.flush();
        return r.healthy() ? 0 : UNHEALTHY_EXIT_CODE;
      }
    }
  }

  /**
   * The health verdict from a DescribeCluster and a Metadata answer. Nodes are voters and brokers
   * by id; a node is down when it is a fenced broker, or a voter the active controller has not heard
   * from for {@link #VOTER_DOWN_AFTER_MS}. Partitions print as {@code topic-partition}.
   */
  record Report(boolean healthy, List<String> reasons, String clusterId, int controllerId, List<Integer> allNodes, List<Integer> nodesDown,
                List<String> leaderless, List<String> underReplicated) {

    static Report of(DescribeClusterResponse c, MetadataResponse m) {
      TreeSet<Integer> all = new TreeSet<>();
      TreeSet<Integer> down = new TreeSet<>();
      for (Voter v : c.getVotersList()) {
        all.add(v.getId());
        if (c.getLeaderId() >= 0 && v.getId() != c.getLeaderId() && v.getLastContactMs() > VOTER_DOWN_AFTER_MS) {
          down.add(v.getId());
        }
      }
      for (BrokerEndpoint b : c.getBrokersList()) {
        all.add(b.getId());
        if (b.getFenced()) {
          down.add(b.getId());
        }
      }
      List<String> leaderless = new ArrayList<>();
      List<String> under = new ArrayList<>();
      for (TopicMetadata t : m.getTopicsList()) {
        for (PartitionMetadata p : t.getPartitionsList()) {
          String name = t.getName() + "-" + p.getPartition();
          if (p.getLeader() < 0) {
            leaderless.add(name);
          }
          if (p.getIsrCount() < p.getReplicasCount()) {
            under.add(name);
          }
        }
      }
      List<String> reasons = new ArrayList<>();
      if (c.getLeaderId() < 0) {
        reasons.add("no_active_controller");
      }
      if (!down.isEmpty()) {
        reasons.add("nodes_down");
      }
      if (!leaderless.isEmpty()) {
        reasons.add("leaderless_partitions");
      }
      if (!under.isEmpty()) {
        reasons.add("under_replicated_partitions");
      }
      return new Report(reasons.isEmpty(), reasons, c.getClusterId(), c.getLeaderId(), List.copyOf(all), List.copyOf(down), leaderless, under);
    }

    /** One JSON object on one line; node ids as numbers, everything else as strings. */
    String toJson() {
      return "{\"healthy\":" + healthy
          + ",\"unhealthyReasons\":" + list(reasons)
          + ",\"clusterId\":" + quote(clusterId)
          + ",\"controllerId\":" + controllerId
          + ",\"allNodes\":" + list(allNodes)
          + ",\"nodesDown\":" + list(nodesDown)
          + ",\"leaderlessPartitions\":" + list(leaderless)
          + ",\"underReplicatedPartitions\":" + list(underReplicated) + "}";
    }

    private static String list(List<?> items) {
      StringBuilder b = new StringBuilder("[");
      for (Object i : items) {
        b.append(b.length() > 1 ? "," : "").append(i instanceof Integer ? i.toString() : quote(i.toString()));
      }
      return b.append(']').toString();
    }

    private static String quote(String s) {
      return '"' + s.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
    }
  }
}
