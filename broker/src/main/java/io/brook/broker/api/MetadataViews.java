package io.brook.broker.api;

import io.brook.metadata.image.BrokerRegistration;
import io.brook.metadata.image.MetadataImage;
import io.brook.metadata.image.PartitionRegistration;
import io.brook.metadata.image.TopicImage;
import io.brook.proto.v1.BrokerEndpoint;
import io.brook.proto.v1.PartitionMetadata;
import io.brook.proto.v1.TopicMetadata;
import java.util.List;

/** The client API's view of the metadata image. */
final class MetadataViews {
  private MetadataViews() {}

  static TopicMetadata topic(TopicImage t) {
    TopicMetadata.Builder b = TopicMetadata.newBuilder().setName(t.name()).setTopicId(t.id());
    for (PartitionRegistration p : t.partitions().values()) {
      b.addPartitions(PartitionMetadata.newBuilder().setPartition(p.partition()).setLeader(p.leader())
          .setLeaderEpoch(p.leaderEpoch()).addAllReplicas(p.replicas()).addAllIsr(p.isr())
          .addAllOfflineReplicas(p.offlineReplicas()).addAllAddingReplicas(p.addingReplicas())
          .addAllRemovingReplicas(p.removingReplicas()));
    }
    return b.build();
  }

  static BrokerEndpoint broker(BrokerRegistration r) {
    return BrokerEndpoint.newBuilder().setId(r.id()).setHost(r.host())
        .setPort(r.ports().getOrDefault(BrokerRegistration.GRPC_PORT, 0)).setFenced(r.fenced())
        .setRack(r.rack() == null ? "" : r.rack()).build();
  }

  static boolean isInternal(String topic) {
    return topic.startsWith("__");
  }

  static List<String> topicNames(MetadataImage image, boolean includeInternal) {
    return image.topicsById().values().stream().map(TopicImage::name)
        .filter(n -> includeInternal || !isInternal(n)).sorted().toList();
  }
}
