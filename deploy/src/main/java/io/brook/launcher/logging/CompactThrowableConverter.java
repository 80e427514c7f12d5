package io.brook.launcher.logging;

import ch.qos.logback.classic.pattern.ThrowableHandlingConverter;
import ch.qos.logback.classic.pattern.ThrowableProxyConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.core.CoreConstants;

/**
 * The {@code %brookEx} conversion word of Brook's text layout: nothing when the event carries no
 * exception; {@code " (cause: A: msg <- B: msg)"} on the same line below ERROR; the full stack
 * trace on the following lines at ERROR (see {@link CompactThrowable}). Being a throwable-handling
 * converter, it stops logback from appending its own {@code %ex}.
 */
public final class CompactThrowableConverter extends ThrowableHandlingConverter {
  private final ThrowableProxyConverter full = new ThrowableProxyConverter();

  @Override
  public void start() {
    full.setContext(getContext());
    full.setOptionList(getOptionList());
    full.start();
    super.start();
  }

  @Override
  public void stop() {
    full.stop();
    super.stop();
  }

  @Override
  public String convert(ILoggingEvent event) {
    IThrowableProxy tp = event.getThrowableProxy();
    if (tp == null) {
      return "";
    }
    if (CompactThrowable.keepsStackTrace(event)) {
      String trace = full.convert(event);
      while (trace.endsWith("\n") || trace.endsWith("\r")) {
        trace = trace.substring(0, trace.length() - 1);
      }
      return CoreConstants.LINE_SEPARATOR + trace;
    }
    return " (cause: " + CompactThrowable.summary(tp) + ")";
  }
}
