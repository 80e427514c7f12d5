package io.brook.metadata.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.brook.metadata.config.HostPort;
import io.brook.metadata.time.Time;
import io.brook.proto.common.v1.ErrorCode;
import io.brook.proto.errors.BrookException;
import io.brook.proto.errors.WireErrors;
import io.brook.proto.metadata.v1.BrokerHeartbeatRequest;
import io.brook.proto.metadata.v1.BrokerHeartbeatResponse;
import io.brook.proto.metadata.v1.ControllerServiceGrpc;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link ControllerCaller} against real gRPC servers on loopback, where the active controller's
 * advertised address (the NOT_CONTROLLER hint every other voter gives) cannot be reached from the
 * caller but its configured endpoint can: the case of a combined node behind NAT that cannot reach
 * its own published port, which kept it from ever registering in the compose cluster.
 */
@Timeout(60)
class ControllerCallerTest {
    private static final BrokerHeartbeatResponse OK = BrokerHeartbeatResponse.newBuilder().setCaughtUp(true).build();

    private final List<AutoCloseable> closeables = new ArrayList<>();

    @AfterEach
    void tearDown() throws Exception {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
    }

    @Test
    void aHintToAnAddressThatRefusesConnectionsDoesNotHideTheControllersConfiguredEndpoint() throws Exception {
        int refused;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            refused = s.getLocalPort(); // closed again: connecting is refused
        }
        assertCallReachesController(new HostPort("127.0.0.1", refused));
    }

    @Test
    void aHintToAnAddressThatNeverCompletesTheHandshakeDoesNotHideTheControllersConfiguredEndpoint() throws Exception {
        // Accepts TCP connections into its backlog but never speaks HTTP/2: the call times out
        // with the channel still connecting, as a SYN into a NAT without hairpin does.
        ServerSocket blackhole = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        closeables.add(blackhole);
        assertCallReachesController(new HostPort("127.0.0.1", blackhole.getLocalPort()));
    }

    @Test
    void aControllerSetAsideEarlierIsTriedAgainWhenEveryOtherVoterNamesIt() throws Exception {
        // A voter that was down (and so set aside) restarts within the set-aside time and wins the
        // election: the others all name it, and the call must reach it instead of timing out.
        AtomicInteger controllerCalls = new AtomicInteger();
        HostPort controller = serve(new ControllerServiceGrpc.ControllerServiceImplBase() {
            @Override
            public void brokerHeartbeat(BrokerHeartbeatRequest request, StreamObserver<BrokerHeartbeatResponse> out) {
                controllerCalls.incrementAndGet();
                out.onNext(OK);
                out.onCompleted();
            }
        });
        HostPort follower = serve(new ControllerServiceGrpc.ControllerServiceImplBase() {
            @Override
            public void brokerHeartbeat(BrokerHeartbeatRequest request, StreamObserver<BrokerHeartbeatResponse> out) {
                out.onError(WireErrors.toStatus(new BrookException(ErrorCode.NOT_CONTROLLER,
                        "not the active controller", 1, controller.host() + ":" + controller.port())));
            }
        });
        ControllerEndpoints endpoints = new ControllerEndpoints(List.of(follower, controller));
        closeables.add(endpoints);
        endpoints.markUnreachable(controller, Time.SYSTEM.monotonicMs());
        ControllerCaller caller = new ControllerCaller(endpoints, Time.SYSTEM, 6_000, 10, 100);

        BrokerHeartbeatResponse response = caller.call("BrokerHeartbeat",
                stub -> stub.brokerHeartbeat(BrokerHeartbeatRequest.newBuilder().setBrokerId(3).build()));

        assertThat(response).isEqualTo(OK);
        assertThat(controllerCalls).hasValue(1);
        assertThat(endpoints.unreachable(controller, Time.SYSTEM.monotonicMs())).isFalse();
    }

    private void assertCallReachesController(HostPort unreachableAlias) throws IOException {
        AtomicInteger followerCalls = new AtomicInteger();
        AtomicInteger controllerCalls = new AtomicInteger();
        HostPort follower = serve(new ControllerServiceGrpc.ControllerServiceImplBase() {
            @Override
            public void brokerHeartbeat(BrokerHeartbeatRequest request, StreamObserver<BrokerHeartbeatResponse> out) {
                followerCalls.incrementAndGet();
                out.onError(WireErrors.toStatus(new BrookException(ErrorCode.NOT_CONTROLLER,
                        "not the active controller", 2, unreachableAlias.host() + ":" + unreachableAlias.port())));
            }
        });
        HostPort controller = serve(new ControllerServiceGrpc.ControllerServiceImplBase() {
            @Override
            public void brokerHeartbeat(BrokerHeartbeatRequest request, StreamObserver<BrokerHeartbeatResponse> out) {
                controllerCalls.incrementAndGet();
                out.onNext(OK);
                out.onCompleted();
            }
        });
        ControllerEndpoints endpoints = new ControllerEndpoints(List.of(follower, controller));
        closeables.add(endpoints);
        ControllerCaller caller = new ControllerCaller(endpoints, Time.SYSTEM, 6_000, 10, 100);

        BrokerHeartbeatResponse first = caller.call("BrokerHeartbeat",
                stub -> stub.brokerHeartbeat(BrokerHeartbeatRequest.newBuilder().setBrokerId(2).build()));

        assertThat(first).isEqualTo(OK);
        assertThat(controllerCalls).hasValue(1);
        assertThat(endpoints.unreachable(unreachableAlias, Time.SYSTEM.monotonicMs()))
                .as("the hinted address that could not be reached is set aside").isTrue();
        assertThat(endpoints.unreachable(controller, Time.SYSTEM.monotonicMs())).isFalse();

        int followerCallsBefore = followerCalls.get();
        caller.call("BrokerHeartbeat", stub -> stub.brokerHeartbeat(BrokerHeartbeatRequest.getDefaultInstance()));
        assertThat(controllerCalls).as("the next call goes straight to the controller").hasValue(2);
        assertThat(followerCalls).hasValue(followerCallsBefore);
    }

    private HostPort serve(ControllerServiceGrpc.ControllerServiceImplBase service) throws IOException {
        Server server = NettyServerBuilder.forAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
                .addService(service).build().start();
        closeables.add(() -> server.shutdownNow().awaitTermination());
        return new HostPort("127.0.0.1", server.getPort());
    }
}
