package io.brook.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.google.protobuf.ByteString;
import io.brook.clients.admin.Admin;
import io.brook.proto.common.v1.ErrorCode;
import io.brook.proto.errors.WireErrors;
import io.brook.proto.v1.Acks;
import io.brook.proto.v1.BrokerServiceGrpc;
import io.brook.proto.v1.PartitionMetadata;
import io.brook.proto.v1.ProduceRequest;
import io.brook.storage.record.RecordBatchBuilder;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 8, fault 3, as reported: a node whose log directory is a real 40 MiB tmpfs. One topic
 * fills it until produce answers STORAGE_ERROR; a second topic is created (its log cannot be:
 * the disk is full); the first is deleted. Before the fix the failed partition stopped the broker
 * applying metadata for good: the delete timed out and nothing changed after. Now the delete
 * frees the space, the first topic is gone, and the second one's replica, offline meanwhile
 * (shown by {@code topics describe}), is retried and serves. Needs root to mount the tmpfs
 * (skipped elsewhere unless CI=true, where it fails instead).
 */
@Timeout(300)
class FullDiskIT {
  @TempDir(cleanup = CleanupMode.ON_SUCCESS) Path root;
  private Path mount;

  @AfterEach
  void unmount() throws Exception {
    if (mount != null) {
      run("umount", "-l", mount.toString());
    }
  }

  @Test
  void deletingATopicOnAFullDiskFreesItAndTheBrokerKeepsFollowingTheMetadata() throws Exception {
    try (TestCluster cluster = new TestCluster(root, 1, Map.of("num.partitions", "1"))) {
      BrookProcess node = cluster.node(1);
      Path logs = node.dataDir().resolve("logs");
      Files.createDirectories(logs);
      boolean mounted = run("mount", "-t", "tmpfs", "-o", "size=40m", "brook-fulldisk-it", logs.toString()) == 0;
      if (!mounted && !"true".equals(System.getenv("CI"))) {
        assumeTrue(false, "cannot mount a tmpfs here (not root?)");
      }
      assertThat(mounted).as("mount a 40 MiB tmpfs at " + logs).isTrue();
      mount = logs;
      cluster.start();
      ManagedChannel channel = ManagedChannelBuilder.forTarget(node.grpcAddress()).usePlaintext().build();
      try (Admin admin = new Admin(cluster.bootstrapList(), 30_000)) {
        admin.createTopic("big", 1, 1, Map.of());
        BrokerServiceGrpc.BrokerServiceBlockingStub stub = BrokerServiceGrpc.newBlockingStub(channel);
        int batches = fillUntilStorageError(stub);
        System.out.printf("FULLDISK: %d batches of 256 KiB written before STORAGE_ERROR%n", batches);
        // A full disk fails every request that touches it: the log says so once in a while, not each time.
        for (int i = 0; i < 100; i++) {
          assertThat(catchThrowable(() -> produce(stub, "big", 256 * 1024))).isNotNull();
        }
        assertThat(node.log().lines().filter(l -> l.contains("storage failure")).count())
            .as("storage failure lines for 101 failed produces").isLessThanOrEqualTo(3);

        admin.createTopic("second", 1, 1, Map.of());
        await().atMost(Duration.ofSeconds(30)).until(() -> {
          PartitionMetadata p = admin.describeTopic("second").getTopic().getPartitions(0);
          return p.getOfflineReplicasList().contains(1) && p.getLeader() < 0;
        });
        assertThat(node.log()).contains("second-0 is offline on broker 1");

        long t0 = System.nanoTime();
        admin.deleteTopic("big");
        System.out.printf("FULLDISK: delete took %d ms%n", (System.nanoTime() - t0) / 1_000_000);
        assertThat(admin.listTopics(false)).doesNotContain("big");
        await().atMost(Duration.ofSeconds(30)).until(() -> !Files.exists(logs.resolve("big-0")));

        // The offline replica is retried, reported back, elected, and serves.
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).until(() -> {
          PartitionMetadata p = admin.describeTopic("second").getTopic().getPartitions(0);
          return p.getOfflineReplicasCount() == 0 && p.getLeader() == 1;
        });
        await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() ->
            produce(stub, "second", 1024).getBaseOffset() == 0);
      } finally {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    }
  }

  private static int fillUntilStorageError(BrokerServiceGrpc.BrokerServiceBlockingStub stub) {
    for (int i = 0; i < 400; i++) {
      Throwable t = catchThrowable(() -> produce(stub, "big", 256 * 1024));
      if (t != null) {
        assertThat(WireErrors.toException(t).code()).as("produce on a full disk").isEqualTo(ErrorCode.STORAGE_ERROR);
        return i;
      }
    }
    throw new AssertionError("a 40 MiB disk took 100 MiB");
  }

  private static io.brook.proto.v1.ProduceResponse produce(BrokerServiceGrpc.BrokerServiceBlockingStub stub, String topic,
      int bytes) {
    byte[] value = new byte[bytes];
    new Random(bytes).nextBytes(value); // incompressible
    return stub.withDeadlineAfter(30, TimeUnit.SECONDS).produce(ProduceRequest.newBuilder().setTopic(topic).setPartition(0)
        .setAcks(Acks.ACKS_LEADER).setRecordBatches(ByteString.copyFrom(new RecordBatchBuilder()
            .append(System.currentTimeMillis(), null, value).build())).build());
  }

  private static int run(String... cmd) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    p.getInputStream().readAllBytes();
    if (!p.waitFor(20, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      return -1;
    }
    return p.exitValue();
  }
}
