package io.brook.it;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs {@code bin/brook} as a user would (a new JVM per command), without rebuilding. */
final class Cli {
  static final Path BIN = Path.of("..", "bin", "brook").toAbsolutePath().normalize();

  record Result(int exit, String out, String err) {}

  private Cli() {}

  static Result run(Path cwd, Map<String, String> env, String stdin, String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add(BIN.toString());
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(cwd.toFile());
    pb.environment().keySet().removeIf(k -> k.startsWith("BROOK_"));
    pb.environment().put("BROOK_NO_BUILD", "1");
    pb.environment().put("BROOK_HEAP_OPTS", "-Xms32m -Xmx256m");
    // A short-lived command: C1 only and the serial GC start faster and take less CPU from the
    // nodes under test on a 2-core host (about 0.8 cpu-s less per command).
    pb.environment().put("BROOK_JVM_OPTS", "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC");
    pb.environment().putAll(env);
    Path outFile = Files.createTempFile(cwd, "cli", ".out");
    Path errFile = Files.createTempFile(cwd, "cli", ".err");
    pb.redirectOutput(outFile.toFile()).redirectError(errFile.toFile());
    Process p = pb.start();
    try (OutputStream in = p.getOutputStream()) {
      if (stdin != null) {
        in.write(stdin.getBytes(StandardCharsets.UTF_8));
      }
    }
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IllegalStateException("brook " + String.join(" ", args) + " did not finish in 120 s");
    }
    return new Result(p.exitValue(), Files.readString(outFile), Files.readString(errFile));
  }

  /** Starts {@code bin/brook} in the background (a server); the caller stops it by PID. */
  static Process start(Path cwd, Map<String, String> env, Path log, String... args) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(BIN.toString());
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(cwd.toFile());
    pb.environment().keySet().removeIf(k -> k.startsWith("BROOK_"));
    pb.environment().put("BROOK_NO_BUILD", "1");
    pb.environment().put("BROOK_HEAP_OPTS", "-Xms64m -Xmx384m");
    pb.environment().putAll(env);
    pb.redirectErrorStream(true).redirectOutput(log.toFile());
    return pb.start();
  }
}
