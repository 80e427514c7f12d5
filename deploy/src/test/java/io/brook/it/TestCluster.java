package io.brook.it;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/** N combined broker+controller nodes as real processes on 127.0.0.1, with free ports. */
final class TestCluster implements AutoCloseable {
  final List<BrookProcess> nodes = new ArrayList<>();

  TestCluster(Path root, int size, Map<String, String> extra) throws IOException {
    this(root, size, id -> extra);
  }

  /** {@code extraFor}: further settings of node {@code id} (e.g. its own TLS certificate files). */
  TestCluster(Path root, int size, java.util.function.IntFunction<Map<String, String>> extraFor) throws IOException {
    for (int i = 1; i <= size; i++) {
      nodes.add(new BrookProcess(i, root.resolve("node" + i), BrookProcess.freePort(), BrookProcess.freePort(),
          BrookProcess.freePort()));
    }
    String voters = nodes.stream().map(n -> n.nodeId + "@127.0.0.1:" + n.quorumPort).collect(Collectors.joining(","));
    String controllers = nodes.stream().map(BrookProcess::grpcAddress).collect(Collectors.joining(","));
    for (BrookProcess n : nodes) {
      n.configure(voters, controllers, extraFor.apply(n.nodeId));
    }
  }

  TestCluster start() throws IOException {
    for (BrookProcess n : nodes) {
      n.start();
    }
    for (BrookProcess n : nodes) {
      n.awaitReady(Duration.ofSeconds(90));
    }
    return this;
  }

  BrookProcess node(int id) {
    return nodes.get(id - 1);
  }

  String bootstrap() {
    return nodes.stream().map(BrookProcess::grpcAddress).collect(Collectors.joining(","));
  }

  List<String> bootstrapList() {
    return nodes.stream().map(BrookProcess::grpcAddress).toList();
  }

  @Override
  public void close() throws InterruptedException {
    for (BrookProcess n : nodes) {
      n.close();
    }
  }
}
