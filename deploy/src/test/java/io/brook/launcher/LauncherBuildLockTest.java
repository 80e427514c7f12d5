package io.brook.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bin/brook} started three times at once on a tree without a build (the README's
 * three-node loop on a fresh clone) builds once, and the other two wait for that build instead of
 * writing the same jars at the same time (issue 12: two of three failed with corrupt jars).
 *
 * <p>Fast: the real launcher runs in a scratch tree with a stand-in {@code mvn} on the PATH (it
 * records each run, notices overlapping runs, and takes a second to "build") and a stand-in
 * {@code java} ({@code JAVA}) that only says it ran.
 */
@Timeout(60)
class LauncherBuildLockTest {
  static final Path LAUNCHER = Path.of("..", "bin", "brook").toAbsolutePath().normalize();

  @TempDir Path tree;

  @Test
  void threeLaunchersAtOnceBuildOnceAndAllRun() throws Exception {
    Files.createDirectories(tree.resolve("bin"));
    Files.copy(LAUNCHER, tree.resolve("bin/brook"));
    tree.resolve("bin/brook").toFile().setExecutable(true);
    Files.writeString(tree.resolve("pom.xml"), "<project/>\n");
    Files.createDirectories(tree.resolve("mod/src"));
    Files.writeString(tree.resolve("mod/pom.xml"), "<project/>\n");
    Files.writeString(tree.resolve("mod/src/A.java"), "class A {}\n");
    Path tools = Files.createDirectories(tree.resolve("tools"));
    script(tools.resolve("mvn"), """
        #!/usr/bin/env bash
        if ! mkdir .mvn-running 2>/dev/null; then echo overlap >> mvn-overlaps; fi
        echo run >> mvn-runs
        mkdir -p deploy/target/lib
        printf 'half a jar' > deploy/target/lib/brook-deploy.jar
        sleep 1
        printf ' and the rest' >> deploy/target/lib/brook-deploy.jar
        rmdir .mvn-running 2>/dev/null
        exit 0
        """);
    script(tools.resolve("java"), """
        #!/usr/bin/env bash
        echo "ran with $(cat "$BROOK_TREE/deploy/target/lib/brook-deploy.jar")"
        """);

    List<Process> launchers = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      ProcessBuilder pb = new ProcessBuilder(tree.resolve("bin/brook").toString(), "server")
          .directory(tree.toFile()).redirectErrorStream(true)
          .redirectOutput(tree.resolve("launcher" + i + ".out").toFile());
      pb.environment().keySet().removeIf(k -> k.startsWith("BROOK_"));
      pb.environment().put("PATH", tools + ":" + System.getenv("PATH"));
      pb.environment().put("JAVA", tools.resolve("java").toString());
      pb.environment().put("BROOK_TREE", tree.toString());
      launchers.add(pb.start());
    }
    for (int i = 0; i < 3; i++) {
      Process p = launchers.get(i);
      assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
      String out = Files.readString(tree.resolve("launcher" + i + ".out"));
      assertThat(p.exitValue()).as(out).isZero();
      assertThat(out).as("launcher %d", i).contains("ran with half a jar and the rest");
    }
    assertThat(Files.readAllLines(tree.resolve("mvn-runs"))).as("builds").hasSize(1);
    assertThat(tree.resolve("mvn-overlaps")).doesNotExist();
  }

  private static void script(Path file, String text) throws IOException {
    Files.writeString(file, text);
    file.toFile().setExecutable(true);
  }
}
