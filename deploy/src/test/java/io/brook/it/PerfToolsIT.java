package io.brook.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code brook perf produce|consume|e2e} against a real single node, with Kafka's flags: each run
 * ends with a JSON line whose counts match what was asked, and bad flags are usage errors (exit 2,
 * one line naming the flag or setting) that send nothing.
 */
@Timeout(300)
class PerfToolsIT {
  @TempDir Path work;

  @Test
  void perfToolsTakeKafkasFlagsAndPrintAJsonSummary() throws Exception {
    SingleNode node = SingleNode.startReady(work);
    try {
      Map<String, String> env = node.clientEnv();
      assertThat(cli(env, "topics", "create", "perf", "--partitions", "3", "--replication-factor", "1").exit()).isZero();
      assertThat(cli(env, "topics", "create", "e2e", "--partitions", "1", "--replication-factor", "1").exit()).isZero();

      // Usage errors first: nothing may be sent.
      Cli.Result zero = cli(env, "perf", "produce", "--topic", "perf", "--num-records", "0");
      assertThat(zero.exit()).isEqualTo(2);
      assertThat(zero.err()).contains("--num-records must be positive");
      Cli.Result unknown = cli(env, "perf", "produce", "--topic", "perf", "--num-records", "10", "--producer-props", "no.such.setting=1");
      assertThat(unknown.exit()).isEqualTo(2);
      assertThat(unknown.err()).contains("no.such.setting").contains("unknown producer setting");
      Cli.Result badValue = cli(env, "perf", "produce", "--topic", "perf", "--num-records", "10", "--producer-props", "batch.size=big");
      assertThat(badValue.exit()).isEqualTo(2);
      assertThat(badValue.err()).contains("batch.size=big");
      Cli.Result noEquals = cli(env, "perf", "produce", "--topic", "perf", "--num-records", "10", "--producer-props", "acks");
      assertThat(noEquals.exit()).isEqualTo(2);
      assertThat(noEquals.err()).contains("expected key=value");

      Cli.Result produce = cli(env, "perf", "produce", "--topic", "perf", "--num-records", "20000", "--record-size", "100",
          "--throughput", "-1", "--producer-props", "acks=1", "batch.size=8196", "linger.ms=0", "buffer.memory=67108864", "--json");
      assertThat(produce.exit()).as(produce.err()).isZero();
      assertThat(produce.out()).contains("20000 records sent");
      String pj = lastLine(produce.out());
      assertThat(number(pj, "records")).isEqualTo(20000);
      assertThat(field(pj, "acks")).isEqualTo("\"1\"");
      assertThat(number(pj, "batch_size")).isEqualTo(8196);
      assertThat(number(pj, "records_per_sec")).isPositive();
      assertThat(number(pj, "p50_ms")).isLessThanOrEqualTo(number(pj, "p99_ms"));

      Cli.Result consume = cli(env, "perf", "consume", "--topic", "perf", "--messages", "20000", "--timeout", "30000", "--json");
      assertThat(consume.exit()).as(consume.err()).isZero();
      assertThat(consume.out()).contains("start.time, end.time, data.consumed.in.MB");
      String cj = lastLine(consume.out());
      assertThat(number(cj, "records")).isEqualTo(20000);
      assertThat(number(cj, "fetch_records_per_sec")).isPositive();

      Cli.Result group = cli(env, "perf", "consume", "--topic", "perf", "--num-records", "1000", "--group", "perf-group",
          "--hide-header", "--json");
      assertThat(group.exit()).as(group.err()).isZero();
      assertThat(number(lastLine(group.out()), "records")).as("stops at --num-records, not at the end of a poll").isEqualTo(1000);

      Cli.Result tooMany = cli(env, "perf", "consume", "--topic", "perf", "--num-records", "20001", "--timeout", "8000");  // the first fetch alone took over 2 s on a loaded host
      assertThat(tooMany.exit()).as("fewer records than asked fail the run").isNotZero();
      assertThat(tooMany.err()).contains("only 20000 of 20001");

      Cli.Result e2e = cli(env, "perf", "e2e", "--topic", "e2e", "--num-records", "200", "--producer-acks", "all", "--json");
      assertThat(e2e.exit()).as(e2e.err()).isZero();
      String ej = lastLine(e2e.out());
      assertThat(number(ej, "records")).isEqualTo(200);
      double p50 = number(ej, "p50_us");
      double p99 = number(ej, "p99_us");
      double p999 = number(ej, "p999_us");
      double max = number(ej, "max_us");
      assertThat(p50).isPositive().isLessThanOrEqualTo(p99);
      assertThat(p99).isLessThanOrEqualTo(p999);
      assertThat(p999).isLessThanOrEqualTo(max);
      assertThat(cli(env, "perf", "e2e", "--topic", "e2e", "--producer-acks", "2").exit()).isEqualTo(2);
    } finally {
      node.close(); // SIGTERM: clean shutdown
    }
  }


  private Cli.Result cli(Map<String, String> env, String... args) throws Exception {
    return Cli.run(work, env, null, args);
  }

  private static String lastLine(String out) {
    String[] lines = out.strip().split("\n");
    String last = lines[lines.length - 1];
    assertThat(last).startsWith("{").endsWith("}");
    return last;
  }

  private static String field(String json, String key) {
    Matcher m = Pattern.compile("\"" + Pattern.quote(key) + "\":(\"[^\"]*\"|[-0-9.eE]+)").matcher(json);
    assertThat(m.find()).as("%s in %s", key, json).isTrue();
    return m.group(1);
  }

  private static double number(String json, String key) {
    return Double.parseDouble(field(json, key));
  }
}
