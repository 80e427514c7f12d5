package io.brook.clients.cli;

import io.brook.clients.admin.Admin;
import io.brook.proto.common.v1.ErrorCode;
import io.brook.proto.errors.BrookException;
import io.brook.proto.v1.AlterPartitionReassignmentsResponse;
import io.brook.proto.v1.LogDirPartition;
import io.brook.proto.v1.OngoingReassignment;
import io.brook.proto.v1.PartitionMetadata;
import io.brook.proto.v1.ReassignmentResult;
import io.brook.proto.v1.TopicMetadata;
import io.brook.storage.TopicPartition;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code brook partitions}: where partition replicas live (Kafka's kafka-reassign-partitions). */
@Command(name = "partitions", mixinStandardHelpOptions = true, description = "Move partition replicas between brokers.",
    subcommands = {PartitionsCommand.Reassign.class})
public final class PartitionsCommand implements Runnable {
  @Spec CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /**
   * {@code brook partitions reassign}: {@code kafka-reassign-partitions.sh} with its JSON plan
   * format. {@code --generate} proposes a plan over a broker list, {@code --execute} starts it
   * (optionally {@code --throttle}d, optionally {@code --wait}ing with progress), {@code --verify}
   * says per partition whether it completed, {@code --cancel} reverts, {@code --list} shows every
   * reassignment in progress with how far each new replica has caught up. Exit 0 on success; 1 if
   * a partition was refused or a broker did not answer; 2 for bad input.
   */
  @Command(name = "reassign", mixinStandardHelpOptions = true,
      description = "Move partition replicas between brokers, like kafka-reassign-partitions.sh: --generate a plan, "
          + "--execute it (throttled, with progress), --verify, --cancel, --list.")
  static final class Reassign implements Callable<Integer> {
    @Mixin ClientOptions client;
    @Spec CommandSpec spec;

    static final class Action {
      @Option(names = "--generate", required = true,
          description = "Print the current assignment of --topics (or --topics-to-move-json-file) and a proposed one "
              + "spread over --broker-list with the fewest moves. Changes nothing.")
      boolean generate;

      @Option(names = "--execute", required = true,
          description = "Start the reassignment of the plan (--reassignment-json-file, or --topic/--partition/--replicas).")
      boolean execute;

      @Option(names = "--verify", required = true,
          description = "Say, per partition of the plan, whether its reassignment completed, with progress if not.")
      boolean verify;

      @Option(names = "--cancel", required = true,
          description = "Cancel the reassignments of the plan's partitions: back to the replicas they had before.")
      boolean cancel;

      @Option(names = "--list", required = true,
          description = "List every reassignment in progress, with how far each new replica has caught up.")
      boolean list;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    Action action;

    @Option(names = "--reassignment-json-file", paramLabel = "FILE",
        description = "The plan: {\"version\":1,\"partitions\":[{\"topic\":\"t\",\"partition\":0,\"replicas\":[1,2,3]}]}.")
    Path planFile;

    @Option(names = "--topic", description = "Instead of a plan file: the one partition's topic (with --partition, --replicas).")
    String topic;

    @Option(names = "--partition", description = "Instead of a plan file: the partition number (with --topic).")
    Integer partition;

    @Option(names = "--replicas", split = ",", paramLabel = "ID[,ID...]",
        description = "Instead of a plan file: the target brokers, the first being the preferred leader.")
    List<Integer> replicas;

    @Option(names = "--throttle", paramLabel = "BYTES_PER_SEC",
        description = "With --execute: the most each new replica fetches per second while it catches up "
            + "(default: unthrottled). Dropped when the reassignment completes.")
    Long throttle;

    @Option(names = "--wait",
        description = "With --execute: wait until every partition's reassignment completed, printing progress.")
    boolean await;

    @Option(names = "--topics", split = ",", paramLabel = "TOPIC[,TOPIC...]", description = "With --generate: the topics to move.")
    List<String> topics;

    @Option(names = "--topics-to-move-json-file", paramLabel = "FILE",
        description = "With --generate: Kafka's {\"topics\":[{\"topic\":\"t\"}],\"version\":1}, instead of --topics.")
    Path topicsFile;

    @Option(names = "--broker-list", split = ",", paramLabel = "ID[,ID...]",
        description = "With --generate: the brokers to spread the replicas over.")
    List<Integer> brokerList;

    @Option(names = "--progress-interval-ms", defaultValue = "2000", paramLabel = "MS",
        description = "With --wait: how often to print progress (default ${DEFAULT-VALUE}).")
    long progressIntervalMs;

    private PrintWriter out;
    private PrintWriter err;

    @Override
    public Integer call() throws Exception {
      out = spec.commandLine().getOut();
      err = spec.commandLine().getErr();
      validate();
      Map<TopicPartition, List<Integer>> plan = action.generate || action.list ? null : plan(); // bad input: before any call
      client.requireReachable();
      try (Admin admin = new Admin(client.bootstrap(), client.requestTimeoutMs(), client.security())) {
        int rc;
        if (action.generate) {
          rc = generate(admin);
        } else if (action.list) {
          rc = list(admin);
        } else {
          if (action.execute) {
            rc = execute(admin, plan);
          } else if (action.cancel) {
            rc = cancel(admin, plan);
          } else {
            rc = verify(admin, plan.keySet()).failed ? 1 : 0;
          }
        }
        out.flush();
        err.flush();
        return rc;
      }
    }

    private void validate() {
      boolean single = topic != null || partition != null || replicas != null;
      if (action.generate) {
        if ((topics == null) == (topicsFile == null)) {
          throw usage("--generate needs the topics to move: --topics T1,T2 or --topics-to-move-json-file FILE");
        }
        if (brokerList == null || brokerList.isEmpty()) {
          throw usage("--generate needs --broker-list ID[,ID...]");
        }
        if (brokerList.stream().anyMatch(b -> b < 0) || Set.copyOf(brokerList).size() != brokerList.size()) {
          throw usage("--broker-list must name distinct broker ids >= 0, got " + brokerList);
        }
        return;
      }
      if (action.list) {
        return;
      }
      if (single && planFile != null) {
        throw usage("give either --reassignment-json-file or --topic/--partition/--replicas, not both");
      }
      if (!single && planFile == null) {
        throw usage("name the partitions: --reassignment-json-file FILE, or --topic T --partition N --replicas IDS");
      }
      if (single && (topic == null || partition == null)) {
        throw usage("--topic and --partition go together");
      }
      if (partition != null && partition < 0) {
        throw usage("--partition must be >= 0, got " + partition);
      }
      if (single && action.execute && (replicas == null || replicas.isEmpty())) {
        throw usage("--execute with --topic needs --replicas ID[,ID...]");
      }
      if (throttle != null && (!action.execute || throttle < 1)) {
        throw usage(action.execute ? "--throttle must be >= 1 byte per second, got " + throttle : "--throttle goes with --execute");
      }
      if (await && !action.execute) {
        throw usage("--wait goes with --execute");
      }
      if (progressIntervalMs < 1) {
        throw usage("--progress-interval-ms must be >= 1, got " + progressIntervalMs);
      }
    }

    private ParameterException usage(String message) {
      return new ParameterException(spec.commandLine(), message);
    }

    private Map<TopicPartition, List<Integer>> plan() throws IOException {
      if (planFile == null) {
        Map<TopicPartition, List<Integer>> one = new LinkedHashMap<>();
        one.put(new TopicPartition(topic, partition), replicas == null ? List.of() : List.copyOf(replicas));
        if (replicas != null) {
          try {
            ReassignmentPlan.parse(ReassignmentPlan.format(one)); // the same checks as a file's
          } catch (IllegalArgumentException e) {
            throw usage("--replicas: " + e.getMessage());
          }
        }
        return one;
      }
      try {
        return ReassignmentPlan.parse(Files.readString(planFile, StandardCharsets.UTF_8));
      } catch (IllegalArgumentException e) {
        throw usage(planFile + ": " + e.getMessage());
      } catch (IOException e) {
        throw usage("cannot read " + planFile + ": " + e.getMessage());
      }
    }

    /** The current replicas of the topics' partitions (all partitions of each topic). */
    private static Map<TopicPartition, List<Integer>> currentAssignment(Admin admin, Set<String> topicNames) {
      Map<TopicPartition, List<Integer>> out = new LinkedHashMap<>();
      for (String t : topicNames) {
        TopicMetadata m = admin.describeTopic(t).getTopic();
        for (PartitionMetadata p : m.getPartitionsList()) {
          out.put(new TopicPartition(t, p.getPartition()), List.copyOf(p.getReplicasList()));
        }
      }
      return out;
    }

    private int generate(Admin admin) throws IOException {
      Set<String> names = new TreeSet<>();
      if (topics != null) {
        names.addAll(topics);
      } else {
        try {
          com.google.gson.JsonObject root = com.google.gson.JsonParser.parseString(Files.readString(topicsFile))
              .getAsJsonObject();
          for (com.google.gson.JsonElement e : root.getAsJsonArray("topics")) {
            names.add(e.getAsJsonObject().get("topic").getAsString());
          }
        } catch (RuntimeException e) {
          throw usage(topicsFile + ": expected {\"topics\":[{\"topic\":\"t\"}],\"version\":1}: " + e.getMessage());
        }
      }
      Set<Integer> registered = admin.describeCluster().getBrokersList().stream().map(b -> b.getId())
          .collect(Collectors.toSet());
      List<Integer> unknown = brokerList.stream().filter(b -> !registered.contains(b)).toList();
      if (!unknown.isEmpty()) {
        err.printf("error: --broker-list names brokers that are not registered: %s (registered: %s)%n", unknown,
            new TreeSet<>(registered));
        return 1;
      }
      Map<TopicPartition, List<Integer>> current = currentAssignment(admin, names);
      Map<TopicPartition, List<Integer>> proposed;
      try {
        proposed = ReassignmentPlan.generate(current, brokerList);
      } catch (IllegalArgumentException e) {
        err.println("error: " + e.getMessage());
        return 1;
      }
      out.println("Current partition replica assignment");
      out.println(ReassignmentPlan.format(current));
      out.println();
      out.println("Proposed partition reassignment configuration");
      out.println(ReassignmentPlan.format(proposed));
      return 0;
    }

    private int execute(Admin admin, Map<TopicPartition, List<Integer>> plan) throws InterruptedException {
      Set<String> names = plan.keySet().stream().map(TopicPartition::topic).collect(Collectors.toCollection(TreeSet::new));
      Map<TopicPartition, List<Integer>> current = new HashMap<>();
      for (String t : names) {
        try {
          current.putAll(currentAssignment(admin, Set.of(t)));
        } catch (BrookException e) {
          if (e.code() != ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) {
            throw e;
          }
        }
      }
      Map<TopicPartition, List<Integer>> rollback = new LinkedHashMap<>();
      plan.keySet().stream().filter(current::containsKey).forEach(tp -> rollback.put(tp, current.get(tp)));
      out.println("Current partition replica assignment");
      out.println();
      out.println(ReassignmentPlan.format(rollback));
      out.println();
      out.println("Save this to use as the --reassignment-json-file option during rollback");
      AlterPartitionReassignmentsResponse r = admin.alterPartitionReassignments(plan, throttle == null ? 0 : throttle);
      int failed = report(r, "start the reassignment of");
      List<String> started = r.getResultsList().stream().filter(x -> !hasError(x))
          .map(x -> x.getTopic() + "-" + x.getPartition()).toList();
      if (!started.isEmpty()) {
        out.printf("Successfully started partition reassignment%s for %s%n", started.size() == 1 ? "" : "s",
            String.join(",", started));
      }
      if (throttle != null) {
        out.printf("The new replicas fetch at most %d bytes/s each until their reassignment completes.%n", throttle);
      }
      if (await && failed == 0) {
        out.flush();
        while (verify(admin, plan.keySet()).inProgress > 0) {
          out.flush();
          Thread.sleep(progressIntervalMs); // polling a remote state at the operator's chosen interval
        }
      }
      return failed == 0 ? 0 : 1;
    }

    private int cancel(Admin admin, Map<TopicPartition, List<Integer>> plan) {
      Map<TopicPartition, List<Integer>> cancels = new LinkedHashMap<>();
      plan.keySet().forEach(tp -> cancels.put(tp, List.of()));
      AlterPartitionReassignmentsResponse r = admin.alterPartitionReassignments(cancels, 0);
      int failed = report(r, "cancel the reassignment of");
      List<String> done = r.getResultsList().stream().filter(x -> !hasError(x))
          .map(x -> x.getTopic() + "-" + x.getPartition()).toList();
      if (!done.isEmpty()) {
        out.printf("Successfully cancelled partition reassignment%s for %s%n", done.size() == 1 ? "" : "s",
            String.join(",", done));
      }
      return failed == 0 ? 0 : 1;
    }

    private int report(AlterPartitionReassignmentsResponse r, String what) {
      int failed = 0;
      for (ReassignmentResult x : r.getResultsList()) {
        if (hasError(x)) {
          err.printf("error: could not %s %s-%d: %s: %s%n", what, x.getTopic(), x.getPartition(), x.getError().getCode(),
              x.getError().getMessage());
          failed++;
        }
      }
      return failed;
    }

    private static boolean hasError(ReassignmentResult x) {
      return x.hasError() && x.getError().getCode() != ErrorCode.ERROR_CODE_UNSPECIFIED;
    }

    private record Status(int inProgress, boolean failed) {}

    private Status verify(Admin admin, Set<TopicPartition> partitions) {
      Map<TopicPartition, OngoingReassignment> ongoing = new HashMap<>();
      for (OngoingReassignment o : admin.listPartitionReassignments(List.of())) {
        ongoing.put(new TopicPartition(o.getTopic(), o.getPartition()), o);
      }
      Map<String, Map<Integer, List<Integer>>> replicasNow = new HashMap<>();
      Progress progress = ongoing.keySet().stream().anyMatch(partitions::contains)
          ? Progress.of(admin, partitions.stream().map(TopicPartition::topic).distinct().toList()) : Progress.NONE;
      out.println("Status of partition reassignment:");
      int inProgress = 0;
      boolean failed = false;
      for (TopicPartition tp : partitions) {
        OngoingReassignment o = ongoing.get(tp);
        if (o != null) {
          inProgress++;
          out.printf("Reassignment of partition %s is still in progress: %s%n", tp, progress.describe(o));
          continue;
        }
        Map<Integer, List<Integer>> byPartition = replicasNow.computeIfAbsent(tp.topic(), t -> {
          try {
            return admin.describeTopic(t).getTopic().getPartitionsList().stream()
                .collect(Collectors.toMap(PartitionMetadata::getPartition, PartitionMetadata::getReplicasList));
          } catch (BrookException e) {
            return Map.of();
          }
        });
        List<Integer> now = byPartition.get(tp.partition());
        if (now == null) {
          out.printf("Partition %s does not exist%n", tp);
          failed = true;
        } else {
          out.printf("Reassignment of partition %s is completed: replicas %s%n", tp, now);
        }
      }
      return new Status(inProgress, failed);
    }

    private int list(Admin admin) {
      List<OngoingReassignment> ongoing = admin.listPartitionReassignments(List.of());
      if (ongoing.isEmpty()) {
        out.println("No partition reassignments found.");
        return 0;
      }
      Progress progress = Progress.of(admin, ongoing.stream().map(OngoingReassignment::getTopic).distinct().toList());
      out.println("Current partition reassignments:");
      for (OngoingReassignment o : ongoing) {
        out.printf("%s-%d: replicas %s, adding %s, removing %s, isr %s, leader %d%s: %s%n", o.getTopic(), o.getPartition(),
            o.getReplicasList(), o.getAddingReplicasList(), o.getRemovingReplicasList(), o.getIsrList(), o.getLeader(),
            o.getThrottleBytesPerSecond() > 0 ? ", throttle " + o.getThrottleBytesPerSecond() + " B/s" : "",
            progress.describe(o));
      }
      return progress.failed ? 1 : 0;
    }
  }

  /**
   * How far each adding replica of a reassignment has caught up: its log end offset against the
   * leader's, and bytes on disk against the leader's, from every broker's DescribeLogDirs.
   */
  private static final class Progress {
    static final Progress NONE = new Progress(Map.of(), false);
    private final Map<String, LogDirPartition> byBrokerPartition; // "broker/topic-partition"
    private final boolean failed;

    private Progress(Map<String, LogDirPartition> byBrokerPartition, boolean failed) {
      this.byBrokerPartition = byBrokerPartition;
      this.failed = failed;
    }

    static Progress of(Admin admin, List<String> topics) {
      Map<String, LogDirPartition> m = new HashMap<>();
      boolean failed = false;
      for (Admin.BrokerLogDirs b : admin.describeLogDirs(topics)) {
        if (b.error() != null) {
          failed = true;
          continue;
        }
        for (LogDirPartition p : b.dirs().getPartitionsList()) {
          m.put(b.brokerId() + "/" + p.getTopic() + "-" + p.getPartition(), p);
        }
      }
      return new Progress(m, failed);
    }

    String describe(OngoingReassignment o) {
      List<String> parts = new ArrayList<>();
      String tp = o.getTopic() + "-" + o.getPartition();
      LogDirPartition leader = byBrokerPartition.get(o.getLeader() + "/" + tp);
      for (int b : o.getAddingReplicasList()) {
        LogDirPartition r = byBrokerPartition.get(b + "/" + tp);
        if (o.getIsrList().contains(b)) {
          parts.add("replica " + b + " in sync");
        } else if (r == null || leader == null) {
          parts.add("replica " + b + " not reporting yet");
        } else {
          long span = Math.max(1, leader.getLogEndOffset() - leader.getLogStartOffset());
          long done = Math.max(0, r.getLogEndOffset() - leader.getLogStartOffset());
          parts.add(String.format("replica %d at offset %d of %d (%d%%), %d of %d bytes", b, r.getLogEndOffset(),
              leader.getLogEndOffset(), Math.min(100, done * 100 / span), r.getSizeBytes(), leader.getSizeBytes()));
        }
      }
      if (o.getAddingReplicasCount() == 0) {
        parts.add("waiting for " + o.getReplicasList().stream().filter(x -> !o.getRemovingReplicasList().contains(x))
            .filter(x -> !o.getIsrList().contains(x)).toList() + " to join the ISR");
      }
      return String.join("; ", parts);
    }
  }
}
