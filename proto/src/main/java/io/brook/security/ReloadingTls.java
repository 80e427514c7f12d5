package io.brook.security;

import io.grpc.ChannelCredentials;
import io.grpc.ServerCredentials;
import io.grpc.TlsChannelCredentials;
import io.grpc.TlsServerCredentials;
import io.grpc.util.AdvancedTlsX509KeyManager;
import io.grpc.util.AdvancedTlsX509TrustManager;
import io.grpc.util.AdvancedTlsX509TrustManager.Verification;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * The key and trust managers built from one {@link TlsSettings}, reloaded from their PEM files
 * while in use: grpc-java's {@link AdvancedTlsX509KeyManager} and
 * {@link AdvancedTlsX509TrustManager}, fed by a thread that looks at the files' modification
 * times and sizes every {@code ssl.certificate.reload.interval.ms} and, when one changed, reads
 * them, checks them as at startup (the key must belong to the certificate) and swaps them in.
 * (grpc-java's own file watching is not used: it waits at least a minute between looks and swaps
 * in a key that does not match its certificate.) New TLS handshakes use the new certificate, key
 * and CAs; connections already open keep theirs. Files that cannot be loaded at a look (half
 * written, a certificate without its new key yet) are logged and the old material stays in use
 * until the next look; replacing files atomically (write elsewhere, then {@code mv}, key first)
 * avoids the warning.
 *
 * <p>From here come the server credentials of the node's gRPC listener, the channel credentials
 * of the node's own outbound channels (its certificate as client certificate: mutual TLS between
 * nodes) and of clients, and the managers the Ratis quorum's TLS configuration takes. Thread-safe;
 * {@link #close} stops the reloading.
 */
public final class ReloadingTls implements AutoCloseable {
  private final TlsSettings settings;
  private final boolean server;
  private final AdvancedTlsX509KeyManager keyManager;
  /** Checks the other end as a client checks a server: chain, and the host name if asked. */
  private final AdvancedTlsX509TrustManager serverChecker;
  /** Checks the other end as a server checks a client: chain only. */
  private final AdvancedTlsX509TrustManager clientChecker;
  private final ScheduledExecutorService reloader;
  private static final System.Logger LOG = System.getLogger(ReloadingTls.class.getName());

  private ReloadingTls(TlsSettings settings, boolean server) {
    this.settings = settings;
    this.server = server;
    this.reloader = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "brook-tls-reload");
      t.setDaemon(true);
      return t;
    });
    try {
      keyManager = settings.hasCertificate() ? new AdvancedTlsX509KeyManager() : null;
      if (settings.caCertificates() != null) {
        serverChecker = AdvancedTlsX509TrustManager.newBuilder()
            .setVerification(settings.verifyHostname() ? Verification.CERTIFICATE_AND_HOST_NAME_VERIFICATION
                : Verification.CERTIFICATE_ONLY_VERIFICATION)
            .build();
        clientChecker = AdvancedTlsX509TrustManager.newBuilder()
            .setVerification(Verification.CERTIFICATE_ONLY_VERIFICATION).build();
      } else {
        serverChecker = null;
        clientChecker = null;
      }
      load();
    } catch (GeneralSecurityException | RuntimeException e) {
      reloader.shutdownNow();
      throw e instanceof TlsConfigException t ? t : new TlsConfigException("cannot load the TLS files ("
          + TlsSettings.SSL_CERTIFICATE + "=" + settings.certificate() + ", " + TlsSettings.SSL_PRIVATE_KEY + "="
          + settings.privateKey() + ", " + TlsSettings.SSL_CA_CERTIFICATES + "=" + settings.caCertificates() + "): "
          + e.getMessage());
    }
    long period = settings.reloadIntervalMs();
    reloader.scheduleWithFixedDelay(this::reloadIfChanged, period, period, TimeUnit.MILLISECONDS);
  }

  /** The files' modification times and sizes when last loaded. */
  private volatile List<String> loadedStamps = List.of();

  private List<String> stamps() {
    List<String> out = new ArrayList<>();
    for (Path p : new Path[] {settings.certificate(), settings.privateKey(), settings.caCertificates()}) {
      if (p == null) {
        continue;
      }
      try {
        out.add(p + "@" + Files.getLastModifiedTime(p).toMillis() + "/" + Files.size(p));
      } catch (IOException e) {
        out.add(p + "@missing");
      }
    }
    return out;
  }

  /** Reads and checks the files (the key must belong to the certificate), then swaps them in. */
  private void load() throws GeneralSecurityException {
    List<String> before = stamps();
    settings.validate(server);
    if (keyManager != null) {
      TlsSettings.Identity id = settings.readIdentity();
      keyManager.updateIdentityCredentials(id.chain(), id.key());
    }
    if (serverChecker != null) {
      X509Certificate[] cas = TlsSettings.readCertificates(TlsSettings.SSL_CA_CERTIFICATES, settings.caCertificates());
      try {
        serverChecker.updateTrustCredentials(cas);
        clientChecker.updateTrustCredentials(cas);
      } catch (IOException e) {
        throw new GeneralSecurityException(e.getMessage(), e);
      }
    }
    loadedStamps = before;
  }

  private void reloadIfChanged() {
    try {
      List<String> now = stamps();
      if (now.equals(loadedStamps)) {
        return;
      }
      load();
      LOG.log(System.Logger.Level.INFO, "reloaded the TLS certificate files {0}", now);
    } catch (GeneralSecurityException | RuntimeException e) {
      // Half-written files, or a key that does not match yet: keep the old ones and look again.
      LOG.log(System.Logger.Level.WARNING, "the TLS certificate files changed but cannot be loaded, keeping the"
          + " current ones: {0}", e.getMessage());
    }
  }

  /**
   * Validates the settings for a server (see {@link TlsSettings#validate}) and starts reloading.
   *
   * @throws TlsConfigException one line naming the bad setting or file
   */
  public static ReloadingTls forServer(TlsSettings settings) {
    return new ReloadingTls(settings, true);
  }

  /**
   * Validates the settings for a client (see {@link TlsSettings#validate}) and starts reloading.
   *
   * @throws TlsConfigException one line naming the bad setting or file
   */
  public static ReloadingTls forClient(TlsSettings settings) {
    return new ReloadingTls(settings, false);
  }

  /** The settings this instance was built from (file paths, client auth, reload interval). */
  public TlsSettings settings() {
    return settings;
  }

  /** This end's certificate and key (reloaded), or null when it has none. */
  public X509ExtendedKeyManager keyManager() {
    return keyManager;
  }

  /** Checks a server's chain (and name, if {@code ssl.endpoint.identification.algorithm=https}), or null without CAs. */
  public X509ExtendedTrustManager serverTrustManager() {
    return serverChecker;
  }

  /** Checks a client's chain, or null without CAs. */
  public X509ExtendedTrustManager clientTrustManager() {
    return clientChecker;
  }

  /**
   * One trust manager for a connection that may go either way (the Ratis quorum takes a single
   * one for its server and its client side): server certificates are checked as by
   * {@link #serverTrustManager()}, client certificates as by {@link #clientTrustManager()}.
   * Null without CAs.
   */
  public X509ExtendedTrustManager peerTrustManager() {
    if (serverChecker == null) {
      return null;
    }
    X509ExtendedTrustManager servers = serverChecker;
    X509ExtendedTrustManager clients = clientChecker;
    return new X509ExtendedTrustManager() {
      @Override
      public void checkClientTrusted(X509Certificate[] chain, String authType, java.net.Socket socket)
          throws java.security.cert.CertificateException {
        clients.checkClientTrusted(chain, authType, socket);
      }

      @Override
      public void checkServerTrusted(X509Certificate[] chain, String authType, java.net.Socket socket)
          throws java.security.cert.CertificateException {
        servers.checkServerTrusted(chain, authType, socket);
      }

      @Override
      public void checkClientTrusted(X509Certificate[] chain, String authType, javax.net.ssl.SSLEngine engine)
          throws java.security.cert.CertificateException {
        clients.checkClientTrusted(chain, authType, engine);
      }

      @Override
      public void checkServerTrusted(X509Certificate[] chain, String authType, javax.net.ssl.SSLEngine engine)
          throws java.security.cert.CertificateException {
        servers.checkServerTrusted(chain, authType, engine);
      }

      @Override
      public void checkClientTrusted(X509Certificate[] chain, String authType) throws java.security.cert.CertificateException {
        clients.checkClientTrusted(chain, authType);
      }

      @Override
      public void checkServerTrusted(X509Certificate[] chain, String authType) throws java.security.cert.CertificateException {
        servers.checkServerTrusted(chain, authType);
      }

      @Override
      public X509Certificate[] getAcceptedIssuers() {
        return clients.getAcceptedIssuers();
      }
    };
  }

  /** Credentials of a TLS server: this certificate, and client certificates asked for per {@code ssl.client.auth}. */
  public ServerCredentials serverCredentials() {
    TlsServerCredentials.Builder b = TlsServerCredentials.newBuilder().keyManager(keyManager);
    if (clientChecker != null && settings.clientAuth() != TlsSettings.ClientAuth.NONE) {
      b.trustManager(clientChecker);
    }
    b.clientAuth(switch (settings.clientAuth()) {
      case NONE -> TlsServerCredentials.ClientAuth.NONE;
      case REQUESTED -> TlsServerCredentials.ClientAuth.OPTIONAL;
      case REQUIRED -> TlsServerCredentials.ClientAuth.REQUIRE;
    });
    return b.build();
  }

  /** Credentials of a TLS client: the CAs to check the server with, and this certificate if there is one (mutual TLS). */
  public ChannelCredentials channelCredentials() {
    TlsChannelCredentials.Builder b = TlsChannelCredentials.newBuilder().trustManager(serverChecker);
    if (keyManager != null) {
      b.keyManager(keyManager);
    }
    return b.build();
  }

  @Override
  public void close() {
    reloader.shutdownNow();
  }
}
