package io.brook.launcher;

import io.brook.clients.cli.ClusterCommand;
import io.brook.clients.cli.ConsumeCommand;
import io.brook.clients.cli.GroupsCommand;
import io.brook.clients.cli.LeadersCommand;
import io.brook.clients.cli.LogCommand;
import io.brook.clients.cli.OffsetsCommand;
import io.brook.clients.cli.ProduceCommand;
import io.brook.clients.cli.RecordsCommand;
import io.brook.clients.cli.TopicsCommand;
import io.brook.launcher.logging.Logging;
import io.brook.proto.common.v1.ErrorCode;
import io.brook.proto.errors.BrookException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code brook} command: one tree of picocli subcommands over every module. {@code bin/brook}
 * runs this class on the distribution's classpath ({@code deploy/target/lib}).
 */
@Command(
    name = "brook",
    mixinStandardHelpOptions = true,
    versionProvider = BrookVersion.class,
    description = "Brook: a Raft-replicated streaming log.",
    subcommands = {ServerCommand.class, TopicsCommand.class, ProduceCommand.class, ConsumeCommand.class, OffsetsCommand.class,
        GroupsCommand.class, ClusterCommand.class, LeadersCommand.class, LogCommand.class, RecordsCommand.class, PerfCommand.class,
        CommandLine.HelpCommand.class})
public final class Brook implements Runnable {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  public static void main(String[] args) {
    Logging.installJulBridge();
    System.exit(commandLine().execute(args));
  }

  /** One line for the user: what went wrong, without a stack trace. */
  static String describe(Throwable ex) {
    if (ex instanceof BrookException be) {
      String where = be.leaderHint().isEmpty() ? "" : " (leader: " + be.leaderHint() + ")";
      String hint = be.code() == ErrorCode.LEADER_NOT_AVAILABLE || be.code() == ErrorCode.REQUEST_TIMED_OUT
          ? " — is a Brook server running at the bootstrap server?" : "";
      return be.getMessage() + " [" + be.code() + "]" + where + hint;
    }
    return ex.getMessage() == null ? ex.toString() : ex.getMessage();
  }

  /** The configured command line; tests drive it without exiting the JVM. */
  public static CommandLine commandLine() {
    CommandLine cl = new CommandLine(new Brook());
    cl.setExecutionExceptionHandler(
        (ex, commandLine, parseResult) -> {
          commandLine.getErr().println("error: " + describe(ex));
          commandLine.getErr().flush();
          return 1;
        });
    return cl;
  }
}
