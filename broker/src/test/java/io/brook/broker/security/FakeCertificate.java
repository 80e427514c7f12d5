package io.brook.broker.security;

import java.lang.reflect.Proxy;
import java.math.BigInteger;
import java.security.PublicKey;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.Date;
import java.util.Set;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import javax.security.auth.x500.X500Principal;

/** A synthetic client certificate (only its subject is real) and a TLS session presenting it. */
final class FakeCertificate extends X509Certificate {
  private final X500Principal subject;

  FakeCertificate(String subjectDn) {
    this.subject = new X500Principal(subjectDn);
  }

  /** A TLS session whose peer presented {@code cert}, or no certificate when null. */
  static SSLSession session(X509Certificate cert) {
    return (SSLSession) Proxy.newProxyInstance(FakeCertificate.class.getClassLoader(), new Class<?>[] {SSLSession.class},
        (proxy, method, args) -> {
          if (method.getName().equals("getPeerCertificates")) {
            if (cert == null) {
              throw new SSLPeerUnverifiedException("peer not authenticated");
            }
            return new Certificate[] {cert};
          }
          throw new UnsupportedOperationException(method.getName());
        });
  }

  @Override public X500Principal getSubjectX500Principal() { return subject; }
  @Override public void checkValidity() { }
  @Override public void checkValidity(Date date) { }
  @Override public int getVersion() { return 3; }
  @Override public BigInteger getSerialNumber() { return BigInteger.ONE; }
  @Override public java.security.Principal getIssuerDN() { return subject; }
  @Override public java.security.Principal getSubjectDN() { return subject; }
  @Override public Date getNotBefore() { return new Date(0); }
  @Override public Date getNotAfter() { return new Date(Long.MAX_VALUE); }
  @Override public byte[] getTBSCertificate() { return new byte[0]; }
  @Override public byte[] getSignature() { return new byte[0]; }
  @Override public String getSigAlgName() { return "none"; }
  @Override public String getSigAlgOID() { return "0"; }
  @Override public byte[] getSigAlgParams() { return null; }
  @Override public boolean[] getIssuerUniqueID() { return null; }
  @Override public boolean[] getSubjectUniqueID() { return null; }
  @Override public boolean[] getKeyUsage() { return null; }
  @Override public int getBasicConstraints() { return -1; }
  @Override public byte[] getEncoded() { return new byte[0]; }
  @Override public void verify(PublicKey key) { }
  @Override public void verify(PublicKey key, String sigProvider) { }
  @Override public String toString() { return "FakeCertificate[" + subject + "]"; }
  @Override public PublicKey getPublicKey() { return null; }
  @Override public boolean hasUnsupportedCriticalExtension() { return false; }
  @Override public Set<String> getCriticalExtensionOIDs() { return Set.of(); }
  @Override public Set<String> getNonCriticalExtensionOIDs() { return Set.of(); }
  @Override public byte[] getExtensionValue(String oid) { return null; }
}
