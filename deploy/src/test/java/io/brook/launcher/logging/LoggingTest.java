package io.brook.launcher.logging;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ConnectException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The launcher's logback.xml and {@link Logging}, through the real logger context, stderr captured. */
class LoggingTest {
  private final ByteArrayOutputStream captured = new ByteArrayOutputStream();
  private PrintStream originalErr;

  @BeforeEach
  void captureStderr() {
    originalErr = System.err;
    System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
    Logging.installJulBridge();
  }

  @AfterEach
  void restore() {
    Logging.configure(0, "text");
    System.setErr(originalErr);
  }

  private List<String> lines() {
    System.err.flush();
    return Arrays.stream(captured.toString(StandardCharsets.UTF_8).split("\n")).filter(l -> !l.isBlank()).toList();
  }

  private static Exception peerGone() {
    return new ExecutionException(new IOException("UNAVAILABLE: io exception", new ConnectException("Connection refused")));
  }

  @Test
  void textWarnWithExceptionIsOneLineWithNodeIdAndCause() {
    Logging.configure(3, "text");
    Logger log = LoggerFactory.getLogger("org.apache.ratis.server.impl.LeaderElection");
    log.warn("4@group-1-LeaderElection: Failed requestVote to 5", peerGone());

    List<String> lines = lines();
    assertThat(lines).hasSize(1);
    assertThat(lines.get(0))
        .contains(" WARN  node=3 [")
        .contains("LeaderElection - 4@group-1-LeaderElection: Failed requestVote to 5")
        .endsWith("(cause: ExecutionException: java.io.IOException: UNAVAILABLE: io exception <- ConnectException: Connection refused)");
  }

  /** A voter going away: Ratis's per-retry appender warnings are dropped (Brook logs one WARN itself). */
  @Test
  void ratisPerRetryAppenderWarningsAreDropped() {
    Logging.configure(3, "text");
    LoggerFactory.getLogger("org.apache.ratis.grpc.server.GrpcLogAppender")
        .warn("4@group-1->5-GrpcLogAppender: Failed appendEntries", peerGone());
    LoggerFactory.getLogger("org.apache.ratis.grpc.server.GrpcServerProtocolService").warn("cancelled");
    assertThat(lines()).isEmpty();
  }

  @Test
  void textErrorKeepsTheStackTrace() {
    Logging.configure(3, "text");
    LoggerFactory.getLogger("io.brook.test").error("broken invariant", new IllegalStateException("bad"));

    String out = String.join("\n", lines());
    assertThat(out).contains("ERROR node=3").contains("java.lang.IllegalStateException: bad").contains("\tat ");
  }

  @Test
  void multiLineMessagesStayOnOneLine() {
    Logging.configure(3, "text");
    LoggerFactory.getLogger("io.brook.test").warn("first\nsecond\r\nthird");

    assertThat(lines()).singleElement().asString().endsWith("io.brook.test - first second third");
  }

  @Test
  void causeChainsInsideMessagesReadLikeOurs() {
    Logging.configure(3, "text");
    LoggerFactory.getLogger("org.apache.ratis.server.impl.LeaderElection")
        .warn("Failed appendEntries: StatusRuntimeException: UNAVAILABLE\nCaused by: java.net.ConnectException: refused");

    assertThat(lines()).singleElement().asString()
        .endsWith("Failed appendEntries: StatusRuntimeException: UNAVAILABLE <- java.net.ConnectException: refused");
  }

  @Test
  void julRecordsGoThroughTheLayout() {
    Logging.configure(3, "text");
    java.util.logging.Logger.getLogger("io.grpc.internal.Test").warning("stream closed");
    java.util.logging.Logger.getLogger("io.grpc.internal.Test").info("below WARN: dropped");

    assertThat(lines()).singleElement().asString().contains("WARN  node=3").endsWith("io.grpc.internal.Test - stream closed");
  }

  @Test
  void jsonIsOneObjectPerLineWithNodeIdAndFramesOnlyForErrors() {
    Logging.configure(2, "json");
    Logger log = LoggerFactory.getLogger("io.brook.test");
    log.warn("peer \"5\" went away\nretrying", peerGone());
    log.error("broken invariant", new IllegalStateException("bad"));

    List<String> lines = lines();
    assertThat(lines).hasSize(2);
    JsonObject warn = JsonParser.parseString(lines.get(0)).getAsJsonObject();
    assertThat(warn.get("nodeId").getAsString()).isEqualTo("2");
    assertThat(warn.get("level").getAsString()).isEqualTo("WARN");
    assertThat(warn.get("formattedMessage").getAsString()).isEqualTo("peer \"5\" went away\nretrying");
    JsonObject thrown = warn.getAsJsonObject("throwable");
    assertThat(thrown.get("className").getAsString()).isEqualTo(ExecutionException.class.getName());
    assertThat(thrown.getAsJsonArray("stepArray")).isEmpty();
    assertThat(thrown.getAsJsonObject("cause").get("message").getAsString()).isEqualTo("UNAVAILABLE: io exception");

    JsonObject error = JsonParser.parseString(lines.get(1)).getAsJsonObject();
    assertThat(error.get("nodeId").getAsString()).isEqualTo("2");
    assertThat(error.getAsJsonObject("throwable").getAsJsonArray("stepArray")).isNotEmpty();
  }

  @Test
  void unknownFormatIsRejected() {
    assertThatThrownBy(() -> Logging.configure(1, "xml"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("log.format must be text or json");
  }
}
