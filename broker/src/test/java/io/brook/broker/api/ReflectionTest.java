package io.brook.broker.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import io.brook.broker.TestNode;
import io.grpc.stub.StreamObserver;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * gRPC server reflection, both versions tools ask: v1 and v1alpha (grpcurl before 1.9, Postman,
 * grpc_cli, many language tools). Each lists Brook's services and serves their descriptors.
 * Before issue 12 the node served v1 only: the v1alpha call ended UNIMPLEMENTED.
 */
@Timeout(120)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ReflectionTest {
  private static final List<String> BROOK_SERVICES = List.of("brook.v1.BrokerService", "brook.v1.AdminService",
      "brook.v1.GroupService");
  private TestNode node;

  @BeforeAll
  void start(@TempDir Path dir) throws Exception {
    node = TestNode.start(dir, Map.of());
  }

  @AfterAll
  void stop() {
    node.close();
  }

  @Test
  void v1ListsBrookServicesAndServesTheirFiles() throws Exception {
    var stub = io.grpc.reflection.v1.ServerReflectionGrpc.newStub(node.channel).withDeadlineAfter(30, TimeUnit.SECONDS);
    CompletableFuture<List<io.grpc.reflection.v1.ServerReflectionResponse>> answers = new CompletableFuture<>();
    List<io.grpc.reflection.v1.ServerReflectionResponse> got = new ArrayList<>();
    StreamObserver<io.grpc.reflection.v1.ServerReflectionRequest> requests = stub.serverReflectionInfo(new StreamObserver<>() {
      @Override public void onNext(io.grpc.reflection.v1.ServerReflectionResponse r) {
        got.add(r);
      }

      @Override public void onError(Throwable t) {
        answers.completeExceptionally(t);
      }

      @Override public void onCompleted() {
        answers.complete(got);
      }
    });
    requests.onNext(io.grpc.reflection.v1.ServerReflectionRequest.newBuilder().setListServices("*").build());
    requests.onNext(io.grpc.reflection.v1.ServerReflectionRequest.newBuilder()
        .setFileContainingSymbol("brook.v1.BrokerService").build());
    requests.onCompleted();
    List<io.grpc.reflection.v1.ServerReflectionResponse> r = answers.get(30, TimeUnit.SECONDS);
    assertThat(r).hasSize(2);
    assertThat(r.get(0).getListServicesResponse().getServiceList())
        .extracting(io.grpc.reflection.v1.ServiceResponse::getName).containsAll(BROOK_SERVICES);
    assertThat(fileNames(r.get(1).getFileDescriptorResponse().getFileDescriptorProtoList()))
        .contains("brook/v1/broker.proto", "brook/common/v1/errors.proto");
  }

  @Test
  void v1alphaListsBrookServicesAndServesTheirFiles() throws Exception {
    var stub = io.grpc.reflection.v1alpha.ServerReflectionGrpc.newStub(node.channel).withDeadlineAfter(30, TimeUnit.SECONDS);
    CompletableFuture<List<io.grpc.reflection.v1alpha.ServerReflectionResponse>> answers = new CompletableFuture<>();
    List<io.grpc.reflection.v1alpha.ServerReflectionResponse> got = new ArrayList<>();
    StreamObserver<io.grpc.reflection.v1alpha.ServerReflectionRequest> requests = stub.serverReflectionInfo(new StreamObserver<>() {
      @Override public void onNext(io.grpc.reflection.v1alpha.ServerReflectionResponse r) {
        got.add(r);
      }

      @Override public void onError(Throwable t) {
        answers.completeExceptionally(t);
      }

      @Override public void onCompleted() {
        answers.complete(got);
      }
    });
    requests.onNext(io.grpc.reflection.v1alpha.ServerReflectionRequest.newBuilder().setListServices("*").build());
    requests.onNext(io.grpc.reflection.v1alpha.ServerReflectionRequest.newBuilder()
        .setFileContainingSymbol("brook.v1.BrokerService").build());
    requests.onCompleted();
    List<io.grpc.reflection.v1alpha.ServerReflectionResponse> r = answers.get(30, TimeUnit.SECONDS);
    assertThat(r).hasSize(2);
    assertThat(r.get(0).getListServicesResponse().getServiceList())
        .extracting(io.grpc.reflection.v1alpha.ServiceResponse::getName).containsAll(BROOK_SERVICES);
    assertThat(fileNames(r.get(1).getFileDescriptorResponse().getFileDescriptorProtoList()))
        .contains("brook/v1/broker.proto", "brook/common/v1/errors.proto");
  }

  private static List<String> fileNames(List<com.google.protobuf.ByteString> files) throws Exception {
    List<String> names = new ArrayList<>();
    for (com.google.protobuf.ByteString f : files) {
      names.add(FileDescriptorProto.parseFrom(f).getName());
    }
    return names;
  }
}
