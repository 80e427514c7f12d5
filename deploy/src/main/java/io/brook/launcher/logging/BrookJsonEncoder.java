package io.brook.launcher.logging;

import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;

/**
 * Logback's built-in {@link JsonEncoder} (one JSON object per line) with two Brook rules: every
 * object carries {@code "nodeId"} (the logger context's {@code node.id} property, set by
 * {@link Logging#configure}), and an exception below ERROR keeps its class names and messages but
 * no stack frames (see {@link CompactThrowable}).
 */
public class BrookJsonEncoder extends JsonEncoder {
  private final ThreadLocal<Boolean> fullTrace = ThreadLocal.withInitial(() -> Boolean.TRUE);

  @Override
  public byte[] encode(ILoggingEvent event) {
    fullTrace.set(CompactThrowable.keepsStackTrace(event));
    try {
      return super.encode(event);
    } finally {
      fullTrace.remove();
    }
  }

  @Override
  protected void appendThrowableProxy(StringBuilder sb, String attributeName, IThrowableProxy itp) {
    super.appendThrowableProxy(sb, attributeName, fullTrace.get() ? itp : CompactThrowable.withoutFrames(itp));
  }

  @Override
  protected void appendCustomFields(StringBuilder sb, ILoggingEvent event) {
    String nodeId = event.getLoggerContextVO() == null ? null : event.getLoggerContextVO().getPropertyMap().get(Logging.NODE_ID_PROPERTY);
    sb.append(",\"nodeId\":\"").append(escape(nodeId == null ? Logging.UNKNOWN_NODE : nodeId)).append('"');
  }

  private static String escape(String s) {
    StringBuilder sb = new StringBuilder(s.length());
    for (char c : s.toCharArray()) {
      if (c == '"' || c == '\\') {
        sb.append('\\').append(c);
      } else if (c < 0x20) {
        sb.append(String.format("\\u%04x", (int) c));
      } else {
        sb.append(c);
      }
    }
    return sb.toString();
  }
}
