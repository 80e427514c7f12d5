package io.brook.storage.testing;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Free TCP ports on 127.0.0.1 for tests that must name a port before the server binds it.
 *
 * <p>Ports come from below the kernel's ephemeral range ({@code net.ipv4.ip_local_port_range},
 * 32768-60999 on Linux by default). A port the kernel hands out for {@code bind(0)} lies inside that
 * range, where any outgoing connection made meanwhile (a gRPC client, a Raft peer) may take it as its
 * local port before the test's server binds it, failing the start with "Failed to bind". Below the
 * range only explicit binds compete. A port is handed out once per JVM.
 */
public final class FreePorts {
    private static final int LOW = 10_000;
    private static final int HIGH = 32_000; // below the default ephemeral range
    private static final Set<Integer> GIVEN = ConcurrentHashMap.newKeySet();

    private FreePorts() {
    }

    /**
     * A port that was free a moment ago and was not handed out before in this JVM.
     *
     * @throws IllegalStateException when none of 1000 random tries was free
     */
    public static int next() {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        for (int attempt = 0; attempt < 1000; attempt++) {
            int port = random.nextInt(LOW, HIGH);
            if (!GIVEN.add(port)) {
                continue;
            }
            try (ServerSocket s = new ServerSocket()) {
                s.setReuseAddress(true);
                s.bind(new InetSocketAddress("127.0.0.1", port));
                return port;
            } catch (IOException inUse) {
                // try another
            }
        }
        throw new IllegalStateException("no free port in [" + LOW + ", " + HIGH + ") after 1000 tries");
    }
}
