package io.brook.storage.config;

/** A configuration that cannot be accepted: unknown key, wrong type, or a value failing its check. */
public class ConfigException extends IllegalArgumentException {
  public ConfigException(String message) {
    super(message);
  }
}
