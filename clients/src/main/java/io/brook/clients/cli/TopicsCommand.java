package io.brook.clients.cli;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.brook.clients.admin.Admin;
import io.brook.proto.common.v1.ErrorCode;
import io.brook.proto.errors.BrookException;
import io.brook.proto.v1.DescribeTopicResponse;
import io.brook.proto.v1.PartitionMetadata;
import io.brook.proto.v1.TopicMetadata;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code brook topics create|list|describe|delete|alter}, with kafka-topics' flags. */
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

  /** The topic name from the positional NAME or {@code --topic}: exactly one of them, or the same in both. */
  static String topicName(CommandSpec spec, String positional, String option, boolean required) {
    if (positional != null && option != null && !positional.equals(option)) {
      throw new ParameterException(spec.commandLine(), "give the topic once: NAME '" + positional + "' and --topic '" + option + "' differ");
    }
    String name = positional != null ? positional : option;
    if (name == null && required) {
      throw new ParameterException(spec.commandLine(), "missing the topic: give NAME or --topic NAME");
    }
    return name;
  }

  /** Kafka's ReplicationFactor of a topic: the replica count of its first partition (0 with none). */
  static int replicationFactor(TopicMetadata t) {
    return t.getPartitionsCount() == 0 ? 0 : t.getPartitions(0).getReplicasCount();
  }

  static boolean underReplicated(PartitionMetadata p) {
    return p.getIsrCount() < p.getReplicasCount();
  }

  static boolean unavailable(PartitionMetadata p) {
    return p.getLeader() < 0;
  }

  /** The text of a topic: Kafka's header line (with Configs: its overrides) then one line per partition. */
  static void printTopicText(PrintWriter out, DescribeTopicResponse d, Predicate<PartitionMetadata> keep, boolean header) {
    TopicMetadata t = d.getTopic();
    if (header) {
      out.printf("Topic: %s\tTopicId: %s\tPartitionCount: %d\tReplicationFactor: %d\tConfigs: %s%n", t.getName(), t.getTopicId(),
          t.getPartitionsCount(), replicationFactor(t), new TreeMap<>(d.getOverridesMap()).entrySet().stream()
              .map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining(",")));
    }
    for (PartitionMetadata p : t.getPartitionsList()) {
      if (!keep.test(p)) {
        continue;
      }
      // Offline: replicas whose broker cannot use its copy (full disk, I/O error); Adding/Removing
      // Replicas: a reassignment in progress (as kafka-topics prints them). Each shown only when any are.
      out.printf("\tTopic: %s\tPartition: %d\tLeader: %s\tReplicas: %s\tIsr: %s%s%s%s%n", t.getName(), p.getPartition(),
          p.getLeader() < 0 ? "none" : Integer.toString(p.getLeader()), join(p.getReplicasList()), join(p.getIsrList()),
          p.getOfflineReplicasCount() == 0 ? "" : "\tOffline: " + join(p.getOfflineReplicasList()),
          p.getAddingReplicasCount() == 0 ? "" : "\tAdding Replicas: " + join(p.getAddingReplicasList()),
          p.getRemovingReplicasCount() == 0 ? "" : "\tRemoving Replicas: " + join(p.getRemovingReplicasList()));
    }
  }

  /**
   * The JSON of a topic: the protobuf JSON mapping of its metadata ({@code name}, {@code topicId},
   * {@code partitions} with {@code partition}, {@code leader} (-1: none), {@code leaderEpoch},
   * {@code replicas}, {@code isr}, {@code offlineReplicas}) plus {@code partitionCount}, {@code
   * replicationFactor} and {@code configs} (the topic's overrides), numbers as JSON numbers.
   */
  static JsonObject topicJson(TopicMetadata t, Map<String, String> overrides, Predicate<PartitionMetadata> keep) {
    JsonObject o = JsonParser.parseString(OutputFormat.toJson(t)).getAsJsonObject();
    o.remove("error");
    JsonArray kept = new JsonArray();
    JsonArray all = o.getAsJsonArray("partitions");
    for (int i = 0; i < t.getPartitionsCount(); i++) {
      if (keep.test(t.getPartitions(i))) {
        kept.add(all.get(i));
      }
    }
    o.add("partitions", kept);
    o.addProperty("partitionCount", t.getPartitionsCount());
    o.addProperty("replicationFactor", replicationFactor(t));
    JsonObject configs = new JsonObject();
    new TreeMap<>(overrides).forEach(configs::addProperty);
    o.add("configs", configs);
    return o;
  }

  private static String join(List<Integer> ids) {
    return ids.stream().map(String::valueOf).collect(Collectors.joining(","));
  }

  private static boolean is(BrookException e, ErrorCode code) {
    return e.code() == code;
  }

  @Command(name = "create", mixinStandardHelpOptions = true, description = "Create a topic.")
  static final class Create implements Runnable {
    @Mixin ClientOptions client;
    @Spec CommandSpec spec;
    @Parameters(index = "0", arity = "0..1", paramLabel = "NAME", description = "The topic (or use --topic).") String name;
    @Option(names = "--topic", paramLabel = "NAME", description = "The topic, as an alternative to NAME.") String topicOption;
    @Option(names = {"-p", "--partitions"}, paramLabel = "N",
        description = "Number of partitions, > 0 (default: the cluster's num.partitions).") Integer partitions;
    @Option(names = {"-r", "--replication-factor"}, paramLabel = "N",
        description = "Replicas per partition, > 0 (default: the cluster's default.replication.factor).") Integer replicationFactor;
    @Option(names = "--config", paramLabel = "KEY=VALUE", description = "Topic config override (repeatable).") List<String> configs = new ArrayList<>();
    @Option(names = "--if-not-exists", description = "Succeed quietly when the topic already exists.") boolean ifNotExists;
    @Option(names = "--output", defaultValue = "text", description = "text or json (default: ${DEFAULT-VALUE}).") OutputFormat output;

    @Override
    public void run() {
      String topic = topicName(spec, name, topicOption, true);
      if (partitions != null) {
        ClientOptions.requirePositive(spec, "--partitions", partitions);
      }
      if (replicationFactor != null) {
        ClientOptions.requirePositive(spec, "--replication-factor", replicationFactor);
      }
      Map<String, String> parsed = parseConfigs(configs);
      client.requireReachable();
      try (Admin admin = new Admin(client.bootstrap(), client.requestTimeoutMs(), client.security())) {
        PrintWriter out = spec.commandLine().getOut();
        TopicMetadata t;
        try {
          t = admin.createTopic(topic, partitions == null ? 0 : partitions, replicationFactor == null ? 0 : replicationFactor, parsed);
        } catch (BrookException e) {
          if (ifNotExists && is(e, ErrorCode.TOPIC_ALREADY_EXISTS)) {
            return;
          }
          throw e;
        }
        if (output == OutputFormat.json) {
          out.println(topicJson(t, parsed, p -> true));
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
    @Option(names = "--include-internal", description = "Also list internal topics (__consumer_offsets).") boolean internal;
    @Option(names = "--output", defaultValue = "text", description = "text or json: an array of names (default: ${DEFAULT-VALUE}).") OutputFormat output;

    @Override
    public void run() {
      client.requireReachable();
      try (Admin admin = new Admin(client.bootstrap(), client.requestTimeoutMs(), client.security())) {
        List<String> names = admin.listTopics(internal);
        PrintWriter out = spec.commandLine().getOut();
        if (output == OutputFormat.json) {
          JsonArray a = new JsonArray();
          names.forEach(a::add);
          out.println(a);
        } else {
          names.forEach(out::println);
        }
        out.flush();
      }
    }
  }

  @Command(name = "describe", mixinStandardHelpOptions = true,
      description = {"Partitions, leaders, replicas, ISR and config overrides of a topic, or of every topic without NAME.",
          "With --under-replicated-partitions / --unavailable-partitions only the matching partitions are shown."})
  static final class Describe implements Runnable {
    @Mixin ClientOptions client;
    @Spec CommandSpec spec;
    @Parameters(index = "0", arity = "0..1", paramLabel = "NAME", description = "The topic (or use --topic); none: every topic.") String name;
    @Option(names = "--topic", paramLabel = "NAME", description = "The topic, as an alternative to NAME.") String topicOption;
    @Option(names = "--if-exists", description = "Succeed quietly, printing nothing, when the topic does not exist.") boolean ifExists;
    @Option(names = "--include-internal", description = "Without NAME: also describe internal topics.") boolean internal;
    @Option(names = "--under-replicated-partitions", description = "Only partitions whose ISR is smaller than their replica set.") boolean underReplicated;
    @Option(names = "--unavailable-partitions", description = "Only partitions without a leader.") boolean unavailable;
    @Option(names = "--output", defaultValue = "text",
        description = "text or json: one object for NAME, an array without it (default: ${DEFAULT-VALUE}).") OutputFormat output;

    @Override
    public void run() {
      String topic = topicName(spec, name, topicOption, false);
      Predicate<PartitionMetadata> keep = p -> (!underReplicated || TopicsCommand.underReplicated(p)) && (!unavailable || TopicsCommand.unavailable(p));
      boolean filtered = underReplicated || unavailable;
      client.requireReachable();
      try (Admin admin = new Admin(client.bootstrap(), client.requestTimeoutMs(), client.security())) {
        PrintWriter out = spec.commandLine().getOut();
        List<DescribeTopicResponse> described = new ArrayList<>();
        if (topic != null) {
          try {
            described.add(admin.describeTopic(topic));
          } catch (BrookException e) {
            if (ifExists && is(e, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)) {
              return;
            }
            throw e;
          }
        } else {
          for (String n : admin.listTopics(internal)) {
            try {
              described.add(admin.describeTopic(n));
            } catch (BrookException e) {
              if (!is(e, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)) { // deleted meanwhile: skip it
                throw e;
              }
            }
          }
        }
        if (output == OutputFormat.json) {
          JsonArray all = new JsonArray();
          for (DescribeTopicResponse d : described) {
            JsonObject o = topicJson(d.getTopic(), d.getOverridesMap(), keep);
            if (!filtered || !o.getAsJsonArray("partitions").isEmpty()) {
              all.add(o);
            }
          }
          if (topic != null) {
            out.println(all.isEmpty() ? topicJson(described.get(0).getTopic(), described.get(0).getOverridesMap(), keep) : all.get(0));
          } else {
            out.println(all);
          }
        } else {
          // As kafka-topics: with a partition filter only the matching partition lines.
          described.forEach(d -> printTopicText(out, d, keep, !filtered));
        }
        out.flush();
      }
    }
  }

  @Command(name = "delete", mixinStandardHelpOptions = true, description = "Delete a topic and its data.")
  static final class Delete implements Runnable {
    @Mixin ClientOptions client;
    @Spec CommandSpec spec;
    @Parameters(index = "0", arity = "0..1", paramLabel = "NAME", description = "The topic (or use --topic).") String name;
    @Option(names = "--topic", paramLabel = "NAME", description = "The topic, as an alternative to NAME.") String topicOption;
    @Option(names = "--if-exists", description = "Succeed quietly when the topic does not exist.") boolean ifExists;

    @Override
    public void run() {
      String topic = topicName(spec, name, topicOption, true);
      client.requireReachable();
      try (Admin admin = new Admin(client.bootstrap(), client.requestTimeoutMs(), client.security())) {
        try {
          admin.deleteTopic(topic);
        } catch (BrookException e) {
          if (ifExists && is(e, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)) {
            return;
          }
          throw e;
        }
        spec.commandLine().getOut().println("Deleted topic " + topic + ".");
        spec.commandLine().getOut().flush();
      }
    }
  }

  @Command(name = "alter", mixinStandardHelpOptions = true, description = "Add partitions or change configs of a topic.")
  static final class Alter implements Runnable {
    @Mixin ClientOptions client;
    @Spec CommandSpec spec;
    @Parameters(index = "0", arity = "0..1", paramLabel = "NAME", description = "The topic (or use --topic).") String name;
    @Option(names = "--topic", paramLabel = "NAME", description = "The topic, as an alternative to NAME.") String topicOption;
    @Option(names = {"-p", "--partitions"}, paramLabel = "N", description = "New (larger) number of partitions.") Integer partitions;
    @Option(names = "--config", paramLabel = "KEY=VALUE", description = "Set a topic config (repeatable).") List<String> configs = new ArrayList<>();
    @Option(names = "--delete-config", paramLabel = "KEY", description = "Reset a topic config to its default (repeatable).") List<String> deleteConfigs = new ArrayList<>();
    @Option(names = "--if-exists", description = "Succeed quietly when the topic does not exist.") boolean ifExists;

    @Override
    public void run() {
      String topic = topicName(spec, name, topicOption, true);
      if (partitions == null && configs.isEmpty() && deleteConfigs.isEmpty()) {
        throw new ParameterException(spec.commandLine(), "give --partitions N, --config k=v or --delete-config k");
      }
      if (partitions != null) {
        ClientOptions.requirePositive(spec, "--partitions", partitions);
      }
      Map<String, String> parsed = parseConfigs(configs);
      client.requireReachable();
      try (Admin admin = new Admin(client.bootstrap(), client.requestTimeoutMs(), client.security())) {
        PrintWriter out = spec.commandLine().getOut();
        try {
          if (partitions != null) {
            TopicMetadata t = admin.createPartitions(topic, partitions);
            out.println("Topic " + topic + " now has " + t.getPartitionsCount() + " partitions.");
          }
          if (!parsed.isEmpty() || !deleteConfigs.isEmpty()) {
            Map<String, String> now = admin.alterTopicConfig(topic, parsed, deleteConfigs);
            out.println("Topic " + topic + " overrides: " + now);
          }
        } catch (BrookException e) {
          if (ifExists && is(e, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)) {
            return;
          }
          throw e;
        }
        out.flush();
      }
    }
  }
}
