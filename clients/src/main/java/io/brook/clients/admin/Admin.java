package io.brook.clients.admin;

import io.brook.clients.internals.ChannelPool;
import io.brook.clients.internals.HostPort;
import io.brook.proto.common.v1.ErrorCode;
import io.brook.proto.errors.BrookException;
import io.brook.proto.errors.WireErrors;
import io.brook.proto.v1.AdminServiceGrpc;
import io.brook.proto.v1.AlterTopicConfigRequest;
import io.brook.proto.v1.CreatePartitionsRequest;
import io.brook.proto.v1.CreateTopicRequest;
import io.brook.proto.v1.DeleteTopicRequest;
import io.brook.proto.v1.DescribeClusterRequest;
import io.brook.proto.v1.DescribeClusterResponse;
import io.brook.proto.v1.DescribeTopicRequest;
import io.brook.proto.v1.DescribeTopicResponse;
import io.brook.proto.v1.ListTopicsRequest;
import io.brook.proto.v1.TopicMetadata;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * Administers topics and reads the cluster's state, through any broker (the bootstrap servers are
 * tried in order; a broker forwards topic changes to the active controller). Retriable failures
 * (no controller yet, leader moving) are retried until the request timeout. Thread-safe.
 */
public final class Admin implements AutoCloseable {
  private final List<String> bootstrap;
  private final long requestTimeoutMs;
  private final ChannelPool channels = new ChannelPool();

  public Admin(List<String> bootstrapServers, long requestTimeoutMs) {
    if (bootstrapServers.isEmpty()) {
      throw new IllegalArgumentException("no bootstrap servers given");
    }
    bootstrapServers.forEach(HostPort::parse);
    this.bootstrap = List.copyOf(bootstrapServers);
    this.requestTimeoutMs = requestTimeoutMs;
  }

  public TopicMetadata createTopic(String name, int partitions, int replicationFactor, Map<String, String> configs) {
    return call(s -> s.createTopic(CreateTopicRequest.newBuilder().setName(name).setPartitions(partitions)
        .setReplicationFactor(replicationFactor).putAllConfigs(configs).build())).getTopic();
  }

  public void deleteTopic(String name) {
    call(s -> s.deleteTopic(DeleteTopicRequest.newBuilder().setName(name).build()));
  }

  public List<String> listTopics(boolean includeInternal) {
    return call(s -> s.listTopics(ListTopicsRequest.newBuilder().setIncludeInternal(includeInternal).build())).getNamesList();
  }

  public DescribeTopicResponse describeTopic(String name) {
    return call(s -> s.describeTopic(DescribeTopicRequest.newBuilder().setName(name).build()));
  }

  public TopicMetadata createPartitions(String name, int totalPartitions) {
    return call(s -> s.createPartitions(CreatePartitionsRequest.newBuilder().setName(name)
        .setTotalPartitions(totalPartitions).build())).getTopic();
  }

  public Map<String, String> alterTopicConfig(String name, Map<String, String> set, List<String> delete) {
    return call(s -> s.alterTopicConfig(AlterTopicConfigRequest.newBuilder().setName(name).putAllSet(set)
        .addAllDelete(delete).build())).getOverridesMap();
  }

  public DescribeClusterResponse describeCluster() {
    return call(s -> s.describeCluster(DescribeClusterRequest.getDefaultInstance()));
  }

  /** Runs one call against the bootstrap servers in turn, retrying retriable failures until the timeout. */
  private <T> T call(Function<AdminServiceGrpc.AdminServiceBlockingStub, T> rpc) {
    long deadline = System.currentTimeMillis() + requestTimeoutMs;
    BrookException last = null;
    int attempt = 0;
    while (true) {
      for (String address : bootstrap) {
        long left = deadline - System.currentTimeMillis();
        if (left <= 0) {
          break;
        }
        // Each broker gets a share of the time, so one that hangs (frozen, cut off) does not eat
        // the whole budget before the others are tried.
        long attemptMs = Math.min(left, Math.max(2_000, requestTimeoutMs / bootstrap.size()));
        try {
          return rpc.apply(AdminServiceGrpc.newBlockingStub(channels.get(address))
              .withDeadlineAfter(attemptMs, TimeUnit.MILLISECONDS));
        } catch (RuntimeException e) {
          last = WireErrors.toException(e);
          if (!last.retriable()) {
            throw last;
          }
        }
      }
      if (System.currentTimeMillis() >= deadline) {
        throw last != null ? last : new BrookException(ErrorCode.REQUEST_TIMED_OUT, "no answer within " + requestTimeoutMs + " ms");
      }
      try {
        Thread.sleep(Math.min(100L << Math.min(attempt++, 4), 1000L));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new BrookException(ErrorCode.REQUEST_TIMED_OUT, "interrupted");
      }
    }
  }

  @Override
  public void close() {
    channels.close();
  }
}
