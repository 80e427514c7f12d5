package io.brook.broker;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import org.slf4j.LoggerFactory;

/**
 * Records the WARN-and-above lines a test's code logs, through SLF4J (Brook, Ratis) and through
 * java.util.logging (grpc-java logs there, e.g. its SEVERE "Exception while executing runnable").
 * Lines are kept as "LEVEL logger - message [exception]" strings.
 */
public final class LogRecorder implements AutoCloseable {
  private final List<String> lines = new CopyOnWriteArrayList<>();
  private final Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
  private final java.util.logging.Logger julRoot = java.util.logging.Logger.getLogger("");
  private final AppenderBase<ILoggingEvent> appender = new AppenderBase<>() {
    @Override
    protected void append(ILoggingEvent e) {
      if (e.getLevel().isGreaterOrEqual(Level.WARN)) {
        lines.add(e.getLevel() + " " + e.getLoggerName() + " - " + e.getFormattedMessage()
            + (e.getThrowableProxy() != null ? " [" + e.getThrowableProxy().getClassName() + "]" : ""));
      }
    }
  };
  private final Handler handler = new Handler() {
    @Override
    public void publish(LogRecord r) {
      if (r.getLevel().intValue() >= java.util.logging.Level.WARNING.intValue()) {
        String level = r.getLevel() == java.util.logging.Level.SEVERE ? "ERROR" : "WARN";
        lines.add(level + " " + r.getLoggerName() + " - " + r.getMessage()
            + (r.getThrown() != null ? " [" + r.getThrown().getClass().getName() + "]" : ""));
      }
    }

    @Override
    public void flush() {}

    @Override
    public void close() {}
  };

  public LogRecorder() {
    appender.setContext(root.getLoggerContext());
    appender.start();
    root.addAppender(appender);
    julRoot.addHandler(handler);
  }

  /** Every recorded line so far. */
  public List<String> lines() {
    return List.copyOf(lines);
  }

  /** Recorded lines at ERROR (SLF4J) or SEVERE (java.util.logging). */
  public List<String> errors() {
    return lines.stream().filter(l -> l.startsWith("ERROR")).toList();
  }

  public void clear() {
    lines.clear();
  }

  @Override
  public void close() {
    root.detachAppender(appender);
    julRoot.removeHandler(handler);
  }
}
