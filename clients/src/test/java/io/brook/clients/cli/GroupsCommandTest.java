package io.brook.clients.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.brook.clients.consumer.Consumer;
import io.brook.clients.consumer.ConsumerConfig;
import io.brook.clients.testing.FakeBrook;
import io.brook.proto.v1.OffsetCommitRequest;
import io.brook.storage.TopicPartition;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code brook groups ...} and {@code brook consume --group} against {@link FakeBrook}. */
class GroupsCommandTest {
  private static final TopicPartition T0 = new TopicPartition("t", 0);
  private static final TopicPartition T1 = new TopicPartition("t", 1);

  private FakeBrook fake;

  record Result(int exit, String out, String err) {}

  @BeforeEach
  void start() throws Exception {
    fake = new FakeBrook();
    fake.createTopic("t", 2);
    fake.append("t", 0, 10);
    fake.append("t", 1, 10);
    fake.setLogStart("t", 0, 2);
  }

  @AfterEach
  void stop() throws Exception {
    fake.close();
  }

  /** Runs a command line the way the launcher does: errors as one "error:" line, exit 1. */
  private Result run(Object command, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cl = new CommandLine(command);
    cl.setOut(new PrintWriter(out));
    cl.setErr(new PrintWriter(err));
    cl.setExecutionExceptionHandler((ex, c, p) -> {
      c.getErr().println("error: " + ex.getMessage());
      c.getErr().flush();
      return 1;
    });
    String[] all = new String[args.length + 2];
    System.arraycopy(args, 0, all, 0, args.length);
    all[args.length] = "--bootstrap-server";
    all[args.length + 1] = fake.address();
    int exit = cl.execute(all);
    return new Result(exit, out.toString(), err.toString());
  }

  private Result groups(String... args) {
    return run(new GroupsCommand(), args);
  }

  @Test
  void resetOffsetsDryRunPrintsClampedOffsetsAndChangesNothing() {
    fake.setCommitted("g", T0, 5);
    Result r = groups("reset-offsets", "g", "--topic", "t", "--shift-by", "-4");
    assertThat(r.exit()).as(r.err()).isZero();
    // p0: 5 - 4 = 1, clamped to the log start 2; p1: nothing committed, so from the log end 10 - 4.
    assertThat(r.out()).isEqualTo("""
        TOPIC  PARTITION  NEW-OFFSET
        t      0          2
        t      1          6
        """);
    assertThat(r.err()).contains("Dry run");
    assertThat(fake.commits).isEmpty();
    assertThat(fake.committed("g")).isEqualTo(Map.of(T0, 5L));
  }

  @Test
  void resetOffsetsExecuteCommitsAsATool() {
    Result r = groups("reset-offsets", "g", "--topic", "t", "--partition", "1", "--to-offset", "100", "--execute");
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.out()).contains("t      1          10");
    OffsetCommitRequest c = fake.commits.get(0).request();
    assertThat(c.getMemberId()).isEmpty();
    assertThat(c.getMemberEpoch()).isEqualTo(-1);
    assertThat(fake.committed("g")).isEqualTo(Map.of(T1, 10L));

    r = groups("reset-offsets", "g", "--topic", "t", "--to-earliest", "--execute");
    assertThat(r.exit()).isZero();
    assertThat(fake.committed("g")).isEqualTo(Map.of(T0, 2L, T1, 0L));

    String at = Instant.ofEpochMilli(FakeBrook.timestampOf(4) - 1).toString();
    r = groups("reset-offsets", "g", "--topic", "t", "--partition", "0,1", "--to-datetime", at, "--execute");
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(fake.committed("g")).isEqualTo(Map.of(T0, 4L, T1, 4L));

