package io.brook.it;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs a client example (Python, Node) as its own process, as a user would from a shell: no stdin,
 * stdout and stderr captured to files in {@code work}, the caller's {@code BROOK_*} variables and
 * those with {@code dropPrefix} removed, then {@code env} added. Fails the test if it outlives
 * {@code timeout}.
 */
final class ExampleProcess {
  /** What a run printed and how it exited. */
  record Result(int exit, String out, String err) {
    List<String> outLines() {
      return out.lines().toList();
    }

    List<String> errLines() {
      return err.strip().lines().toList();
    }
  }

  private ExampleProcess() {}

  static Result run(Path work, Path dir, String dropPrefix, Map<String, String> env, Duration timeout, String... cmd)
      throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile());
    pb.environment().keySet().removeIf(k -> k.startsWith("BROOK_") || k.startsWith(dropPrefix));
    pb.environment().putAll(env);
    Path out = Files.createTempFile(work, "proc", ".out");
    Path err = Files.createTempFile(work, "proc", ".err");
    pb.redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
        .redirectOutput(out.toFile()).redirectError(err.toFile());
    Process p = pb.start();
    if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      p.destroyForcibly();
      p.waitFor(10, TimeUnit.SECONDS);
      fail(String.join(" ", cmd) + " did not finish in " + timeout.toSeconds() + " s; stderr: " + Files.readString(err));
    }
    return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
  }
}
