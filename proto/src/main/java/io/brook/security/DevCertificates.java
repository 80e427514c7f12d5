package io.brook.security;

import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.util.io.pem.PemObject;

/**
 * A development certificate authority and the certificates of nodes and clients, made with
 * BouncyCastle, written as PEM (what {@code bin/brook certs create} and the TLS tests use). Keys
 * are EC P-256 (ECDSA with SHA-256); private keys are PKCS#8 PEM files readable by the owner only.
 *
 * <p>Files in the directory, named predictably:
 * <ul>
 *   <li>{@code ca.pem}, {@code ca.key}: the CA (self-signed, CN "Brook development CA"); an
 *       existing CA in the directory is reused, so nodes and clients can be added later and
 *       certificates renewed under the same CA;
 *   <li>{@code node-N.pem}, {@code node-N.key}: node N's certificate (CN brook-N), for TLS servers
 *       and clients (extended key usage serverAuth and clientAuth: nodes authenticate each other),
 *       with subject alternative names localhost, brook-N and brookN (compose service names),
 *       127.0.0.1, ::1 and any extra host names or addresses;
 *   <li>{@code client-NAME.pem}, {@code client-NAME.key}: a client certificate (CN NAME,
 *       clientAuth) for mutual TLS.
 * </ul>
 *
 * <p>Not for production: the CA key sits next to the certificates it signs.
 */
public final class DevCertificates {
  /** Default validity of the certificates made here. */
  public static final Duration DEFAULT_VALIDITY = Duration.ofDays(365);
  private static final SecureRandom RANDOM = new SecureRandom();

  /** A certificate and its key pair. */
  public record Issued(X509Certificate certificate, KeyPair keys) {}

  private DevCertificates() {}

