package io.brook.launcher;

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
    subcommands = {PerfCommand.class, CommandLine.HelpCommand.class})
public final class Brook implements Runnable {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  /** The configured command line; tests drive it without exiting the JVM. */
  public static CommandLine commandLine() {
    CommandLine cl = new CommandLine(new Brook());
    cl.setExecutionExceptionHandler(
        (ex, commandLine, parseResult) -> {
          commandLine.getErr().println("error: " + ex.getMessage());
          return 1;
        });
    return cl;
  }
}
