package io.brook.launcher;

import io.brook.clients.cli.ClusterCommand;
import io.brook.clients.cli.ConsumeCommand;
import io.brook.clients.cli.GroupsCommand;
import io.brook.clients.cli.LeadersCommand;
import io.brook.clients.cli.LogCommand;
import io.brook.clients.cli.OffsetsCommand;
import io.brook.clients.cli.PartitionsCommand;
import io.brook.clients.cli.ProduceCommand;
import io.brook.clients.cli.RecordsCommand;
import io.brook.clients.cli.TopicsCommand;
import io.brook.launcher.logging.Logging;
import io.brook.proto.common.v1.ErrorCode;
import io.brook.proto.errors.BrookException;
import java.util.concurrent.Callable;
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
        GroupsCommand.class, ClusterCommand.class, io.brook.clients.cli.UsersCommand.class,
        io.brook.clients.cli.AclsCommand.class, LeadersCommand.class, PartitionsCommand.class, LogCommand.class,
        RecordsCommand.class, PerfCommand.class, CertsCommand.class,
        CommandLine.HelpCommand.class})
public final class Brook implements Callable<Integer> {
  /** Exit code of a usage error (an unknown option, a missing argument, no command at all): picocli's. */
  public static final int USAGE_EXIT_CODE = CommandLine.ExitCode.USAGE;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  /** No command given: the help, on stderr, and the usage exit code. */
  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getErr());
    spec.commandLine().getErr().flush();
    return USAGE_EXIT_CODE;
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

  /**
   * A usage error in two lines, like git's: what is wrong, and which help to read
   * ({@code error: Unknown option: '--foo'} / {@code Try 'brook topics create --help'.}), then
   * {@link #USAGE_EXIT_CODE}; never the whole usage text.
   */
  static int usageError(CommandLine.ParameterException ex) {
    CommandLine failed = ex.getCommandLine();
    java.io.PrintWriter err = failed.getErr();
    String message = ex.getMessage() == null ? ex.toString() : ex.getMessage().strip();
    err.println("error: " + message.lines().findFirst().orElse(message));
    err.println("Try '" + failed.getCommandSpec().qualifiedName() + " --help' for more information.");
    err.flush();
    return USAGE_EXIT_CODE;
  }

  /** The configured command line; tests drive it without exiting the JVM. */
  public static CommandLine commandLine() {
    CommandLine cl = new CommandLine(new Brook());
    cl.setParameterExceptionHandler((ex, args) -> usageError(ex));
    cl.setExecutionExceptionHandler(
        (ex, commandLine, parseResult) -> {
          commandLine.getErr().println("error: " + describe(ex));
          commandLine.getErr().flush();
          return 1;
        });
    return cl;
  }
}
