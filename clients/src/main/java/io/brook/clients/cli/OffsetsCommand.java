package io.brook.clients.cli;

import com.google.gson.JsonArray;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import io.brook.clients.admin.Admin;
import io.brook.proto.v1.OffsetSpec;
import io.brook.storage.TopicPartition;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code brook offsets TOPIC}, as Kafka's {@code kafka-get-offsets}: per partition, the offset for
 * a time (latest = the high watermark, earliest = the log start, or the first record at or after a
 * timestamp), printed {@code topic:partition:offset}.
 */
@Command(name = "offsets", mixinStandardHelpOptions = true,
    description = {"Print each partition's offset for a time as topic:partition:offset, as kafka-get-offsets.",
        "latest is the high watermark (where a new consumer starts), earliest the log start; for a timestamp the",
        "offset of the first record at or after it, or nothing after the second ':' when every record is older."})
public final class OffsetsCommand implements Callable<Integer> {
  @Mixin ClientOptions client;
  @Spec CommandSpec spec;
  @Parameters(index = "0", arity = "0..1", paramLabel = "TOPIC", description = "The topic (or use --topic).") String name;
  @Option(names = "--topic", paramLabel = "TOPIC", description = "The topic, as an alternative to TOPIC.") String topicOption;
  @Option(names = "--time", paramLabel = "TIME", defaultValue = "latest",
      description = "earliest (or -2), latest (or -1), epoch ms or ISO-8601 such as 2026-12-01T10:00:00Z (default: ${DEFAULT-VALUE}).")
  String time;
  @Option(names = "--partitions", paramLabel = "N[,N...]", split = ",", description = "Only these partitions (default: all).")
  List<Integer> partitions = new ArrayList<>();
  @Option(names = "--output", defaultValue = "text",
      description = "text (topic:partition:offset lines) or json: an array of {topic, partition, offset} (default: ${DEFAULT-VALUE}).")
  OutputFormat output;

  @Override
  public Integer call() {
    String topic = TopicsCommand.topicName(spec, name, topicOption, true);
    OffsetSpec offsetSpec;
    long timestampMs = 0;
    switch (time.trim()) {
      case "latest", "-1" -> offsetSpec = OffsetSpec.OFFSET_SPEC_LATEST;
      case "earliest", "-2" -> offsetSpec = OffsetSpec.OFFSET_SPEC_EARLIEST;
      default -> {
        offsetSpec = OffsetSpec.OFFSET_SPEC_TIMESTAMP;
        try {
          timestampMs = TimeSpec.parseTimestamp(time);
        } catch (IllegalArgumentException e) {
          throw new ParameterException(spec.commandLine(), "--time must be earliest, latest, epoch ms or ISO-8601: " + e.getMessage());
        }
      }
    }
    for (int p : partitions) {
      if (p < 0) {
        throw new ParameterException(spec.commandLine(), "--partitions must be >= 0, got " + p);
      }
    }
    client.requireReachable();
    try (Admin admin = new Admin(client.bootstrap(), client.requestTimeoutMs(), client.security())) {
      int count = admin.partitionCount(topic);
      TreeSet<Integer> wanted = new TreeSet<>(partitions);
      if (wanted.isEmpty()) {
        for (int p = 0; p < count; p++) {
          wanted.add(p);
        }
      } else if (wanted.last() >= count) {
        throw new IllegalArgumentException("topic '" + topic + "' has no partition " + wanted.last() + " (it has " + count + ")");
      }
      PrintWriter out = spec.commandLine().getOut();
      JsonArray json = new JsonArray();
      for (int p : wanted) {
        OptionalLong o = admin.listOffset(new TopicPartition(topic, p), offsetSpec, timestampMs);
        if (output == OutputFormat.json) {
          JsonObject e = new JsonObject();
          e.addProperty("topic", topic);
          e.addProperty("partition", p);
          if (o.isPresent()) {
            e.addProperty("offset", o.getAsLong());
          } else {
            e.add("offset", JsonNull.INSTANCE);
          }
          json.add(e);
        } else {
          out.println(topic + ":" + p + ":" + (o.isPresent() ? Long.toString(o.getAsLong()) : ""));
        }
      }
      if (output == OutputFormat.json) {
        out.println(json);
      }
      out.flush();
    }
    return 0;
  }
}
