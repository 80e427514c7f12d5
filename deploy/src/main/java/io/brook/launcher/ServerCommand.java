package io.brook.launcher;

import io.brook.broker.BrookNode;
import io.brook.broker.config.NodeConfig;
import io.brook.launcher.logging.Logging;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code brook server}: runs a node until SIGTERM/SIGINT. With no arguments, a single combined
 * node (broker + controller) with data in {@code ./data}: the embedded default.
 */
@Command(name = "server", mixinStandardHelpOptions = true,
    description = "Run a Brook node. With no options: one combined broker+controller node, data in ./data, gRPC on 9092.")
final class ServerCommand implements Callable<Integer> {
  @Option(names = {"--config", "-c"}, description = "Properties file (keys in docs/configuration.md); every key can also be set as BROOK_<KEY> in the environment.")
  Path configFile;

  @Override
  public Integer call() throws Exception {
    NodeConfig config = NodeConfig.load(configFile, System.getenv());
    Logging.configure(config.nodeId(), config.get(NodeConfig.LOG_FORMAT));
    // The hook is in place before the node starts: a SIGTERM during startup (a script that starts
    // and stops a node at once) waits for the start to finish, then closes the node cleanly and
    // logs "stopped", instead of the JVM exiting under a half-started node.
    CountDownLatch startDone = new CountDownLatch(1);
    CountDownLatch stopped = new CountDownLatch(1);
    AtomicReference<BrookNode> node = new AtomicReference<>();
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        startDone.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      BrookNode n = node.get();
      if (n != null) {
        n.close();
      }
      stopped.countDown();
    }, "brook-shutdown"));
    try {
      node.set(BrookNode.start(config));
    } finally {
      startDone.countDown();
    }
    stopped.await();
    return 0;
  }
}
