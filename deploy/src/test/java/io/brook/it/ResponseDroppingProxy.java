package io.brook.it;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP proxy in front of one broker that loses answers: it forwards a plaintext gRPC (HTTP/2)
 * connection both ways, and when a request carrying {@code marker} (bytes of its records) has
 * reached the broker, it cuts the connection at the first frame of the answer (an HTTP/2 HEADERS
 * frame, which the broker sends only once it has handled the request), so the client never sees
 * it. It cuts the answers of the 1st, 3rd, 5th, ... marked requests and passes the others: a
 * client that resends each lost request once gets every resend answered.
 *
 * <p>For clients that send one call at a time on a connection (the examples do). Threads: one
 * acceptor, two pumps per connection; {@link #close} stops them all.
 */
final class ResponseDroppingProxy implements AutoCloseable {
  private static final int FRAME_HEADER_BYTES = 9;
  private static final int HEADERS_FRAME = 0x1;

  private final ServerSocket server;
  private final InetSocketAddress target;
  private final byte[] marker;
  private final AtomicInteger markedAnswers = new AtomicInteger();
  private final AtomicInteger cuts = new AtomicInteger();
  private final List<Socket> sockets = new CopyOnWriteArrayList<>();
  private final Thread acceptor;

  /** Listens on an ephemeral port of 127.0.0.1 and forwards to {@code targetHost:targetPort}. */
  ResponseDroppingProxy(String targetHost, int targetPort, byte[] marker) throws IOException {
    this.target = new InetSocketAddress(targetHost, targetPort);
    this.marker = marker.clone();
    this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    this.acceptor = new Thread(this::acceptLoop, "proxy-accept");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  /** {@code host:port} for clients. */
  String address() {
    return "127.0.0.1:" + server.getLocalPort();
  }

  /** How many answers were cut off. */
  int cuts() {
    return cuts.get();
  }

  private void acceptLoop() {
    while (!server.isClosed()) {
      try {
        Socket client = server.accept();
        Socket broker = new Socket();
        broker.connect(target, 10_000);
        client.setTcpNoDelay(true);
        broker.setTcpNoDelay(true);
        sockets.add(client);
        sockets.add(broker);
        AtomicBoolean marked = new AtomicBoolean();
        start("proxy-up", () -> requests(client, broker, marked));
        start("proxy-down", () -> answers(broker, client, marked));
      } catch (IOException e) {
        // closed, or the broker is unreachable: the client sees its connection fail
      }
    }
  }

  private static void start(String name, Runnable r) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    t.start();
  }

  /** Client to broker: forwarded as it comes, watched for the marker (also across reads). */
  private void requests(Socket client, Socket broker, AtomicBoolean marked) {
    byte[] buf = new byte[64 * 1024];
    byte[] window = new byte[buf.length + marker.length];
    int carried = 0;
    try (InputStream in = client.getInputStream(); OutputStream out = broker.getOutputStream()) {
      int n;
      while ((n = in.read(buf)) > 0) {
        System.arraycopy(buf, 0, window, carried, n);
        int len = carried + n;
        if (indexOf(window, len, marker) >= 0) {
          marked.set(true); // before the broker can have the request, so before its answer
        }
        carried = Math.min(marker.length - 1, len);
        System.arraycopy(window, len - carried, window, 0, carried);
        out.write(buf, 0, n);
        out.flush();
      }
    } catch (IOException e) {
      // cut or closed
    } finally {
      closeQuietly(client, broker);
    }
  }

  /** Broker to client, frame by frame: the answer to every other marked request is cut off. */
  private void answers(Socket broker, Socket client, AtomicBoolean marked) {
    try (InputStream in = broker.getInputStream(); OutputStream out = client.getOutputStream()) {
      byte[] header = new byte[FRAME_HEADER_BYTES];
      while (in.readNBytes(header, 0, FRAME_HEADER_BYTES) == FRAME_HEADER_BYTES) {
        int length = (header[0] & 0xff) << 16 | (header[1] & 0xff) << 8 | (header[2] & 0xff);
        byte[] payload = in.readNBytes(length);
        if (payload.length < length) {
          break;
        }
        if ((header[3] & 0xff) == HEADERS_FRAME && marked.getAndSet(false)
            && markedAnswers.incrementAndGet() % 2 == 1) {
          cuts.incrementAndGet();
          break; // the broker has appended; the client never hears of it
        }
        ByteArrayOutputStream frame = new ByteArrayOutputStream(FRAME_HEADER_BYTES + length);
        frame.write(header);
        frame.write(payload);
        out.write(frame.toByteArray());
        out.flush();
      }
    } catch (IOException e) {
      // cut or closed
    } finally {
      closeQuietly(client, broker);
    }
  }

  private static int indexOf(byte[] data, int len, byte[] pattern) {
    outer:
    for (int i = 0; i + pattern.length <= len; i++) {
      for (int j = 0; j < pattern.length; j++) {
        if (data[i + j] != pattern[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }

  private static void closeQuietly(Socket... ss) {
    for (Socket s : ss) {
      try {
        s.close();
      } catch (IOException ignored) {
        // closing anyway
      }
    }
  }

  @Override
  public void close() throws IOException {
    server.close();
    sockets.forEach(ResponseDroppingProxy::closeQuietly);
    try {
      acceptor.join(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
