package io.brook.clients.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.brook.clients.testing.FakeBrook;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;

/**
 * The console tools' failure paths and output against {@link FakeBrook}, a closed port, an HTTP
 * server and a gRPC server without Brook's services: one clear line and the right exit code.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ConsoleToolsTest {
  private FakeBrook fake;

  private static final Pattern LOG_LINE = Pattern.compile("\\d\\d:\\d\\d:\\d\\d\\.\\d{3} \\[");

  record Result(int exit, String out, String err, long millis) {}

  private static ch.qos.logback.classic.Level savedLevel;

  /** Client DEBUG logs (gRPC frames, stack traces) go to stdout, where the records are: keep them out. */
  @BeforeAll
  static void quietLogs() {
    ch.qos.logback.classic.Logger root = (ch.qos.logback.classic.Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    savedLevel = root.getLevel();
    root.setLevel(ch.qos.logback.classic.Level.WARN);
  }

  @AfterAll
  static void restoreLogs() {
    ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).setLevel(savedLevel);
  }

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

  /** Runs a command as the launcher does (errors: one "error:" line, exit 1), stdout captured too. */
  private static Result run(Object command, String bootstrap, String... args) {
    // System.out is replaced before the CommandLine is built: picocli's out follows System.out
    // when it changes after construction.
    PrintStream saved = System.out;
    ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    System.setOut(new PrintStream(stdout, true, StandardCharsets.UTF_8));
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    long t0 = System.nanoTime();
    int exit;
    try {
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
      all[args.length + 1] = bootstrap;
      exit = cl.execute(all);
    } finally {
      System.setOut(saved);
    }
    // Logback (no test config here) logs to stdout too: its lines start with a time and a thread.
    String records = stdout.toString(StandardCharsets.UTF_8).lines().filter(l -> !LOG_LINE.matcher(l).lookingAt())
        .map(l -> l + "\n").collect(Collectors.joining());
    return new Result(exit, out + records, err.toString(), (System.nanoTime() - t0) / 1_000_000);
  }

  private static ProduceCommand produce(String stdin) {
    ProduceCommand c = new ProduceCommand();
    c.in = new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8));
    c.interactive = false;
    return c;
  }

  private static int closedPort() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  // ------------------------------------------------------------------ item 1: fail fast

  @Test
  void everyToolFailsFastWithOneLineWhenNothingListens() throws Exception {
    String address = "127.0.0.1:" + closedPort();
    String expected = "error: cannot reach a Brook broker at " + address + " (connection refused)";
    List<Callable<Result>> runs = List.of(
        () -> run(new TopicsCommand(), address, "list"),
        () -> run(new TopicsCommand(), address, "create", "x"),
        () -> run(new TopicsCommand(), address, "describe", "x"),
        () -> run(produce("1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n"), address, "t"),
        () -> run(new ConsumeCommand(), address, "t", "--max-messages", "1"),
        () -> run(new OffsetsCommand(), address, "t"));
    for (Callable<Result> c : runs) {
      Result r = c.call();
      assertThat(r.exit()).as(r.err()).isEqualTo(1);
      assertThat(r.err().lines().filter(l -> l.startsWith("error:")).toList()).containsExactly(expected);
      assertThat(r.millis()).as("took %d ms", r.millis()).isLessThan(5_000);
    }
  }

  @Test
  void anHttpServerIsNamedAsNotABrookClientPort() throws Exception {
    HttpServer http = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    http.start();
    try {
      String address = "127.0.0.1:" + http.getAddress().getPort();
      Result r = run(new TopicsCommand(), address, "list", "--request-timeout-ms", "3000");
      assertThat(r.exit()).isEqualTo(1);
      assertThat(r.err().strip().lines()).hasSize(1);
      assertThat(r.err()).startsWith("error: " + address + " is not a Brook client port (it answered HTTP/1.1 404")
          .doesNotContain("Exception").doesNotContain("netty");
    } finally {
      http.stop(0);
    }
  }

  @Test
  void aGrpcServerWithoutBrookServicesIsNamedAsNotABrookClientPort() throws Exception {
    Server other = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)).build().start();
    try {
      String address = "127.0.0.1:" + other.getPort();
      Result r = run(new TopicsCommand(), address, "list");
      assertThat(r.exit()).isEqualTo(1);
      assertThat(r.err().strip()).startsWith("error: " + address + " is not a Brook client port (it is a gRPC server without Brook's client API");
    } finally {
      other.shutdownNow();
    }
  }

  @Test
  void aSecondBootstrapServerIsUsedWhenTheFirstIsDown() throws Exception {
    Result r = run(new OffsetsCommand(), "127.0.0.1:" + closedPort() + "," + fake.address(), "t");
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.out()).isEqualTo("t:0:10\nt:1:10\n");
  }

  // ------------------------------------------------------------------ item 2: refuse bad input

  @Test
  void badCountsAndTimeoutsAreUsageErrorsBeforeAnythingIsContacted() throws Exception {
    String address = "127.0.0.1:" + closedPort(); // exit 2, not 1: refused before connecting
    List<Callable<Result>> runs = List.of(
        () -> run(new TopicsCommand(), address, "create", "x", "--partitions", "0"),
        () -> run(new TopicsCommand(), address, "create", "x", "--partitions", "-3"),
        () -> run(new TopicsCommand(), address, "create", "x", "--replication-factor", "0"),
        () -> run(new TopicsCommand(), address, "create", "x", "-r", "-1"),
        () -> run(new TopicsCommand(), address, "alter", "x", "--partitions", "0"),
        () -> run(new TopicsCommand(), address, "list", "--request-timeout-ms", "-1"),
        () -> run(new TopicsCommand(), address, "create", "--request-timeout-ms", "0", "x"),
        () -> run(new ConsumeCommand(), address, "t", "--max-messages", "-1"),
        () -> run(new ConsumeCommand(), address, "t", "--max-messages", "0"),
        () -> run(new ConsumeCommand(), address, "t", "--timeout-ms", "-1"),
        () -> run(new ConsumeCommand(), address, "t", "--partition", "0", "--offset", "-5"),
        () -> run(new ConsumeCommand(), address, "t", "--request-timeout-ms", "-1"),
        () -> run(new ConsumeCommand(), address, "t", "--format", "%q"),
        () -> run(produce(""), address, "t", "--request-timeout-ms", "-1"),
        () -> run(produce(""), address, "t", "--partition", "-1"),
        () -> run(produce(""), address, "t", "--producer-property", "no.such=1"),
        () -> run(new OffsetsCommand(), address, "t", "--time", "yesterday"),
        () -> run(new OffsetsCommand(), address, "t", "--request-timeout-ms", "-1"));
    for (Callable<Result> c : runs) {
      Result r = c.call();
      assertThat(r.exit()).as(r.err()).isEqualTo(2);
      assertThat(r.err()).doesNotContain("cannot reach");
    }
  }

  @Test
  void anOffsetOutsideTheLogSaysTheValidRange() {
    Result past = run(new ConsumeCommand(), fake.address(), "t", "--partition", "0", "--offset", "999", "--max-messages", "1");
    assertThat(past.exit()).isEqualTo(1);
    assertThat(past.err()).contains("error: offset 999 is out of range for t-0: valid offsets are [2, 10]");
    Result before = run(new ConsumeCommand(), fake.address(), "t", "--partition", "0", "--offset", "1", "--max-messages", "1");
    assertThat(before.exit()).isEqualTo(1);
    assertThat(before.err()).contains("error: offset 1 is out of range for t-0: valid offsets are [2, 10]");
  }

  @Test
  void anExplicitAutoOffsetResetIsFollowedForAnOffsetOutOfRange() {
    Result r = run(new ConsumeCommand(), fake.address(), "t", "--partition", "0", "--offset", "999",
        "--auto-offset-reset", "earliest", "--max-messages", "2", "--print-offset");
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.out()).isEqualTo("Offset:2\tt-0-2\nOffset:3\tt-0-3\n");
  }

  // ------------------------------------------------------------------ item 5: consume output

  @Test
  void printFlagsFollowKafkasConsoleConsumerLayoutAndASummaryEndsTheRun() {
    Result r = run(new ConsumeCommand(), fake.address(), "t", "--partition", "1", "--offset", "3", "--max-messages", "2",
        "--print-timestamp", "--print-partition", "--print-offset", "--print-headers", "--print-key");
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.out()).isEqualTo(
        "CreateTime:" + FakeBrook.timestampOf(3) + "\tPartition:1\tOffset:3\tNO_HEADERS\tnull\tt-1-3\n"
            + "CreateTime:" + FakeBrook.timestampOf(4) + "\tPartition:1\tOffset:4\tNO_HEADERS\tnull\tt-1-4\n");
    assertThat(r.err()).isEqualTo("Processed a total of 2 messages" + System.lineSeparator());
  }

  @Test
  void propertiesAreAliasesOfThePrintFlags() {
    Result r = run(new ConsumeCommand(), fake.address(), "t", "--partition", "1", "--offset", "earliest", "--max-messages", "1",
        "--property", "print.offset=true", "--property", "print.key=true", "--property", "key.separator= | ");
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.out()).isEqualTo("Offset:0 | null | t-1-0\n");
  }

  @Test
  void aFormatTemplatePrintsThePlaceholders() {
    Result r = run(new ConsumeCommand(), fake.address(), "t", "--partition", "0", "--offset", "latest", "--timeout-ms", "300",
        "--format", "%t/%p:%o %k=%v");
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.out()).isEmpty(); // at the end: nothing new
    Result f = run(new ConsumeCommand(), fake.address(), "t", "--partition", "0", "--offset", "5", "--max-messages", "1",
        "--format", "%t/%p:%o %k=%v (%V bytes, %T) 100%%");
    assertThat(f.out()).isEqualTo("t/0:5 null=t-0-5 (5 bytes, " + FakeBrook.timestampOf(5) + ") 100%\n");
  }

  @Test
  void fromTimestampStartsAtTheFirstRecordAtOrAfterIt() {
    String iso = java.time.Instant.ofEpochMilli(FakeBrook.timestampOf(7) - 500).toString();
    Result r = run(new ConsumeCommand(), fake.address(), "t", "--partition", "0", "--from-timestamp", iso, "--max-messages", "1",
        "--print-offset");
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.out()).isEqualTo("Offset:7\tt-0-7\n");
  }

  @Test
  void aMissingPartitionIsOneLine() {
    Result r = run(new ConsumeCommand(), fake.address(), "t", "--partition", "5", "--max-messages", "1");
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.err()).contains("error: topic 't' has no partition 5");
  }

  // ------------------------------------------------------------------ item 6: offsets

  @Test
  void offsetsPrintsKafkaGetOffsetsLines() {
    assertThat(run(new OffsetsCommand(), fake.address(), "t").out()).isEqualTo("t:0:10\nt:1:10\n");
    assertThat(run(new OffsetsCommand(), fake.address(), "t", "--time", "earliest").out()).isEqualTo("t:0:2\nt:1:0\n");
    assertThat(run(new OffsetsCommand(), fake.address(), "--topic", "t", "--time", "-2", "--partitions", "1").out())
        .isEqualTo("t:1:0\n");
    assertThat(run(new OffsetsCommand(), fake.address(), "t", "--time", Long.toString(FakeBrook.timestampOf(4))).out())
        .isEqualTo("t:0:4\nt:1:4\n");
    assertThat(run(new OffsetsCommand(), fake.address(), "t", "--time", Long.toString(FakeBrook.timestampOf(99))).out())
        .isEqualTo("t:0:\nt:1:\n");
    assertThat(run(new OffsetsCommand(), fake.address(), "t", "--time", "earliest", "--output", "json").out())
        .isEqualTo("[{\"topic\":\"t\",\"partition\":0,\"offset\":2},{\"topic\":\"t\",\"partition\":1,\"offset\":0}]\n");
    Result missing = run(new OffsetsCommand(), fake.address(), "nope");
    assertThat(missing.exit()).isEqualTo(1);
    assertThat(missing.err()).contains("nope");
  }

  // ------------------------------------------------------------------ item 7: help

  @Test
  void everyOptionAndParameterHasHelpText() {
    for (Object command : List.of(new TopicsCommand(), new ProduceCommand(), new ConsumeCommand(), new OffsetsCommand())) {
      CommandLine cl = new CommandLine(command);
      List<CommandLine> all = new java.util.ArrayList<>(List.of(cl));
      all.addAll(cl.getSubcommands().values());
      for (CommandLine c : all) {
        c.getCommandSpec().options().forEach(o -> assertThat(String.join("", o.description()))
            .as(c.getCommandName() + " " + o.longestName()).isNotBlank());
        c.getCommandSpec().positionalParameters().forEach(p -> assertThat(String.join("", p.description()))
            .as(c.getCommandName() + " " + p.paramLabel()).isNotBlank());
        StringWriter usage = new StringWriter();
        c.usage(new PrintWriter(usage)); // throws on a bad format specifier in a description
        assertThat(usage.toString()).isNotBlank();
      }
    }
  }
}
