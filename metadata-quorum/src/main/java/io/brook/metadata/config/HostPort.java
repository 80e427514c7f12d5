package io.brook.metadata.config;

/** A {@code host:port} pair, parsed with a clear error naming the key it came from. */
public record HostPort(String host, int port) {

    public static HostPort parse(String key, String value) {
        String v = value == null ? "" : value.trim();
        int colon = v.lastIndexOf(':');
        if (colon <= 0 || colon == v.length() - 1) {
            throw new ConfigException(key, value, "expected host:port");
        }
        int port;
        try {
            port = Integer.parseInt(v.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new ConfigException(key, value, "port is not an integer");
        }
        if (port < 1 || port > 65535) {
            throw new ConfigException(key, value, "port outside 1..65535");
        }
        String host = v.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        return new HostPort(host, port);
    }

    @Override
    public String toString() {
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }
}
