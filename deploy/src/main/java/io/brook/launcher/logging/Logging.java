package io.brook.launcher.logging;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.core.joran.spi.JoranException;
import ch.qos.logback.core.joran.util.ConfigurationWatchListUtil;
import ch.qos.logback.core.util.StatusPrinter2;
import java.net.URL;
import java.util.Locale;
import java.util.Set;
import org.slf4j.ILoggerFactory;
import org.slf4j.LoggerFactory;
import org.slf4j.bridge.SLF4JBridgeHandler;

/**
 * Process-wide logging setup of the {@code brook} launcher, on top of {@code logback.xml}:
 * routes {@code java.util.logging} (gRPC's logger) through SLF4J, tags every line with the node id
 * and selects the layout ({@code text} or {@code json}). The node id is a logger-context property,
 * not an MDC value, so lines from every thread carry it (Ratis's, gRPC's and Netty's included).
 */
public final class Logging {
  /** Logger-context property holding the node id ({@code %property{node.id}} in the text layout). */
  public static final String NODE_ID_PROPERTY = "node.id";
  /** Logger-context property naming the layout in effect: {@code text} or {@code json}. */
  public static final String FORMAT_PROPERTY = "log.format";
  /** The node id printed before the configuration is known, and by client commands. */
  public static final String UNKNOWN_NODE = "-";
  /** The layouts {@code log.format} accepts. */
  public static final Set<String> FORMATS = Set.of("text", "json");

  private Logging() {}

  /**
   * Sends {@code java.util.logging} records to SLF4J instead of JUL's own console handler (whose
   * two-line format would bypass the layout). Idempotent; levels follow logback's through the
   * {@code LevelChangePropagator} declared in {@code logback.xml}.
   */
  public static void installJulBridge() {
    if (!SLF4JBridgeHandler.isInstalled()) {
      SLF4JBridgeHandler.removeHandlersForRootLogger();
      SLF4JBridgeHandler.install();
    }
  }

  /**
   * Tags every following log line with {@code nodeId} and switches to {@code format} if
   * {@code logback.xml} started with the other layout (it reads {@code BROOK_LOG_FORMAT}; the
   * node setting {@code log.format} may come from the config file). Does nothing when SLF4J is
   * bound to something other than logback.
   *
   * @throws IllegalArgumentException if {@code format} is neither {@code text} nor {@code json}
   */
  public static void configure(int nodeId, String format) {
    String fmt = format == null ? "" : format.trim().toLowerCase(Locale.ROOT);
    if (!FORMATS.contains(fmt)) {
      throw new IllegalArgumentException("log.format must be text or json, not '" + format + "'");
    }
    ILoggerFactory factory = LoggerFactory.getILoggerFactory();
    if (!(factory instanceof LoggerContext ctx)) {
      return;
    }
    String id = Integer.toString(nodeId);
    if (!fmt.equals(ctx.getProperty(FORMAT_PROPERTY))) {
      reconfigure(ctx, id, fmt);
    }
    ctx.putProperty(NODE_ID_PROPERTY, id);
  }

  /** Runs the same configuration file again with the node id and format as context properties. */
  private static void reconfigure(LoggerContext ctx, String nodeId, String format) {
    URL url = ConfigurationWatchListUtil.getMainWatchURL(ctx);
    if (url == null) {
      url = Logging.class.getResource("/logback.xml");
    }
    if (url == null) {
      return;
    }
    ctx.reset();
    ctx.putProperty(NODE_ID_PROPERTY, nodeId);
    ctx.putProperty(FORMAT_PROPERTY, format);
    JoranConfigurator configurator = new JoranConfigurator();
    configurator.setContext(ctx);
    try {
      configurator.doConfigure(url);
    } catch (JoranException e) {
      // logback records the problem in its status list, printed just below
    }
    new StatusPrinter2().printInCaseOfErrorsOrWarnings(ctx);
  }
}
