package io.brook.metadata.config;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * One voter of the metadata quorum: its node id and the host:port of its Ratis server.
 * {@link #parseList} reads {@code controller.quorum.voters} ({@code 1@host:9093,2@host:9093}).
 */
public record VoterAddress(int id, String host, int port) {

    public VoterAddress {
        if (id < 0) {
            throw new ConfigException("voter id must be >= 0, got " + id);
        }
        if (host == null || host.isBlank()) {
            throw new ConfigException("voter " + id + " has an empty host");
        }
        if (port < 1 || port > 65535) {
            throw new ConfigException("voter " + id + " has port " + port + " outside 1..65535");
        }
    }

    public String hostPort() {
        return host + ":" + port;
    }

    @Override
    public String toString() {
        return id + "@" + hostPort();
    }

    /**
     * Parses {@code id@host:port} entries separated by commas. Rejects empty lists, malformed
     * entries, duplicate ids and duplicate addresses, naming the offending entry.
     */
    public static List<VoterAddress> parseList(String key, String value) {
        if (value == null || value.isBlank()) {
            throw new ConfigException(key, value, "expected id@host:port[,id@host:port...]");
        }
        List<VoterAddress> voters = new ArrayList<>();
        Set<Integer> ids = new HashSet<>();
        Set<String> addresses = new HashSet<>();
        for (String raw : value.split(",")) {
            String entry = raw.trim();
            VoterAddress voter = parseOne(key, entry);
            if (!ids.add(voter.id())) {
                throw new ConfigException(key, value, "voter id " + voter.id() + " appears twice");
            }
            if (!addresses.add(voter.hostPort())) {
                throw new ConfigException(key, value, "address " + voter.hostPort() + " appears twice");
            }
            voters.add(voter);
        }
        return List.copyOf(voters);
    }

    private static VoterAddress parseOne(String key, String entry) {
        int at = entry.indexOf('@');
        int colon = entry.lastIndexOf(':');
        if (entry.isEmpty() || at <= 0 || colon < at + 2 || colon == entry.length() - 1) {
            throw new ConfigException(key, entry, "expected id@host:port, e.g. 1@localhost:9093");
        }
        int id;
        int port;
        try {
            id = Integer.parseInt(entry.substring(0, at));
        } catch (NumberFormatException e) {
            throw new ConfigException(key, entry, "voter id '" + entry.substring(0, at) + "' is not an integer");
        }
        try {
            port = Integer.parseInt(entry.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new ConfigException(key, entry, "port '" + entry.substring(colon + 1) + "' is not an integer");
        }
        String host = entry.substring(at + 1, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1); // IPv6 literal
        }
        try {
            return new VoterAddress(id, host, port);
        } catch (ConfigException e) {
            throw new ConfigException(key, entry, e.getMessage());
        }
    }
}