  /** A new self-signed CA named {@code commonName}. */
  public static Issued newCa(String commonName, Duration validity) {
    KeyPair keys = newKeyPair();
    X500Name name = new X500Name("CN=" + commonName);
    try {
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      X509v3CertificateBuilder b = builder(name, name, keys, validity)
          .addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
          .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
          .addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(keys.getPublic()));
      return new Issued(sign(b, keys.getPrivate()), keys);
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalStateException("cannot make a CA certificate: " + e.getMessage(), e);
    }
  }

  /**
   * A certificate for {@code commonName} signed by {@code ca}.
   *
   * @param hosts  subject alternative names: IP addresses (v4 or v6) become IP entries, the rest DNS entries
   * @param server whether it may serve TLS (serverAuth; it always may act as a client, clientAuth)
   */
  public static Issued issue(Issued ca, String commonName, List<String> hosts, boolean server, Duration validity) {
    KeyPair keys = newKeyPair();
    try {
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      X509v3CertificateBuilder b = builder(X500Name.getInstance(ca.certificate().getSubjectX500Principal().getEncoded()),
          new X500Name("CN=" + commonName), keys, validity)
          .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
          .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyAgreement))
          .addExtension(Extension.extendedKeyUsage, false, server
              ? new ExtendedKeyUsage(new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth})
              : new ExtendedKeyUsage(KeyPurposeId.id_kp_clientAuth))
          .addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(keys.getPublic()))
          .addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(ca.certificate()));
      if (!hosts.isEmpty()) {
        List<GeneralName> names = new ArrayList<>();
        for (String h : hosts) {
          names.add(isIpAddress(h) ? new GeneralName(GeneralName.iPAddress, h) : new GeneralName(GeneralName.dNSName, h));
        }
        b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names.toArray(GeneralName[]::new)));
      }
      return new Issued(sign(b, ca.keys().getPrivate()), keys);
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalStateException("cannot make a certificate for " + commonName + ": " + e.getMessage(), e);
    }
  }

  /**
   * The host names and addresses a node's certificate carries: localhost, brook-N and brookN (the
   * host names of deploy/docker-compose.yml's services), 127.0.0.1, ::1, then {@code extra}.
   */
  public static List<String> nodeHosts(int nodeId, List<String> extra) {
    List<String> hosts = new ArrayList<>(List.of("localhost", "brook-" + nodeId, "brook" + nodeId, "127.0.0.1", "::1"));
    extra.stream().filter(h -> !hosts.contains(h)).forEach(hosts::add);
    return hosts;
  }

  /**
   * Creates (or reuses) the CA in {@code dir} and writes node and client certificates there,
   * replacing existing ones atomically (a running node reloads them).
   *
   * @param nodes      node ids: {@code node-N.pem/.key}
   * @param clients    client names: {@code client-NAME.pem/.key}
   * @param extraHosts further SANs of every node certificate
   * @return the files written, CA first
   * @throws IOException when a file cannot be read or written
   */
  public static List<Path> create(Path dir, List<Integer> nodes, List<String> clients, List<String> extraHosts,
                                  Duration validity) throws IOException {
    Files.createDirectories(dir);
    List<Path> written = new ArrayList<>();
    Path caPem = dir.resolve("ca.pem");
    Path caKey = dir.resolve("ca.key");
    Issued ca;
    if (Files.exists(caPem) && Files.exists(caKey)) {
      ca = readIssued(caPem, caKey);
    } else {
      ca = newCa("Brook development CA", validity.plusDays(365));
      writeCertificate(caPem, ca.certificate());
      writePrivateKey(caKey, ca.keys().getPrivate());
      written.add(caPem);
      written.add(caKey);
    }
    for (int id : nodes) {
      Issued node = issue(ca, "brook-" + id, nodeHosts(id, extraHosts), true, validity);
      written.addAll(write(dir, "node-" + id, node));
    }
    for (String name : clients) {
      Issued client = issue(ca, name, List.of(), false, validity);
      written.addAll(write(dir, "client-" + name, client));
    }
    return written;
  }

  /**
   * Writes {@code base.pem} and {@code base.key} in {@code dir}, each through a temporary file
   * and a move, key first, so that a reloading reader sees old or new files, never half a file.
   */
  public static List<Path> write(Path dir, String base, Issued issued) throws IOException {
    Path key = dir.resolve(base + ".key");
    Path pem = dir.resolve(base + ".pem");
    writePrivateKey(key, issued.keys().getPrivate());
    writeCertificate(pem, issued.certificate());
    return List.of(pem, key);
  }

  /** Writes PEM certificates to {@code file} (atomically replaced). */
  public static void writeCertificate(Path file, X509Certificate... chain) throws IOException {
    StringWriter s = new StringWriter();
    try (JcaPEMWriter w = new JcaPEMWriter(s)) {
      for (X509Certificate c : chain) {
        w.writeObject(c);
      }
    }
    replace(file, s.toString(), false);
  }

  /** Writes a PKCS#8 PEM private key ({@code BEGIN PRIVATE KEY}) to {@code file}, owner-readable only. */
  public static void writePrivateKey(Path file, PrivateKey key) throws IOException {
    StringWriter s = new StringWriter();
    try (JcaPEMWriter w = new JcaPEMWriter(s)) {
      w.writeObject(new PemObject("PRIVATE KEY", key.getEncoded()));
    }
    replace(file, s.toString(), true);
  }

  private static void replace(Path file, String content, boolean secret) throws IOException {
    Path tmp = Files.createTempFile(file.toAbsolutePath().getParent(), "." + file.getFileName(), ".tmp");
    try {
      try {
        // Keys for the owner only; certificates for everyone (a temp file starts as rw-------).
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString(secret ? "rw-------" : "rw-r--r--"));
      } catch (UnsupportedOperationException notPosix) {
        // Windows: the temp file's ACL is the user's
      }
      Files.writeString(tmp, content, StandardCharsets.US_ASCII);
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  /** Reads a certificate and its PKCS#8 key back (the CA of an earlier run). */
  public static Issued readIssued(Path certificate, Path privateKey) throws IOException {
    X509Certificate cert = TlsSettings.readCertificates("CA certificate", certificate)[0];
    try (PEMParser p = new PEMParser(Files.newBufferedReader(privateKey, StandardCharsets.US_ASCII))) {
      Object o = p.readObject();
      if (!(o instanceof PrivateKeyInfo info)) {
        throw new IOException(privateKey + " is not a PEM PKCS#8 private key");
      }
      PrivateKey key = new JcaPEMKeyConverter().getPrivateKey(info);
      return new Issued(cert, new KeyPair(cert.getPublicKey(), key));
    }
  }

  private static X509v3CertificateBuilder builder(X500Name issuer, X500Name subject, KeyPair keys, Duration validity) {
    Instant now = Instant.now();
    return new JcaX509v3CertificateBuilder(issuer, new BigInteger(63, RANDOM).add(BigInteger.ONE),
        Date.from(now.minus(Duration.ofHours(1))), Date.from(now.plus(validity)), subject, keys.getPublic());
  }

  private static X509Certificate sign(X509v3CertificateBuilder b, PrivateKey issuerKey) throws GeneralSecurityException {
    try {
      return new JcaX509CertificateConverter().getCertificate(b.build(new JcaContentSignerBuilder("SHA256withECDSA")
          .build(issuerKey)));
    } catch (OperatorCreationException e) {
      throw new GeneralSecurityException(e);
    }
  }

  private static KeyPair newKeyPair() {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
      g.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
      return g.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("no EC P-256 key generator in this JVM", e);
    }
  }

  private static boolean isIpAddress(String h) {
    return h.matches("\\d{1,3}(\\.\\d{1,3}){3}") || h.contains(":");
  }
}
