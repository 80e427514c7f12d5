package io.brook.clients.cli;

import io.brook.clients.admin.Admin;
import io.brook.proto.common.v1.ErrorCode;
import io.brook.proto.errors.BrookException;
import io.brook.proto.v1.CommittedOffset;
import io.brook.proto.v1.DescribeGroupResponse;
import io.brook.proto.v1.GroupListing;
import io.brook.proto.v1.GroupMemberDescription;
import io.brook.proto.v1.GroupPartitionOffset;
import io.brook.proto.v1.GroupTopicPartitions;
import io.brook.proto.v1.OffsetSpec;
import io.brook.storage.TopicPartition;
import java.io.PrintWriter;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.TreeSet;
import java.util.stream.Collectors;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code brook groups list|describe|reset-offsets|delete}: Kafka's {@code kafka-consumer-groups}
 * verbs over Brook's GroupService (docs/groups.md).
 */
@Command(name = "groups", mixinStandardHelpOptions = true,
    description = "List, describe, reset the offsets of, and delete consumer groups.",
    subcommands = {GroupsCommand.ListGroups.class, GroupsCommand.Describe.class, GroupsCommand.ResetOffsets.class,
        GroupsCommand.Delete.class})
public final class GroupsCommand implements Runnable {
  @Spec CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** Rows as left-aligned columns separated by two spaces (the first row is the header). */
  static String table(List<List<String>> rows) {
    int cols = rows.stream().mapToInt(List::size).max().orElse(0);
    int[] width = new int[cols];
    for (List<String> r : rows) {
      for (int i = 0; i < r.size(); i++) {
        width[i] = Math.max(width[i], r.get(i).length());
      }
    }
    StringBuilder b = new StringBuilder();
    for (List<String> r : rows) {
      StringBuilder line = new StringBuilder();
      for (int i = 0; i < r.size(); i++) {
        line.append(r.get(i));
        if (i < r.size() - 1) {
          line.append(" ".repeat(width[i] - r.get(i).length() + 2));
        }
      }
      b.append(line.toString().stripTrailing()).append('\n');
    }
    return b.toString();
  }

