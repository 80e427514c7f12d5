package io.brook.clients.cli;

import io.brook.clients.admin.Admin;
import io.brook.proto.common.v1.ErrorCode;
import io.brook.proto.v1.ElectLeadersResponse;
import io.brook.proto.v1.ElectionType;
import io.brook.proto.v1.PartitionElection;
import io.brook.proto.v1.TopicPartitions;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code brook leaders}: partition leadership (Kafka's kafka-leader-election). */
@Command(name = "leaders", mixinStandardHelpOptions = true, description = "Elect partition leaders.",
    subcommands = {LeadersCommand.Elect.class})
public final class LeadersCommand implements Runnable {
  @Spec CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /**
   * {@code brook leaders elect --preferred|--unclean (--topic T [--partition N] |
   * --all-topic-partitions)}: {@code kafka-leader-election.sh}. Prints, like it, the partitions
   * elected, those that needed no election, and one line per partition that failed; exits 1 if
   * any failed.
   */
  @Command(name = "elect", mixinStandardHelpOptions = true,
      description = "Move leadership to the preferred replicas (--preferred), or give leaderless partitions a leader "
          + "from outside the ISR (--unclean, may lose records), like kafka-leader-election.sh.")
  static final class Elect implements Callable<Integer> {
    @Mixin ClientOptions client;
    @Spec CommandSpec spec;

    static final class Type {
      @Option(names = "--preferred", required = true,
          description = "Preferred election: each partition's first replica leads, if it is live and in sync.")
      boolean preferred;

      @Option(names = "--unclean", required = true,
          description = "Unclean election: a partition without a leader gets one from its live replicas even outside "
              + "the ISR; records only the old ISR had may be lost.")
      boolean unclean;

      @Option(names = "--election-type", required = true, paramLabel = "PREFERRED|UNCLEAN",
          description = "Kafka's spelling of --preferred / --unclean.")
      String electionType;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    Type type;

    @Option(names = "--topic", description = "The topic whose partitions to elect (with --partition: only that one).")
    String topic;

    @Option(names = "--partition", description = "With --topic: only this partition.")
    Integer partition;

    @Option(names = "--all-topic-partitions", description = "Every partition of every topic.")
    boolean all;

    @Override
    public Integer call() {
      ElectionType election = electionType();
      if (all == (topic != null)) {
        throw new ParameterException(spec.commandLine(), "name the partitions: --topic T [--partition N], or --all-topic-partitions");
      }
      if (partition != null && partition < 0) {
        throw new ParameterException(spec.commandLine(), "--partition must be >= 0, got " + partition);
      }
      if (partition != null && topic == null) {
        throw new ParameterException(spec.commandLine(), "--partition needs --topic");
      }
      List<TopicPartitions> which = new ArrayList<>();
      if (topic != null) {
        TopicPartitions.Builder tp = TopicPartitions.newBuilder().setTopic(topic);
        if (partition != null) {
          tp.addPartitions(partition);
        }
        which.add(tp.build());
      }
      client.requireReachable();
      ElectLeadersResponse r;
      try (Admin admin = new Admin(client.bootstrap(), client.requestTimeoutMs(), client.security())) {
        r = admin.electLeaders(election, which);
      }
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      String kind = election == ElectionType.ELECTION_TYPE_PREFERRED ? "PREFERRED" : "UNCLEAN";
      List<String> elected = new ArrayList<>();
      List<String> notNeeded = new ArrayList<>();
      int failed = 0;
      for (PartitionElection e : r.getResultsList()) {
        String name = e.getTopic() + "-" + e.getPartition();
        if (!e.hasError() || e.getError().getCode() == ErrorCode.ERROR_CODE_UNSPECIFIED) {
          elected.add(name + " (leader " + e.getLeader() + ")");
        } else if (e.getError().getCode() == ErrorCode.ELECTION_NOT_NEEDED) {
          notNeeded.add(name);
        } else {
          err.printf("error: election for %s failed: %s: %s%n", name, e.getError().getCode(), e.getError().getMessage());
          failed++;
        }
      }
      if (!elected.isEmpty()) {
        out.printf("Successfully completed leader election (%s) for partitions %s%n", kind, String.join(", ", elected));
      }
      if (!notNeeded.isEmpty()) {
        out.printf("Valid replica already elected for partitions %s%n", String.join(", ", notNeeded));
      }
      if (r.getResultsCount() == 0) {
        out.println("No partitions to elect.");
      }
      out.flush();
      err.flush();
      return failed == 0 ? 0 : 1;
    }

    private ElectionType electionType() {
      if (type.preferred) {
        return ElectionType.ELECTION_TYPE_PREFERRED;
      }
      if (type.unclean) {
        return ElectionType.ELECTION_TYPE_UNCLEAN;
      }
      return switch (type.electionType.toUpperCase(Locale.ROOT)) {
        case "PREFERRED" -> ElectionType.ELECTION_TYPE_PREFERRED;
        case "UNCLEAN" -> ElectionType.ELECTION_TYPE_UNCLEAN;
        default -> throw new ParameterException(spec.commandLine(),
            "--election-type must be PREFERRED or UNCLEAN, got " + type.electionType);
      };
    }
  }
}
