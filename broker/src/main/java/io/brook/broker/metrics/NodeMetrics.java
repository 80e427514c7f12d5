package io.brook.broker.metrics;

import io.brook.broker.group.GroupStats;
import io.brook.broker.partition.Partition;
import io.brook.broker.partition.PartitionHost;
import io.brook.broker.partition.TopicTraffic;
import io.brook.broker.replication.IsrManager;
import io.brook.metadata.image.BrokerRegistration;
import io.brook.metadata.image.MetadataImage;
import io.brook.metadata.image.PartitionRegistration;
import io.brook.metadata.quorum.MetadataQuorumNode;
import io.grpc.ServerInterceptor;
import io.grpc.ServerServiceDefinition;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.DiskSpaceMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.File;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The metrics of one node: one Prometheus registry holding the {@code brook_*} metrics (names in
 * {@code docs/operations.md}, the contract of issue 10) and the JVM, process, system and disk
 * binders. The parts of the node bind themselves as they start ({@link #bindBroker}, {@link
 * #bindQuorum}, {@link #bindImage}, {@link #updateGroups}); {@link #scrape()} answers {@code GET
 * /metrics}.
 *
 * <p>Gauges are read at scrape time from where the data lives (partitions, logs, the metadata
 * image, Ratis). Per-partition and per-topic series follow the partitions hosted here: they are
 * brought in step just before each scrape, so a deleted topic's series go away. Group series
 * follow the last background sample ({@link #updateGroups}, every ~10 s); nothing is asked over
 * the network during a scrape. Hot paths touch only {@link java.util.concurrent.atomic.LongAdder}s
 * ({@link TopicTraffic}) and cached timers.
 *
 * <p>Threading: scrapes and updates are serialized on this object; gauges read volatile state.
 */
public final class NodeMetrics implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(NodeMetrics.class);

  /** Prometheus text exposition format 0.0.4, as Prometheus asks for it. */
  static final String CONTENT_TYPE_004 = "text/plain; version=0.0.4; charset=utf-8";

  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final RpcMetrics rpc = new RpcMetrics(registry);
  private final JvmGcMetrics gc = new JvmGcMetrics();
  private PartitionHost host;
  private final List<PartitionGauge> partitionGauges = new ArrayList<>();
  /** Per-topic counters, with the traffic object they read (a re-hosted topic gets a new one). */
  private final Map<String, TopicMeters> topicMeters = new HashMap<>();
  private final MultiGauge groupLagRecords;
  private final MultiGauge groupLagSeconds;
  private final MultiGauge groupMembers;
  private final Map<String, GroupMeters> groupMeters = new ConcurrentHashMap<>();

  private record PartitionGauge(MultiGauge gauge, ToDoubleFunction<Partition> value) {}

  private record TopicMeters(TopicTraffic traffic, List<Meter> meters) {}

  private record GroupMeters(AtomicInteger epoch, FunctionCounter rebalances, GroupStats.Stat stat) {}

  /** A registry with the JVM, process and system binders, and disk space of {@code dataDir}. */
  public NodeMetrics(File dataDir) {
    // Two binder meters break Prometheus naming rules (promtool check metrics): the CPU time in
    // nanoseconds (process_cpu_usage stays) and a gauge ending in _count.
    registry.config().meterFilter(MeterFilter.denyNameStartsWith("process.cpu.time"));
    registry.config().meterFilter(new MeterFilter() {
      @Override
      public Meter.Id map(Meter.Id id) {
        return id.getName().equals("system.cpu.count") ? id.withName("system.cpus") : id;
      }
    });
    new JvmMemoryMetrics().bindTo(registry);
    gc.bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ClassLoaderMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    new FileDescriptorMetrics().bindTo(registry);
    new DiskSpaceMetrics(dataDir).bindTo(registry);
    groupLagRecords = MultiGauge.builder("brook.group.lag.records")
        .description("Consumer group lag: sum over its partitions of high watermark minus committed offset "
            + "(on the group's offsets coordinator only)").register(registry);
    groupLagSeconds = MultiGauge.builder("brook.group.lag.seconds")
        .description("Consumer group lag in time: largest age over its partitions of the oldest unconsumed record "
            + "(on the group's offsets coordinator only)").register(registry);
    groupMembers = MultiGauge.builder("brook.group.members")
        .description("Members of the consumer group (on the group's offsets coordinator only)").register(registry);
  }

  /** The registry, for tests and for binding more meters. */
  public PrometheusMeterRegistry registry() {
    return registry;
  }

  /** The interceptor that records RPC durations and errors; install it on the node's gRPC server. */
  public ServerInterceptor rpcInterceptor() {
    return rpc;
  }

  /**
   * Declares up front the duration histograms of the client, admin, group and replication
   * methods among {@code services} (the rest appear with their first call).
   */
  public void declareRpcs(List<ServerServiceDefinition> services) {
    for (ServerServiceDefinition s : services) {
      String name = s.getServiceDescriptor().getName();
      if (name.startsWith("brook.v1.") || name.startsWith("brook.replication.")) {
        s.getMethods().forEach(m -> rpc.declare(m.getMethodDescriptor()));
      }
    }
  }

  // ------------------------------------------------------------------ broker

  /** The partition, ISR and traffic metrics of a broker. */
  public synchronized void bindBroker(PartitionHost host, IsrManager isr) {
    this.host = host;
    Gauge.builder("brook.partitions.leader", host, h -> countLed(h, p -> true))
        .description("Partitions this broker leads").register(registry);
    Gauge.builder("brook.partitions.under.replicated", host,
            h -> countLed(h, p -> p.registration().isr().size() < p.registration().replicas().size()))
        .description("Partitions led here whose ISR is smaller than their replica set").register(registry);
    Gauge.builder("brook.partitions.under.min.isr", host,
            h -> countLed(h, p -> p.registration().isr().size() < p.minInsyncReplicas()))
        .description("Partitions led here whose ISR is below min.insync.replicas (acks=all produces fail)")
        .register(registry);
    Gauge.builder("brook.producer.ids", host, NodeMetrics::producerIds)
        .description("Idempotent producer ids tracked by the partitions led here").register(registry);
    FunctionCounter.builder("brook.isr.shrinks", isr, IsrManager::shrinks)
        .description("ISR shrinks accepted by the controller for partitions led here").register(registry);
    FunctionCounter.builder("brook.isr.expands", isr, IsrManager::expands)
        .description("ISR expansions accepted by the controller for partitions led here").register(registry);
    partitionGauge("brook.partition.high.watermark", "High watermark of a partition hosted here (leader or follower)",
        p -> p.log().highWatermark());
    partitionGauge("brook.partition.log.end.offset", "Log end offset of a partition hosted here",
        p -> p.log().logEndOffset());
    partitionGauge("brook.partition.log.size.bytes", "Bytes of all log segments of a partition hosted here",
        p -> p.log().sizeInBytes());
    partitionGauge("brook.partition.log.segments", "Log segments of a partition hosted here",
        p -> p.log().numberOfSegments());
    partitionGauge("brook.replica.fetcher.lag.records", "Follower: the leader's log end offset seen in the last "
        + "replica fetch minus this replica's log end offset (0 where this broker leads)", Partition::fetcherLagRecords);
    syncBroker();
  }

  private void partitionGauge(String name, String description, ToDoubleFunction<Partition> value) {
    partitionGauges.add(new PartitionGauge(MultiGauge.builder(name).description(description).register(registry), value));
  }

  private static double countLed(PartitionHost h, Predicate<Partition> which) {
    int n = 0;
    for (Partition p : h.all()) {
      if (p.isLeader() && which.test(p)) {
        n++;
      }
    }
    return n;
  }

  private static double producerIds(PartitionHost h) {
    long n = 0;
    for (Partition p : h.all()) {
      if (p.isLeader()) {
        n += p.log().producerIdCount();
      }
    }
    return n;
  }

  /** Brings the per-partition and per-topic series in step with the partitions hosted now. */
  private void syncBroker() {
    if (host == null) {
      return;
    }
    List<Partition> hosted = new ArrayList<>(host.all());
    for (PartitionGauge g : partitionGauges) {
      List<MultiGauge.Row<?>> rows = new ArrayList<>(hosted.size());
      for (Partition p : hosted) {
        rows.add(MultiGauge.Row.of(Tags.of("topic", p.topicPartition().topic(),
            "partition", Integer.toString(p.topicPartition().partition())), p, q -> safe(q, g.value())));
      }
      g.gauge().register(rows, true);
    }
    Map<String, TopicTraffic> traffic = host.traffic();
    topicMeters.entrySet().removeIf(e -> {
      if (traffic.get(e.getKey()) == e.getValue().traffic()) {
        return false;
      }
      e.getValue().meters().forEach(registry::remove);
      return true;
    });
    traffic.forEach((topic, t) -> topicMeters.computeIfAbsent(topic, k -> new TopicMeters(t, List.of(
        topicCounter("brook.topic.bytes.in", "Bytes of record batches produced to the topic on this broker", topic, t,
            x -> x.bytesIn.sum()),
        topicCounter("brook.topic.bytes.out", "Bytes of record batches sent to consumers of the topic from this broker",
            topic, t, x -> x.bytesOut.sum()),
        topicCounter("brook.topic.records.in", "Records produced to the topic on this broker", topic, t,
            x -> x.recordsIn.sum()),
        topicCounter("brook.topic.records.out", "Records sent to consumers of the topic from this broker", topic, t,
            x -> x.recordsOut.sum())))));
  }

  private static double safe(Partition p, ToDoubleFunction<Partition> f) {
    try {
      return f.applyAsDouble(p);
    } catch (RuntimeException e) {
      return Double.NaN; // the partition went away during the scrape
    }
  }

  private Meter topicCounter(String name, String description, String topic, TopicTraffic t,
      ToDoubleFunction<TopicTraffic> f) {
    return FunctionCounter.builder(name, t, f).description(description).tag("topic", topic).register(registry);
  }

  // ------------------------------------------------------------------ metadata

  /**
   * The metadata-image metrics (offline partitions, brokers registered and fenced, applied
   * index), from this node's image: the broker's when it is one, else the controller's.
   */
  public void bindImage(Supplier<MetadataImage> image) {
    Gauge.builder("brook.controller.offline.partitions", image, i -> offline(i.get()))
        .description("Partitions without a leader, in this node's metadata image (the same on every node: use max())")
        .strongReference(true).register(registry);
    Gauge.builder("brook.controller.brokers.registered", image, i -> i.get().brokers().size())
        .description("Brokers registered in this node's metadata image").strongReference(true).register(registry);
    Gauge.builder("brook.controller.brokers.fenced", image,
            i -> i.get().brokers().values().stream().filter(BrokerRegistration::fenced).count())
        .description("Registered brokers that are fenced, in this node's metadata image").strongReference(true).register(registry);
    Gauge.builder("brook.metadata.applied.index", image, i -> i.get().appliedIndex())
        .description("Raft index of the last metadata entry applied to this node's image").strongReference(true).register(registry);
  }

  private static double offline(MetadataImage img) {
    long n = 0;
    for (PartitionRegistration r : img.allPartitions()) {
      if (!r.hasLeader()) {
        n++;
      }
    }
    return n;
  }

  /**
   * The metadata quorum metrics of a controller; with {@code quorum} null (a broker-only node)
   * only the two role gauges, at 0.
   */
  public void bindQuorum(MetadataQuorumNode quorum) {
    Gauge.builder("brook.controller.active", quorum, q -> q != null && q.isActiveController() ? 1 : 0)
        .description("1 on the active controller (the Raft leader, ready), else 0").strongReference(true)
        .register(registry);
    Gauge.builder("brook.metadata.quorum.leader", quorum, q -> q != null && q.raftStatus().leader() ? 1 : 0)
        .description("1 if this node is the Raft leader of the metadata quorum, else 0").strongReference(true)
        .register(registry);
    if (quorum == null) {
      return;
    }
    Gauge.builder("brook.metadata.quorum.term", quorum, q -> q.raftStatus().term())
        .description("Current Raft term of this metadata quorum voter").register(registry);
    Gauge.builder("brook.metadata.quorum.commit.index", quorum, q -> q.raftStatus().commitIndex())
        .description("Raft commit index as known to this metadata quorum voter").register(registry);
  }

  // ------------------------------------------------------------------ groups

  /** Replaces the group series with a fresh background sample (groups gone lose their series). */
  public synchronized void updateGroups(Map<String, GroupStats.Stat> sample) {
    groupMeters.entrySet().removeIf(e -> {
      if (sample.containsKey(e.getKey())) {
        return false;
      }
      registry.remove(e.getValue().rebalances());
      return true;
    });
    List<MultiGauge.Row<?>> lag = new ArrayList<>();
    List<MultiGauge.Row<?>> lagSeconds = new ArrayList<>();
    List<MultiGauge.Row<?>> members = new ArrayList<>();
    sample.forEach((group, stat) -> {
      GroupMeters m = groupMeters.compute(group, (g, old) -> {
        AtomicInteger epoch = old != null ? old.epoch() : new AtomicInteger();
        epoch.set(Math.max(epoch.get(), stat.epoch()));
        FunctionCounter c = old != null ? old.rebalances() : FunctionCounter.builder("brook.group.rebalances", epoch,
                AtomicInteger::get)
            .description("Rebalances of the consumer group: its group epoch, which every rebalance bumps "
                + "(on the group's offsets coordinator only)").tag("group", g).register(registry);
        return new GroupMeters(epoch, c, stat);
      });
      Tags tags = Tags.of("group", group);
      lag.add(MultiGauge.Row.of(tags, m.stat(), GroupStats.Stat::lagRecords));
      lagSeconds.add(MultiGauge.Row.of(tags, m.stat(), GroupStats.Stat::lagSeconds));
      members.add(MultiGauge.Row.of(tags, m.stat(), GroupStats.Stat::members));
    });
    groupLagRecords.register(lag, true);
    groupLagSeconds.register(lagSeconds, true);
    groupMembers.register(members, true);
  }

  // ------------------------------------------------------------------ exposition

  /** The Content-Type of {@link #scrape()}: Prometheus text format 0.0.4. */
  public static String contentType() {
    return CONTENT_TYPE_004;
  }

  /** Every metric in Prometheus text format 0.0.4, per-partition series brought in step first. */
  public synchronized String scrape() {
    try {
      syncBroker();
    } catch (RuntimeException e) {
      log.warn("bringing partition metrics in step failed: {}", e.toString());
    }
    return registry.scrape(contentType());
  }

  @Override
  public void close() {
    gc.close();
    registry.close();
  }
}
