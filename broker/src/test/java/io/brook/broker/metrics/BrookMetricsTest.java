package io.brook.broker.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import io.brook.broker.TestNode;
import io.brook.proto.v1.BrokerServiceGrpc;
import io.brook.proto.v1.FetchRequest;
import io.brook.proto.v1.FetchResponse;
import io.brook.proto.v1.GroupServiceGrpc;
import io.brook.proto.v1.OffsetCommitPartition;
import io.brook.proto.v1.OffsetCommitRequest;
import io.brook.proto.v1.ProduceRequest;
import io.brook.proto.v1.Record;
import io.brook.proto.v1.RecordFormat;
import io.brook.proto.v1.RecordList;
import io.brook.proto.v1.AdminServiceGrpc;
import io.brook.proto.v1.DeleteTopicRequest;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Scrapes a live combined node after real traffic (produce, fetch, a failed produce, a group
 * commit): every name of the metrics contract is there with plausible values, {@code promtool
 * check metrics} is clean, and the table in docs/operations.md matches the scrape both ways.
 */
class BrookMetricsTest {
  @TempDir
  Path dir;
  TestNode node;
  final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @AfterEach
  void close() {
    if (node != null) {
      node.close();
    }
  }

  static int freePort() throws IOException {
    return io.brook.storage.testing.FreePorts.next(); // below the ephemeral range: no client takes it meanwhile
  }

  private static Record record(String value) {
    return Record.newBuilder().setValue(ByteString.copyFromUtf8(value)).build();
  }

  @Test
  void liveScrapeCarriesTheContractWithPlausibleValues() throws Exception {
    int httpPort = freePort();
    node = TestNode.start(dir, Map.of("http.port", Integer.toString(httpPort), "offsets.topic.num.partitions", "2"));
    node.createTopic("orders", 2, Map.of());
    BrokerServiceGrpc.BrokerServiceBlockingStub broker = BrokerServiceGrpc.newBlockingStub(node.channel)
        .withDeadlineAfter(30, TimeUnit.SECONDS);
    await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> broker.produce(ProduceRequest.newBuilder()
        .setTopic("orders").setPartition(0).setRecords(RecordList.newBuilder().addRecords(record("a"))
            .addRecords(record("b")).addRecords(record("c"))).build()).getBaseOffset() == 0);
    FetchResponse fetched = broker.fetch(FetchRequest.newBuilder().setTopic("orders").setPartition(0).setOffset(0)
        .setFormat(RecordFormat.RECORD_FORMAT_RECORDS).build());
    assertThat(fetched.getRecordsCount()).isEqualTo(3);
    assertThatThrownBy(() -> broker.produce(ProduceRequest.newBuilder().setTopic("nope").setPartition(0)
        .setRecords(RecordList.newBuilder().addRecords(record("x"))).build()));
    GroupServiceGrpc.GroupServiceBlockingStub groups = GroupServiceGrpc.newBlockingStub(node.channel);
    await().atMost(Duration.ofSeconds(30)).ignoreExceptions().untilAsserted(() ->
        groups.withDeadlineAfter(10, TimeUnit.SECONDS).offsetCommit(OffsetCommitRequest.newBuilder().setGroupId("billing")
            .setMemberEpoch(-1).addPartitions(OffsetCommitPartition.newBuilder().setTopic("orders").setPartition(0)
                .setOffset(1)).build()));

    // Group lag is sampled in the background every 10 s.
    Scrape s = await().atMost(Duration.ofSeconds(40)).pollInterval(Duration.ofMillis(500))
        .until(() -> Scrape.of(http, httpPort), x -> x.value("brook_group_lag_records", "group", "billing").isPresent());

    assertThat(s.contentType).isEqualTo("text/plain; version=0.0.4; charset=utf-8");
    assertThat(s.get("brook_group_lag_records", "group", "billing")).isEqualTo(2);
    assertThat(s.get("brook_group_lag_seconds", "group", "billing")).isBetween(0.0, 60.0);
    assertThat(s.get("brook_group_members", "group", "billing")).isZero();
    assertThat(s.get("brook_group_rebalances_total", "group", "billing")).isGreaterThanOrEqualTo(0);

