package io.brook.metadata.config;

/** A configuration value is missing, malformed or out of range; the message names the key. */
public final class ConfigException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public ConfigException(String key, Object value, String problem) {
        super("Invalid value '" + value + "' for '" + key + "': " + problem);
    }

    public ConfigException(String message) {
        super(message);
    }
}
