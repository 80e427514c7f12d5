package io.brook.clients.cli;

import io.brook.clients.admin.Admin;
import io.brook.proto.v1.DescribeTopicResponse;
import io.brook.proto.v1.PartitionMetadata;
import io.brook.proto.v1.TopicMetadata;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code brook topics create|list|describe|delete|alter}. */
@Command(name = "topics", mixinStandardHelpOptions = true, description = "Create, list, describe, alter and delete topics.",
    subcommands = {TopicsCommand.Create.class, TopicsCommand.ListTopics.class, TopicsCommand.Describe.class,
        TopicsCommand.Delete.class, TopicsCommand.Alter.class})
public final class TopicsCommand implements Runnable {
  @Spec CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  static Map<String, String> parseConfigs(List<String> kvs) {
    Map<String, String> out = new LinkedHashMap<>();
    for (String kv : kvs) {
      int eq = kv.indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException("--config takes key=value, got '" + kv + "'");
      }
      out.put(kv.substring(0, eq).trim(), kv.substring(eq + 1).trim());
    }
    return out;
  }

  static void printTopic(PrintWriter out, TopicMetadata t, OutputFormat format) {
    if (format == OutputFormat.json) {
      out.println(OutputFormat.toJson(t));
      return;
    }
    out.printf("Topic: %s\tTopicId: %s\tPartitionCount: %d%n", t.getName(), t.getTopicId(), t.getPartitionsCount());
    for (PartitionMetadata p : t.getPartitionsList()) {
      // Offline: replicas whose broker cannot use its copy (full disk, I/O error); shown only when any are.
      out.printf("\tTopic: %s\tPartition: %d\tLeader: %s\tReplicas: %s\tIsr: %s%s%n", t.getName(), p.getPartition(),
          p.getLeader() < 0 ? "none" : Integer.toString(p.getLeader()), join(p.getReplicasList()), join(p.getIsrList()),
          p.getOfflineReplicasCount() == 0 ? "" : "\tOffline: " + join(p.getOfflineReplicasList()));
    }
  }

  private static String join(List<Integer> ids) {
    return ids.stream().map(String::valueOf).collect(Collectors.joining(","));
  }

  @Command(name = "create", mixinStandardHelpOptions = true, description = "Create a topic.")
  static final class Create implements Runnable {
    @Mixin ClientOptions client;
    @Spec CommandSpec spec;
    @Parameters(index = "0", paramLabel = "NAME") String name;
    @Option(names = "--partitions", defaultValue = "0", description = "Number of partitions (default: the cluster's num.partitions).") int partitions;
    @Option(names = "--replication-factor", defaultValue = "0", description = "Replicas per partition (default: the cluster's default.replication.factor).") int replicationFactor;
    @Option(names = "--config", description = "Topic config override key=value (repeatable).") List<String> configs = new ArrayList<>();
    @Option(names = "--output", defaultValue = "text", description = "text or json.") OutputFormat output;

    @Override
    public void run() {
      try (Admin admin = new Admin(client.bootstrap(), client.requestTimeoutMs())) {
        TopicMetadata t = admin.createTopic(name, partitions, replicationFactor, parseConfigs(configs));
        PrintWriter out = spec.commandLine().getOut();
        if (output == OutputFormat.json) {
          out.println(OutputFormat.toJson(t));
        } else {
          out.println("Created topic " + t.getName() + ".");
        }
        out.flush();
      }
    }
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "List topic names, one per line.")
  static final class ListTopics implements Runnable {
    @Mixin ClientOptions client;
    @Spec CommandSpec spec;
    @Option(names = "--include-internal", description = "Also list internal topics.") boolean internal;
    @Option(names = "--output", defaultValue = "text", description = "text or json.") OutputFormat output;

    @Override
    public void run() {
      try (Admin admin = new Admin(client.bootstrap(), client.requestTimeoutMs())) {
        List<String> names = admin.listTopics(internal);
        PrintWriter out = spec.commandLine().getOut();
        if (output == OutputFormat.json) {
          out.println(names.stream().map(n -> "\"" + n + "\"").collect(Collectors.joining(",", "[", "]")));
        } else {
          names.forEach(out::println);
        }
        out.flush();
      }
    }
  }

  @Command(name = "describe", mixinStandardHelpOptions = true, description = "Partitions, leaders, replicas, ISR and configs of a topic.")
  static final class Describe implements Runnable {
    @Mixin ClientOptions client;
    @Spec CommandSpec spec;
    @Parameters(index = "0", paramLabel = "NAME") String name;
    @Option(names = "--output", defaultValue = "text", description = "text or json.") OutputFormat output;

    @Override
    public void run() {
      try (Admin admin = new Admin(client.bootstrap(), client.requestTimeoutMs())) {
        DescribeTopicResponse d = admin.describeTopic(name);
        PrintWriter out = spec.commandLine().getOut();
        printTopic(out, d.getTopic(), output);
        if (output == OutputFormat.text && !d.getOverridesMap().isEmpty()) {
          out.println("\tConfigs: " + d.getOverridesMap().entrySet().stream()
              .map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining(",")));
        }
        out.flush();
      }
    }
  }

  @Command(name = "delete", mixinStandardHelpOptions = true, description = "Delete a topic and its data.")
  static final class Delete implements Runnable {
    @Mixin ClientOptions client;
    @Spec CommandSpec spec;
    @Parameters(index = "0", paramLabel = "NAME") String name;

    @Override
    public void run() {
      try (Admin admin = new Admin(client.bootstrap(), client.requestTimeoutMs())) {
        admin.deleteTopic(name);
        spec.commandLine().getOut().println("Deleted topic " + name + ".");
        spec.commandLine().getOut().flush();
      }
    }
  }

  @Command(name = "alter", mixinStandardHelpOptions = true, description = "Add partitions or change configs of a topic.")
  static final class Alter implements Runnable {
    @Mixin ClientOptions client;
    @Spec CommandSpec spec;
    @Parameters(index = "0", paramLabel = "NAME") String name;
    @Option(names = "--partitions", description = "New (larger) number of partitions.") Integer partitions;
    @Option(names = "--config", description = "Set a topic config key=value (repeatable).") List<String> configs = new ArrayList<>();
    @Option(names = "--delete-config", description = "Reset a topic config to its default (repeatable).") List<String> deleteConfigs = new ArrayList<>();

    @Override
    public void run() {
      if (partitions == null && configs.isEmpty() && deleteConfigs.isEmpty()) {
        throw new IllegalArgumentException("give --partitions N, --config k=v or --delete-config k");
      }
      try (Admin admin = new Admin(client.bootstrap(), client.requestTimeoutMs())) {
        PrintWriter out = spec.commandLine().getOut();
        if (partitions != null) {
          TopicMetadata t = admin.createPartitions(name, partitions);
          out.println("Topic " + name + " now has " + t.getPartitionsCount() + " partitions.");
        }
        if (!configs.isEmpty() || !deleteConfigs.isEmpty()) {
          Map<String, String> now = admin.alterTopicConfig(name, parseConfigs(configs), deleteConfigs);
          out.println("Topic " + name + " overrides: " + now);
        }
        out.flush();
      }
    }
  }
}
