package io.brook.clients.cli;

import io.brook.clients.admin.Admin;
import io.brook.storage.TopicPartition;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code brook records}: records of a partition as a whole (Kafka's kafka-delete-records). */
@Command(name = "records", mixinStandardHelpOptions = true, description = "Delete the oldest records of a partition.",
    subcommands = {RecordsCommand.Delete.class})
public final class RecordsCommand implements Runnable {
  @Spec CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /**
   * {@code brook records delete TOPIC --partition N --before OFFSET}: Kafka's DeleteRecords. The
   * partition's log start offset becomes OFFSET on its leader and, as they fetch, on its
   * followers; the records before it can no longer be read and their segments are deleted.
   */
  @Command(name = "delete", mixinStandardHelpOptions = true,
      description = "Delete every record before an offset (Kafka's DeleteRecords): the partition's log start offset "
          + "moves there on every replica. Prints the new log start offset (the low watermark).")
  static final class Delete implements Callable<Integer> {
    @Mixin ClientOptions client;
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "TOPIC", description = "The topic.")
    String topic;

    @Option(names = {"--partition", "-p"}, required = true, description = "The partition.")
    int partition;

    @Option(names = "--before", required = true, paramLabel = "OFFSET",
        description = "The new log start offset: records before it are deleted. At most the high watermark; "
            + "-1 deletes every committed record (as -1 in kafka-delete-records' JSON).")
    long before;

    @Override
    public Integer call() {
      if (partition < 0) {
        throw new ParameterException(spec.commandLine(), "--partition must be >= 0, got " + partition);
      }
      if (before < -1) {
        throw new ParameterException(spec.commandLine(), "--before must be an offset >= 0, or -1 for the high watermark; got "
            + before);
      }
      client.requireReachable();
      try (Admin admin = new Admin(client.bootstrap(), client.requestTimeoutMs(), client.security())) {
        long low = admin.deleteRecords(new TopicPartition(topic, partition), before);
        PrintWriter out = spec.commandLine().getOut();
        out.printf("partition: %s-%d\tlow_watermark: %d%n", topic, partition, low);
        out.flush();
      }
      return 0;
    }
  }
}