    assertThat(s.get("brook_topic_records_in_total", "topic", "orders")).isEqualTo(3);
    assertThat(s.get("brook_topic_bytes_in_total", "topic", "orders")).isGreaterThan(3);
    assertThat(s.get("brook_topic_records_out_total", "topic", "orders")).isEqualTo(3);
    assertThat(s.get("brook_topic_bytes_out_total", "topic", "orders")).isGreaterThan(3);
    assertThat(s.get("brook_partition_log_end_offset", "topic", "orders", "partition", "0")).isEqualTo(3);
    assertThat(s.get("brook_partition_high_watermark", "topic", "orders", "partition", "0")).isEqualTo(3);
    assertThat(s.get("brook_partition_log_end_offset", "topic", "orders", "partition", "1")).isZero();
    assertThat(s.get("brook_partition_log_size_bytes", "topic", "orders", "partition", "0")).isGreaterThan(0);
    assertThat(s.get("brook_partition_log_segments", "topic", "orders", "partition", "0")).isEqualTo(1);
    assertThat(s.get("brook_replica_fetcher_lag_records", "topic", "orders", "partition", "0")).isZero();
    assertThat(s.get("brook_partitions_leader")).as("2 of orders + 2 of __consumer_offsets").isEqualTo(4);
    assertThat(s.get("brook_partitions_under_replicated")).isZero();
    assertThat(s.get("brook_partitions_under_min_isr")).isZero();
    assertThat(s.get("brook_producer_ids")).isGreaterThanOrEqualTo(0);
    assertThat(s.get("brook_isr_shrinks_total")).isZero();
    assertThat(s.get("brook_isr_expands_total")).isZero();
    assertThat(s.get("brook_controller_active")).isEqualTo(1);
    assertThat(s.get("brook_metadata_quorum_leader")).isEqualTo(1);
    assertThat(s.get("brook_metadata_quorum_term")).isGreaterThanOrEqualTo(1);
    assertThat(s.get("brook_metadata_quorum_commit_index")).isGreaterThan(0);
    assertThat(s.get("brook_metadata_applied_index")).isGreaterThan(0);
    assertThat(s.get("brook_controller_offline_partitions")).isZero();
    assertThat(s.get("brook_controller_brokers_registered")).isEqualTo(1);
    assertThat(s.get("brook_controller_brokers_fenced")).isZero();
    assertThat(s.get("brook_rpc_server_duration_seconds_count", "rpc", "brook.v1.BrokerService/Produce"))
        .isGreaterThanOrEqualTo(2);
    assertThat(s.get("brook_rpc_server_duration_seconds_bucket", "rpc", "brook.v1.BrokerService/Produce", "le", "5.0E-5"))
        .as("a 50 µs bucket").isGreaterThanOrEqualTo(0);
    assertThat(s.get("brook_rpc_server_duration_seconds_count", "rpc", "brook.v1.BrokerService/Fetch")).isEqualTo(1);
    assertThat(s.get("brook_rpc_server_duration_seconds_count", "rpc", "brook.v1.GroupService/OffsetCommit"))
        .isGreaterThanOrEqualTo(1);
    assertThat(s.get("brook_rpc_errors_total", "rpc", "brook.v1.BrokerService/Produce", "code", "UNKNOWN_TOPIC_OR_PARTITION"))
        .isEqualTo(1);
    assertThat(s.sum("jvm_memory_used_bytes", "area", "heap")).as("heap in use, all pools").isGreaterThan(0);
    assertThat(s.value("jvm_gc_pause_seconds_max").isPresent() || s.families("jvm_gc").size() > 0).isTrue();
    assertThat(s.get("process_files_open_files")).isGreaterThan(0);
    assertThat(s.get("disk_free_bytes")).isGreaterThan(0);
    assertThat(s.families("jvm_threads")).isNotEmpty();

    promtoolIsClean(s.text);
    docsTableMatches(s);

    // Deleting the topic takes its per-topic and per-partition series away.
    AdminServiceGrpc.newBlockingStub(node.channel).withDeadlineAfter(30, TimeUnit.SECONDS)
        .deleteTopic(DeleteTopicRequest.newBuilder().setName("orders").build());
    await().atMost(Duration.ofSeconds(30)).until(() -> Scrape.of(http, httpPort),
        x -> x.value("brook_partition_log_end_offset", "topic", "orders").isEmpty()
            && x.value("brook_topic_records_in_total", "topic", "orders").isEmpty());
  }

  /** {@code promtool check metrics} exits 0 on the scrape; skipped without promtool, except under CI. */
  static void promtoolIsClean(String text) throws Exception {
    Process p;
    try {
      p = new ProcessBuilder("promtool", "check", "metrics").redirectErrorStream(true).start();
    } catch (IOException e) {
      if ("true".equals(System.getenv("CI"))) {
        fail("CI must install promtool (apt-get install -y prometheus): " + e.getMessage());
      }
      assumeTrue(false, "promtool is not installed (apt-get install -y prometheus); skipping its check");
      return;
    }
    try (var in = p.getOutputStream()) {
      in.write(text.getBytes(StandardCharsets.UTF_8));
    }
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as("promtool check metrics said:\n" + out).isZero();
  }

  /** Row of the Metrics table: | `name` | type | labels | meaning |. */
  private static final Pattern ROW = Pattern.compile("^\\| `(brook_[a-z_]+)` \\| ([a-z]+) \\| ([^|]*)\\|", Pattern.MULTILINE);

  /** Every brook_* family of the scrape is in the docs table with its type and labels, and every row is scraped. */
  static void docsTableMatches(Scrape s) throws IOException {
    String doc = Files.readString(Path.of("..", "docs", "operations.md"), StandardCharsets.UTF_8);
    String metrics = doc.substring(doc.indexOf("## Metrics"), doc.indexOf("## Health"));
    Map<String, String> documentedType = new java.util.TreeMap<>();
    Map<String, Set<String>> documentedLabels = new java.util.TreeMap<>();
    Matcher m = ROW.matcher(metrics);
    while (m.find()) {
      documentedType.put(m.group(1), m.group(2));
      Set<String> labels = new TreeSet<>();
      for (String l : m.group(3).split(",")) {
        if (!l.isBlank()) {
          labels.add(l.trim().replace("`", ""));
        }
      }
      documentedLabels.put(m.group(1), labels);
    }
    Map<String, String> scraped = new java.util.TreeMap<>();
    s.types.forEach((family, type) -> {
      if (family.startsWith("brook_")) {
        // The 0.0.4 writer names counter families with or without _total: compare by the sample name.
        scraped.put(type.equals("counter") && !family.endsWith("_total") ? family + "_total" : family, type);
      }
    });
    assertThat(scraped).as("brook_* families in the scrape vs. the table in docs/operations.md")
        .containsExactlyInAnyOrderEntriesOf(documentedType);
    documentedLabels.forEach((name, labels) -> {
      Set<String> seen = s.labelNames(name);
      assertThat(seen).as("labels of " + name).isEqualTo(labels);
    });
  }
}
