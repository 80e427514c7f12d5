package io.brook.clients.internals;

/** A {@code host:port} address, checked. */
public record HostPort(String host, int port) {
  public static HostPort parse(String s) {
    String v = s.trim();
    int colon = v.lastIndexOf(':');
    if (colon <= 0 || colon == v.length() - 1) {
      throw new IllegalArgumentException("'" + s + "' is not host:port");
    }
    String host = v.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    int port;
    try {
      port = Integer.parseInt(v.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("'" + s + "' has a bad port");
    }
    if (port <= 0 || port > 65535) {
      throw new IllegalArgumentException("'" + s + "' has port out of range");
    }
    return new HostPort(host, port);
  }

  @Override
  public String toString() {
    return host + ":" + port;
  }
}
