package io.brook.launcher.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.StackTraceElementProxy;

/**
 * Brook's rule for exceptions in logs: an event at ERROR keeps its full stack trace; below ERROR
 * (a peer going away, a client disconnecting, a retried RPC: expected events) the exception is
 * reduced to a one-line summary of its cause chain, so that one event stays one line.
 */
public final class CompactThrowable {
  /** Causes beyond this depth are not summarised. */
  static final int MAX_CAUSES = 4;

  private CompactThrowable() {}

  /** Whether {@code event}'s exception is logged in full (ERROR and above). */
  public static boolean keepsStackTrace(ILoggingEvent event) {
    return event.getLevel() != null && event.getLevel().isGreaterOrEqual(Level.ERROR);
  }

  /**
   * The cause chain on one line, e.g. {@code StatusRuntimeException: UNAVAILABLE: io exception <-
   * ConnectException: Connection refused}; a cause whose message repeats the previous one is
   * skipped.
   */
  public static String summary(IThrowableProxy tp) {
    StringBuilder sb = new StringBuilder();
    String previous = null;
    int depth = 0;
    for (IThrowableProxy t = tp; t != null && depth <= MAX_CAUSES; t = t.getCause(), depth++) {
      String message = t.getMessage() == null ? null : t.getMessage().replaceAll("\\s*[\\r\\n]+\\s*", " ").strip();
      if (previous != null && message != null && previous.contains(message)) {
        continue; // a wrapper's message already says it
      }
      String one = simpleName(t.getClassName()) + (message == null || message.isEmpty() ? "" : ": " + message);
      if (previous != null) {
        sb.append(" <- ");
      }
      sb.append(one);
      previous = one;
      if (t.isCyclic()) {
        break;
      }
    }
    return sb.toString();
  }

  private static String simpleName(String className) {
    int dot = className == null ? -1 : className.lastIndexOf('.');
    return dot < 0 ? String.valueOf(className) : className.substring(dot + 1);
  }

  /** {@code tp} and its causes without stack frames or suppressed exceptions (for the JSON layout). */
  public static IThrowableProxy withoutFrames(IThrowableProxy tp) {
    return tp == null ? null : new FramelessProxy(tp, 0);
  }

  private record FramelessProxy(IThrowableProxy delegate, int depth) implements IThrowableProxy {
    private static final StackTraceElementProxy[] NO_FRAMES = new StackTraceElementProxy[0];
    private static final IThrowableProxy[] NONE = new IThrowableProxy[0];

    @Override
    public String getMessage() {
      return delegate.getMessage();
    }

    @Override
    public String getClassName() {
      return delegate.getClassName();
    }

    @Override
    public StackTraceElementProxy[] getStackTraceElementProxyArray() {
      return NO_FRAMES;
    }

    @Override
    public int getCommonFrames() {
      return 0;
    }

    @Override
    public IThrowableProxy getCause() {
      IThrowableProxy cause = delegate.getCause();
      return cause == null || depth >= MAX_CAUSES || delegate.isCyclic() ? null : new FramelessProxy(cause, depth + 1);
    }

    @Override
    public IThrowableProxy[] getSuppressed() {
      return NONE;
    }

    @Override
    public boolean isCyclic() {
      return false;
    }
  }
}
