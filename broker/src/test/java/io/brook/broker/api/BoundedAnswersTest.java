package io.brook.broker.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.Any;
import io.brook.broker.RawGrpc;
import io.brook.proto.common.v1.ErrorCode;
import io.brook.proto.common.v1.ErrorDetail;
import io.brook.proto.errors.WireErrors;
import io.brook.proto.v1.BrokerServiceGrpc;
import io.brook.proto.v1.FetchRequest;
import io.brook.proto.v1.FetchResponse;
import io.brook.proto.v1.MetadataRequest;
import io.brook.proto.v1.MetadataResponse;
import io.brook.proto.v1.ProduceRequest;
import io.brook.proto.v1.ProduceResponse;
import io.brook.proto.v1.TopicMetadata;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.StreamObserver;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link BoundedAnswers} and {@link WireErrors}' bounds, against a service that builds oversized
 * answers on purpose, over a real HTTP/2 connection whose client keeps grpc-java's default limits
 * (8 KiB of trailers): a status with a 100 KiB description or detail arrives cut down with its code
 * and detail intact, not as a transport error; a response larger than the limit becomes a clear
 * INVALID_REQUEST.
 */
@Timeout(60)
class BoundedAnswersTest {
  private static final int LIMIT = 1024 * 1024;
  private Server server;
  private ManagedChannel channel;

  /** Misbehaves on purpose: statuses and answers far larger than a client takes. */
  private static final class Oversized extends BrokerServiceGrpc.BrokerServiceImplBase {
    @Override
    public void produce(ProduceRequest req, StreamObserver<ProduceResponse> out) {
      String huge = "é".repeat(50_000); // 100 KB of UTF-8, 300 KB percent-encoded
      ErrorDetail detail = ErrorDetail.newBuilder().setCode(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
          .setMessage("topic '" + huge + "' does not exist").setLeaderHint(huge).build();
      if (req.getPartition() == 0) { // built by hand, bypassing WireErrors
        out.onError(StatusProto.toStatusRuntimeException(com.google.rpc.Status.newBuilder()
            .setCode(Status.Code.NOT_FOUND.value()).setMessage("NOT_FOUND: " + huge).addDetails(Any.pack(detail)).build()));
      } else { // through WireErrors, which bounds at the source
        out.onError(WireErrors.toStatus(detail));
      }
    }

    @Override
    public void metadata(MetadataRequest req, StreamObserver<MetadataResponse> out) {
      MetadataResponse.Builder b = MetadataResponse.newBuilder();
      for (int i = 0; i < req.getTopicsCount(); i++) {
        b.addTopics(TopicMetadata.newBuilder().setName(req.getTopics(i)));
      }
      out.onNext(b.build());
      out.onCompleted();
    }

    @Override
    public void fetch(FetchRequest req, StreamObserver<FetchResponse> out) {
      out.onError(Status.FAILED_PRECONDITION.withDescription("x".repeat(200_000)).asRuntimeException());
    }
  }

  @BeforeEach
  void start() throws Exception {
    server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
        .intercept(new BoundedAnswers(LIMIT)).addService(new Oversized()).build().start();
    channel = NettyChannelBuilder.forAddress("127.0.0.1", server.getPort()).usePlaintext()
        .maxInboundMessageSize(16 * LIMIT).build(); // default 8 KiB of metadata
  }

  @AfterEach
  void stop() {
    channel.shutdownNow();
    server.shutdownNow();
  }

  private BrokerServiceGrpc.BrokerServiceBlockingStub stub() {
    return BrokerServiceGrpc.newBlockingStub(channel).withDeadlineAfter(20, TimeUnit.SECONDS);
  }

  @Test
  void oversizedStatusesArriveCutDownWithTheirCodeAndDetail() {
    for (int partition : new int[] {0, 1}) {
      assertThatThrownBy(() -> stub().produce(ProduceRequest.newBuilder().setPartition(partition).build()))
          .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
            assertThat(e.getStatus().getCode()).as("%s", e).isEqualTo(Status.Code.NOT_FOUND);
            ErrorDetail d = RawGrpc.detail(e).orElseThrow();
            assertThat(d.getCode()).isEqualTo(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
            assertThat(d.getMessage()).startsWith("topic 'éé").endsWith("characters in all]");
            assertThat(d.getMessage().getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(WireErrors.MAX_MESSAGE_BYTES);
            assertThat(d.getLeaderHint().getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(WireErrors.MAX_LEADER_HINT_BYTES);
            assertThat(e.getStatus().getDescription().getBytes(StandardCharsets.UTF_8).length)
                .isLessThanOrEqualTo(WireErrors.MAX_MESSAGE_BYTES);
          });
    }
  }

  @Test
  void aStatusWithoutDetailIsCutToo() {
    assertThatThrownBy(() -> stub().fetch(FetchRequest.getDefaultInstance()))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
          assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
          assertThat(e.getStatus().getDescription()).startsWith("xxxx").hasSizeLessThanOrEqualTo(WireErrors.MAX_MESSAGE_BYTES);
        });
  }

  @Test
  void anAnswerAboveTheLimitBecomesAClearRefusal() {
    MetadataRequest.Builder small = MetadataRequest.newBuilder();
    for (int i = 0; i < 100; i++) {
      small.addTopics("t" + i);
    }
    assertThat(stub().metadata(small.build()).getTopicsCount()).isEqualTo(100);
    MetadataRequest.Builder big = MetadataRequest.newBuilder();
    for (int i = 0; i < 6000; i++) {
      big.addTopics("t".repeat(200) + i);
    }
    assertThatThrownBy(() -> stub().metadata(big.build())).isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
      assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
      ErrorDetail d = RawGrpc.detail(e).orElseThrow();
      assertThat(d.getCode()).isEqualTo(ErrorCode.INVALID_REQUEST);
      assertThat(d.getMessage()).contains("brook.v1.BrokerService/Metadata would be").contains("more than the " + LIMIT);
    });
  }

  @Test
  void echoCutsRequestFieldsAndEscapesControlCharacters() {
    assertThat(WireErrors.echo("a\nb")).isEqualTo("'a\\x0ab'");
    assertThat(WireErrors.echo("n".repeat(2714))).isEqualTo("'" + "n".repeat(64) + "'... (2714 characters)");
    assertThat(WireErrors.echo("x".repeat(63) + "\uD83D\uDE00" + "y")).doesNotContain("\uD83D'"); // no half pair
    assertThat(WireErrors.truncate("short", 10)).isEqualTo("short");
    String cut = WireErrors.truncate("€".repeat(1000), 100);
    assertThat(cut.getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(100);
    assertThat(cut).endsWith("[cut, 1000 characters in all]");
  }
}