  /** A JSON string literal. */
  static String quote(String s) {
    StringBuilder b = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        case '\r' -> b.append("\\r");
        case '\t' -> b.append("\\t");
        default -> {
          if (c < 0x20) {
            b.append(String.format("\\u%04x", (int) c));
          } else {
            b.append(c);
          }
        }
      }
    }
    return b.append('"').toString();
  }

  private static String partitions(List<GroupTopicPartitions> l) {
    if (l.isEmpty()) {
      return "-";
    }
    return l.stream().map(t -> t.getTopic() + ":" + t.getPartitionsList().stream().map(String::valueOf).collect(Collectors.joining(",")))
        .collect(Collectors.joining(" "));
  }

  private static String dash(long v) {
    return v < 0 ? "-" : Long.toString(v);
  }

  @Command(name = "list", mixinStandardHelpOptions = true,
      description = "List every consumer group of the cluster (asks every broker) with its state and member count.")
  static final class ListGroups implements Runnable {
    @Mixin ClientOptions client;
    @Spec CommandSpec spec;
    @Option(names = "--output", defaultValue = "text", description = "text or json.") OutputFormat output;

    @Override
    public void run() {
      client.requireReachable(); // one clear line for a wrong address or a TLS mismatch
      try (Admin admin = new Admin(client.bootstrap(), client.requestTimeoutMs(), client.security())) {
        List<GroupListing> groups = admin.listGroups();
        PrintWriter out = spec.commandLine().getOut();
        if (output == OutputFormat.json) {
          out.println(groups.stream().map(OutputFormat::toJson).collect(Collectors.joining(",", "[", "]")));
        } else {
          List<List<String>> rows = new ArrayList<>();
          rows.add(List.of("GROUP", "STATE", "MEMBERS"));
          groups.forEach(g -> rows.add(List.of(g.getGroupId(), g.getState(), Integer.toString(g.getMembers()))));
          out.print(table(rows));
        }
        out.flush();
      }
    }
  }

  @Command(name = "describe", mixinStandardHelpOptions = true,
      description = {"State and members of a group (member id, host, client id, assignment), then per partition:",
          "TOPIC PARTITION CURRENT-OFFSET LOG-END-OFFSET LAG LAG-MS CONSUMER-ID."})
  static final class Describe implements Runnable {
    @Mixin ClientOptions client;
    @Spec CommandSpec spec;
    @Parameters(index = "0", paramLabel = "GROUP", description = "The consumer group id.") String group;
    @Option(names = "--output", defaultValue = "text", description = "text or json.") OutputFormat output;

    @Override
    public void run() {
      client.requireReachable(); // one clear line for a wrong address or a TLS mismatch
      try (Admin admin = new Admin(client.bootstrap(), client.requestTimeoutMs(), client.security())) {
        DescribeGroupResponse d = admin.describeGroup(group);
        PrintWriter out = spec.commandLine().getOut();
        out.print(output == OutputFormat.json ? json(d) + "\n" : text(d));
        out.flush();
      }
    }

    static String text(DescribeGroupResponse d) {
      StringBuilder b = new StringBuilder();
      b.append(String.format("Group: %s\tState: %s\tEpoch: %d\tAssignor: %s\tCoordinator: %d%n", d.getGroupId(), d.getState(),
          d.getGroupEpoch(), d.getAssignor().isEmpty() ? "-" : d.getAssignor(), d.getCoordinator()));
      b.append('\n');
      if (d.getMembersCount() == 0) {
        b.append("Group ").append(d.getGroupId()).append(" has no active members.\n");
      } else {
        List<List<String>> rows = new ArrayList<>();
        rows.add(List.of("MEMBER-ID", "HOST", "CLIENT-ID", "INSTANCE-ID", "EPOCH", "STATE", "ASSIGNMENT"));
        for (GroupMemberDescription m : d.getMembersList()) {
          rows.add(List.of(m.getMemberId(), m.getClientHost().isEmpty() ? "-" : m.getClientHost(),
              m.getClientId().isEmpty() ? "-" : m.getClientId(), m.getInstanceId().isEmpty() ? "-" : m.getInstanceId(),
              Integer.toString(m.getMemberEpoch()), m.getState().isEmpty() ? "-" : m.getState(), partitions(m.getAssignmentList())));
        }
        b.append(table(rows));
      }
      b.append('\n');
      List<List<String>> rows = new ArrayList<>();
      rows.add(List.of("TOPIC", "PARTITION", "CURRENT-OFFSET", "LOG-END-OFFSET", "LAG", "LAG-MS", "CONSUMER-ID"));
      for (GroupPartitionOffset o : d.getOffsetsList()) {
        rows.add(List.of(o.getTopic(), Integer.toString(o.getPartition()), dash(o.getCommitted()), dash(o.getLogEnd()),
            dash(o.getLag()), dash(o.getLagMs()), o.getMemberId().isEmpty() ? "-" : o.getMemberId()));
      }
      b.append(table(rows));
      return b.toString();
    }

    /** {@code members[].assignment[]{topic,partition}} and {@code offsets[]{topic,partition,committed,logEnd,lag,lagMs}}. */
    static String json(DescribeGroupResponse d) {
      StringBuilder b = new StringBuilder("{");
      b.append("\"groupId\":").append(quote(d.getGroupId()))
          .append(",\"state\":").append(quote(d.getState()))
          .append(",\"groupEpoch\":").append(d.getGroupEpoch())
          .append(",\"assignmentEpoch\":").append(d.getAssignmentEpoch())
          .append(",\"assignor\":").append(quote(d.getAssignor()))
          .append(",\"coordinator\":").append(d.getCoordinator())
          .append(",\"members\":[");
      for (int i = 0; i < d.getMembersCount(); i++) {
        GroupMemberDescription m = d.getMembers(i);
        b.append(i == 0 ? "" : ",").append("{\"memberId\":").append(quote(m.getMemberId()))
            .append(",\"instanceId\":").append(quote(m.getInstanceId()))
            .append(",\"clientId\":").append(quote(m.getClientId()))
            .append(",\"host\":").append(quote(m.getClientHost()))
            .append(",\"memberEpoch\":").append(m.getMemberEpoch())
            .append(",\"state\":").append(quote(m.getState()))
            .append(",\"subscribedTopicNames\":").append(m.getSubscribedTopicNamesList().stream().map(GroupsCommand::quote)
                .collect(Collectors.joining(",", "[", "]")))
            .append(",\"subscribedTopicRegex\":").append(quote(m.getSubscribedTopicRegex()))
            .append(",\"assignment\":[");
        boolean first = true;
        for (GroupTopicPartitions t : m.getAssignmentList()) {
          for (int p : t.getPartitionsList()) {
            b.append(first ? "" : ",").append("{\"topic\":").append(quote(t.getTopic())).append(",\"partition\":").append(p).append('}');
            first = false;
          }
        }
        b.append("]}");
      }
      b.append("],\"offsets\":[");
      for (int i = 0; i < d.getOffsetsCount(); i++) {
        GroupPartitionOffset o = d.getOffsets(i);
        b.append(i == 0 ? "" : ",").append("{\"topic\":").append(quote(o.getTopic()))
            .append(",\"partition\":").append(o.getPartition())
            .append(",\"committed\":").append(o.getCommitted())
            .append(",\"logEnd\":").append(o.getLogEnd())
            .append(",\"lag\":").append(o.getLag())
            .append(",\"lagMs\":").append(o.getLagMs())
            .append(",\"memberId\":").append(quote(o.getMemberId())).append('}');
      }
      return b.append("]}").toString();
    }
  }

  /** Exactly one way to pick the new offsets. */
  static final class ResetSpec {
    @Option(names = "--to-earliest", description = "The log start offset.") boolean toEarliest;
    @Option(names = "--to-latest", description = "The log end offset (the high watermark).") boolean toLatest;
    @Option(names = "--to-offset", paramLabel = "N", description = "This offset (clamped to the log).") Long toOffset;
    @Option(names = "--to-datetime", paramLabel = "ISO-8601",
        description = "The first record at or after this time: 2024-05-01T12:00:00Z, with an offset (+02:00), or local time without one.")
    String toDatetime;
    @Option(names = "--shift-by", paramLabel = "N", description = "The committed offset plus N (N may be negative); the log end where none is committed.")
    Long shiftBy;
  }

  @Command(name = "reset-offsets", mixinStandardHelpOptions = true,
      description = {"Compute new committed offsets for a group's partitions of a topic and print TOPIC PARTITION NEW-OFFSET.",
          "A dry run unless --execute is given. Refused while the group has members (stop its consumers first).",
          "New offsets are clamped to [log start, log end]."})
  static final class ResetOffsets implements Runnable {
    @Mixin ClientOptions client;
    @Spec CommandSpec spec;
    @Parameters(index = "0", paramLabel = "GROUP", description = "The consumer group id.") String group;
    @Option(names = "--topic", required = true, description = "The topic whose offsets to reset.") String topic;
    @Option(names = "--partition", split = ",", paramLabel = "N", description = "Only these partitions (repeatable or comma-separated; default: all).")
    List<Integer> partitions = new ArrayList<>();
    @ArgGroup(exclusive = true, multiplicity = "1") ResetSpec reset;
    @Option(names = "--execute", description = "Commit the new offsets (without it, only print them).") boolean execute;

    @Override
    public void run() {
      Instant at = reset.toDatetime == null ? null : parseDateTime(reset.toDatetime);
      client.requireReachable(); // one clear line for a wrong address or a TLS mismatch
      try (Admin admin = new Admin(client.bootstrap(), client.requestTimeoutMs(), client.security())) {
        DescribeGroupResponse d = null;
        try {
          d = admin.describeGroup(group);
        } catch (BrookException e) {
          if (e.code() != ErrorCode.GROUP_ID_NOT_FOUND) {
            throw e;
          }
        }
        if (d != null && d.getMembersCount() > 0) {
          throw new IllegalStateException("Assignments can only be reset if the group '" + group
              + "' is inactive, but the current state is " + d.getState() + " (" + d.getMembersCount() + " members): stop its consumers first");
        }
        int count = admin.partitionCount(topic);
        List<Integer> chosen = partitions.isEmpty() ? java.util.stream.IntStream.range(0, count).boxed().toList()
            : new ArrayList<>(new TreeSet<>(partitions));
        for (int p : chosen) {
          if (p < 0 || p >= count) {
            throw new IllegalArgumentException("topic '" + topic + "' has " + count + " partitions; there is no partition " + p);
          }
        }
        Map<Integer, Long> committed = new LinkedHashMap<>();
        for (CommittedOffset o : admin.fetchOffsets(group, List.of(topic))) {
          committed.put(o.getPartition(), o.getOffset());
        }
        Map<TopicPartition, Long> plan = new LinkedHashMap<>();
        for (int p : chosen) {
          TopicPartition tp = new TopicPartition(topic, p);
          long start = admin.listOffset(tp, OffsetSpec.OFFSET_SPEC_EARLIEST, 0).orElse(0);
          long end = admin.listOffset(tp, OffsetSpec.OFFSET_SPEC_LATEST, 0).orElse(start);
          OptionalLong byTime = at == null ? OptionalLong.empty() : admin.listOffset(tp, OffsetSpec.OFFSET_SPEC_TIMESTAMP, at.toEpochMilli());
          plan.put(tp, newOffset(reset, committed.get(p), start, end, byTime));
        }
        PrintWriter out = spec.commandLine().getOut();
        List<List<String>> rows = new ArrayList<>();
        rows.add(List.of("TOPIC", "PARTITION", "NEW-OFFSET"));
        plan.forEach((tp, o) -> rows.add(List.of(tp.topic(), Integer.toString(tp.partition()), Long.toString(o))));
        out.print(table(rows));
        out.flush();
        if (execute) {
          admin.commitOffsets(group, plan);
        } else {
          spec.commandLine().getErr().println("Dry run: nothing changed. Add --execute to commit these offsets.");
          spec.commandLine().getErr().flush();
        }
      }
    }

    /**
     * The new offset of one partition, clamped to [{@code start}, {@code end}].
     *
     * @param committed the group's committed offset, or null
     * @param byTime for --to-datetime: the first offset at or after the time, empty when every record is older
     */
    static long newOffset(ResetSpec r, Long committed, long start, long end, OptionalLong byTime) {
      long wanted;
      if (r.toEarliest) {
        wanted = start;
      } else if (r.toLatest) {
        wanted = end;
      } else if (r.toOffset != null) {
        wanted = r.toOffset;
      } else if (r.toDatetime != null) {
        wanted = byTime.orElse(end);
      } else {
        long base = committed != null ? committed : end;
        long shifted = base + r.shiftBy;
        wanted = (r.shiftBy > 0 && shifted < base) ? Long.MAX_VALUE : shifted; // overflow
      }
      return Math.max(start, Math.min(end, wanted));
    }

    /**
     * An ISO-8601 date-time: with a zone ({@code Z}, {@code +02:00}) as given, without one in the
     * local time zone (as Kafka's tool does).
     *
     * @throws IllegalArgumentException when it does not parse
     */
    static Instant parseDateTime(String s) {
      try {
        return OffsetDateTime.parse(s).toInstant();
      } catch (DateTimeParseException e) {
        try {
          return LocalDateTime.parse(s).atZone(ZoneId.systemDefault()).toInstant();
        } catch (DateTimeParseException e2) {
          throw new IllegalArgumentException("--to-datetime must be ISO-8601 like 2024-05-01T12:00:00Z or 2024-05-01T12:00:00, got '" + s + "'");
        }
      }
    }
  }

  @Command(name = "delete", mixinStandardHelpOptions = true,
      description = "Delete a group and its committed offsets (refused while it has members).")
  static final class Delete implements Runnable {
    @Mixin ClientOptions client;
    @Spec CommandSpec spec;
    @Parameters(index = "0", paramLabel = "GROUP", description = "The consumer group id.") String group;

    @Override
    public void run() {
      client.requireReachable(); // one clear line for a wrong address or a TLS mismatch
      try (Admin admin = new Admin(client.bootstrap(), client.requestTimeoutMs(), client.security())) {
        admin.deleteGroup(group);
        spec.commandLine().getOut().println("Deleted group " + group + ".");
        spec.commandLine().getOut().flush();
      }
    }
  }
}
