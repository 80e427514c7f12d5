package io.brook.launcher;

import io.brook.clients.cli.ConsumerPerfCommand;
import io.brook.clients.cli.EndToEndLatencyCommand;
import io.brook.clients.cli.ProducerPerfCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code brook perf ...}: benchmarks that print figures. */
@Command(
    name = "perf",
    mixinStandardHelpOptions = true,
    description = "Benchmarks that print figures (records/s, MB/s, latency).",
    subcommands = {StoragePerfCommand.class, ProducerPerfCommand.class, ConsumerPerfCommand.class, EndToEndLatencyCommand.class})
final class PerfCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }
}