    r = groups("reset-offsets", "g", "--topic", "t", "--to-latest", "--execute");
    assertThat(fake.committed("g")).isEqualTo(Map.of(T0, 10L, T1, 10L));
  }

  @Test
  void resetOffsetsIsRefusedWhileTheGroupHasMembers() {
    try (Consumer c = new Consumer(ConsumerConfig.defaults(fake.address()).withGroupId("g").withFetchMaxWaitMs(50))) {
      c.subscribe(List.of("t"));
      await().atMost(Duration.ofSeconds(10)).until(() -> {
        c.poll(Duration.ofMillis(20));
        return c.assignment().size() == 2;
      });
      Result r = groups("reset-offsets", "g", "--topic", "t", "--to-earliest", "--execute");
      assertThat(r.exit()).isEqualTo(1);
      assertThat(r.err()).startsWith("error: Assignments can only be reset if the group 'g' is inactive");
      assertThat(r.err().lines()).hasSize(1);
      assertThat(fake.commits.stream().filter(x -> x.request().getMemberId().isEmpty())).isEmpty();
    }
  }

  @Test
  void resetOffsetsOptionsAreCheckedByTheParser() {
    Result both = groups("reset-offsets", "g", "--topic", "t", "--to-earliest", "--to-latest");
    assertThat(both.exit()).isEqualTo(2);
    assertThat(both.err()).contains("mutually exclusive");
    Result none = groups("reset-offsets", "g", "--topic", "t");
    assertThat(none.exit()).isEqualTo(2);
    assertThat(none.err()).contains("Missing required argument");
    Result noTopic = groups("reset-offsets", "g", "--to-earliest");
    assertThat(noTopic.exit()).isEqualTo(2);
    assertThat(noTopic.err()).contains("--topic");
    Result badNumber = groups("reset-offsets", "g", "--topic", "t", "--shift-by", "x");
    assertThat(badNumber.exit()).isEqualTo(2);
    Result badDate = groups("reset-offsets", "g", "--topic", "t", "--to-datetime", "yesterday");
    assertThat(badDate.exit()).isEqualTo(1);
    assertThat(badDate.err()).startsWith("error: --to-datetime must be ISO-8601");
    Result badPartition = groups("reset-offsets", "g", "--topic", "t", "--partition", "7", "--to-earliest");
    assertThat(badPartition.exit()).isEqualTo(1);
    assertThat(badPartition.err()).contains("no partition 7");
    assertThat(fake.commits).isEmpty();
  }

  @Test
  void newOffsetPerSpec() {
    GroupsCommand.ResetSpec shift = new GroupsCommand.ResetSpec();
    shift.shiftBy = Long.MAX_VALUE;
    assertThat(GroupsCommand.ResetOffsets.newOffset(shift, 5L, 2, 10, OptionalLong.empty())).isEqualTo(10);
    shift.shiftBy = -3L;
    assertThat(GroupsCommand.ResetOffsets.newOffset(shift, 8L, 2, 10, OptionalLong.empty())).isEqualTo(5);
    GroupsCommand.ResetSpec time = new GroupsCommand.ResetSpec();
    time.toDatetime = "2030-01-01T00:00:00Z";
    assertThat(GroupsCommand.ResetOffsets.newOffset(time, null, 2, 10, OptionalLong.empty())).isEqualTo(10);
    assertThat(GroupsCommand.ResetOffsets.newOffset(time, null, 2, 10, OptionalLong.of(3))).isEqualTo(3);
    GroupsCommand.ResetSpec to = new GroupsCommand.ResetSpec();
    to.toOffset = 0L;
    assertThat(GroupsCommand.ResetOffsets.newOffset(to, null, 2, 10, OptionalLong.empty())).isEqualTo(2);
    assertThat(GroupsCommand.ResetOffsets.parseDateTime("2024-05-01T12:00:00+02:00")).isEqualTo(Instant.parse("2024-05-01T10:00:00Z"));
  }

  @Test
  void describeListAndDelete() {
    fake.setCommitted("g", T0, 4);
    try (Consumer c = new Consumer(ConsumerConfig.defaults(fake.address()).withGroupId("g").withClientId("cli-test")
        .withFetchMaxWaitMs(50).withEnableAutoCommit(false))) {
      c.subscribe(List.of("t"));
      await().atMost(Duration.ofSeconds(10)).until(() -> {
        c.poll(Duration.ofMillis(20));
        return c.assignment().size() == 2;
      });
      await().atMost(Duration.ofSeconds(10)).until(() -> groups("describe", "g").out().contains("t:0,1"));
      Result text = groups("describe", "g");
      assertThat(text.out()).contains("State: Stable", "MEMBER-ID", "cli-test", c.memberId(),
          "TOPIC  PARTITION  CURRENT-OFFSET  LOG-END-OFFSET  LAG  LAG-MS  CONSUMER-ID");
      assertThat(text.out().lines().filter(l -> l.startsWith("t "))).containsExactly(
          "t      0          4               10              6    5000    " + c.memberId(),
          "t      1          -               10              10   5000    " + c.memberId());
      Result json = groups("describe", "g", "--output", "json");
      assertThat(json.out()).contains("\"assignment\":[{\"topic\":\"t\",\"partition\":0},{\"topic\":\"t\",\"partition\":1}]",
          "{\"topic\":\"t\",\"partition\":0,\"committed\":4,\"logEnd\":10,\"lag\":6,\"lagMs\":5000,");
      Result list = groups("list");
      assertThat(list.out()).isEqualTo("GROUP  STATE   MEMBERS\ng      Stable  1\n");
      Result deleteBusy = groups("delete", "g");
      assertThat(deleteBusy.exit()).isEqualTo(1);
      assertThat(deleteBusy.err()).startsWith("error: group g has members");
    }
    Result delete = groups("delete", "g");
    assertThat(delete.exit()).as(delete.err()).isZero();
    assertThat(delete.out()).isEqualTo("Deleted group g.\n");
    assertThat(groups("describe", "g").err()).startsWith("error: no group g");
  }

  @Test
  void consumeWithAGroupReadsFromTheBeginningAndCommitsWhatItPrinted() {
    PrintStream saved = System.out;
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
    Result r;
    try {
      r = run(new ConsumeCommand(), "t", "--group", "cg", "--from-beginning", "--max-messages", "15");
    } finally {
      System.setOut(saved);
    }
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(buf.toString(StandardCharsets.UTF_8).lines().filter(l -> l.startsWith("t-"))).hasSize(15); // (log lines may go to stdout too)
    // 15 printed out of 8 (partition 0 from its log start 2) + 10: exactly what was printed is committed.
    Map<TopicPartition, Long> committed = fake.committed("cg");
    long printed = committed.getOrDefault(T0, 2L) - 2 + committed.getOrDefault(T1, 0L);
    assertThat(printed).isEqualTo(15);
    assertThat(fake.memberIds("cg")).isEmpty(); // left on exit

    Result again = run(new ConsumeCommand(), "t", "--group", "cg", "--partition", "0");
    assertThat(again.exit()).isEqualTo(1);
    assertThat(again.err()).contains("--partition cannot be used with --group");
  }
}
