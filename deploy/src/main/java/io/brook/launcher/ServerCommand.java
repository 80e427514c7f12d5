package io.brook.launcher;

import io.brook.broker.BrookNode;
import io.brook.broker.config.NodeConfig;
import io.brook.launcher.logging.Logging;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
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
    BrookNode node = BrookNode.start(config);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      node.close();
      stopped.countDown();
    }, "brook-shutdown"));
    stopped.await();
    return 0;
  }
}
