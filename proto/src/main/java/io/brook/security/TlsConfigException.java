package io.brook.security;

/**
 * A TLS setting that cannot work: a missing or unreadable file, a file that is not PEM, a key
 * that does not belong to its certificate, a missing setting. The message is one line for the
 * operator, naming the setting and the file.
 */
public final class TlsConfigException extends IllegalArgumentException {
  /** @param message one line naming the setting and the file */
  public TlsConfigException(String message) {
    super(message);
  }
}
