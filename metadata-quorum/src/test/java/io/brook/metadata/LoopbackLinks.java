package io.brook.metadata;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A network between in-process voters that a test can partition: for every ordered pair of nodes
 * (from, to) a loopback TCP forwarder on its own port, so that node {@code from} reaches node
 * {@code to}'s Raft port only through link (from, to). Each node is configured with its own view
 * of the voters (its own real port, the link ports for the others; see
 * {@link TestCluster#withLinks()}); Ratis keeps, per peer id, the address it first connected
 * with, so every connection a node opens to a peer stays on that node's link.
 *
 * <p>{@link #cut} isolates one node in both directions, in one of two ways:
 * <ul>
 *   <li>{@link Cut#DROP}: every open connection is closed and new ones are accepted and closed at
 *       once (the peer sees resets and refused streams, like a crashed link or a REJECT rule);</li>
 *   <li>{@link Cut#BLACKHOLE}: bytes stop moving, connections stay open and new ones wait
 *       (like an iptables DROP rule: silence); on {@link #heal} what was held is delivered.</li>
 * </ul>
 *
 * <p>Traffic only to 127.0.0.1. Threads are daemons; {@link #close} stops them all.
 * Thread-safe.
 */
public final class LoopbackLinks implements AutoCloseable {
    /** How {@link #cut} breaks a node's links. */
    public enum Cut { DROP, BLACKHOLE }

    private final Map<List<Integer>, Link> links = new LinkedHashMap<>();

    /** @param targetPorts node id to that node's real Raft port */
    public LoopbackLinks(Map<Integer, Integer> targetPorts) {
        for (int from : targetPorts.keySet()) {
            for (Map.Entry<Integer, Integer> to : targetPorts.entrySet()) {
                if (to.getKey() != from) {
                    links.put(List.of(from, to.getKey()), new Link(from, to.getKey(), to.getValue()));
                }
            }
        }
    }

    /** The port node {@code from} dials to reach node {@code to}. */
    public int port(int from, int to) {
        return links.get(List.of(from, to)).listenPort();
    }

    /** Breaks every link from and to {@code node}. */
    public void cut(int node, Cut how) {
        for (Link l : links.values()) {
            if (l.from == node || l.to == node) {
                l.cut(how);
            }
        }
    }

    /** Restores every link from and to {@code node}. */
    public void heal(int node) {
        for (Link l : links.values()) {
            if (l.from == node || l.to == node) {
                l.heal();
            }
        }
    }

    @Override
    public void close() {
        links.values().forEach(Link::close);
    }

    private static final class Link {
        final int from;
        final int to;
        final int targetPort;
        final ServerSocket server;
        final Set<Pipe> pipes = ConcurrentHashMap.newKeySet();
        final Object gate = new Object();
        volatile Cut cut; // null while open
        volatile boolean closed;

        Link(int from, int to, int targetPort) {
            this.from = from;
            this.to = to;
            this.targetPort = targetPort;
            try {
                server = new ServerSocket();
                server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            Thread t = new Thread(this::acceptLoop, "link-" + from + "->" + to);
            t.setDaemon(true);
            t.start();
        }

        int listenPort() {
            return server.getLocalPort();
        }

        void cut(Cut how) {
            cut = how;
            if (how == Cut.DROP) {
                List<Pipe> open = new ArrayList<>(pipes);
                open.forEach(Pipe::close);
            }
        }

        void heal() {
            synchronized (gate) {
                cut = null;
                gate.notifyAll();
            }
        }

        /** Blocks while the link is black-holed; false if the connection must go. */
        boolean awaitPassable(Pipe pipe) {
            synchronized (gate) {
                while (cut == Cut.BLACKHOLE && !closed && !pipe.closed) {
                    try {
                        gate.wait(100);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return false;
                    }
                }
            }
            return cut != Cut.DROP && !closed && !pipe.closed;
        }

        void acceptLoop() {
            while (!closed) {
                Socket client;
                try {
                    client = server.accept();
                } catch (IOException e) {
                    return;
                }
                Pipe pipe = new Pipe(this, client);
                pipes.add(pipe);
                Thread t = new Thread(pipe::open, "link-" + from + "->" + to + "-conn");
                t.setDaemon(true);
                t.start();
            }
        }

        void close() {
            closed = true;
            heal();
            try {
                server.close();
            } catch (IOException ignored) {
                // closing anyway
            }
            new ArrayList<>(pipes).forEach(Pipe::close);
        }
    }

    /** One forwarded connection: client socket to the node's real port. */
    private static final class Pipe {
        final Link link;
        final Socket client;
        volatile Socket upstream;
        volatile boolean closed;

        Pipe(Link link, Socket client) {
            this.link = link;
            this.client = client;
        }

        void open() {
            // A connection made while black-holed waits (a SYN that gets no answer yet).
            if (!link.awaitPassable(this)) {
                close();
                return;
            }
            try {
                Socket up = new Socket();
                up.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), link.targetPort), 5_000);
                up.setTcpNoDelay(true);
                client.setTcpNoDelay(true);
                upstream = up;
            } catch (IOException e) {
                close();
                return;
            }
            if (closed) {
                close();
                return;
            }
            Thread back = new Thread(() -> pump(upstream, client), "link-" + link.to + "->" + link.from + "-pump");
            back.setDaemon(true);
            back.start();
            pump(client, upstream);
        }

        void pump(Socket src, Socket dst) {
            byte[] buf = new byte[16 * 1024];
            try {
                InputStream in = src.getInputStream();
                OutputStream out = dst.getOutputStream();
                int n;
                while ((n = in.read(buf)) >= 0) {
                    if (!link.awaitPassable(this)) {
                        break;
                    }
                    out.write(buf, 0, n);
                    out.flush();
                }
            } catch (IOException ignored) {
                // the connection ends
            }
            close();
        }

        void close() {
            closed = true;
            link.pipes.remove(this);
            closeQuietly(client);
            Socket up = upstream;
            if (up != null) {
                closeQuietly(up);
            }
        }

        static void closeQuietly(Socket s) {
            try {
                s.close();
            } catch (IOException ignored) {
                // already gone
            }
        }
    }
}
