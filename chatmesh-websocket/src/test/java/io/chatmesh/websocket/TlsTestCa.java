package io.chatmesh.websocket;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
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
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A throwaway certificate authority for the gateway's TLS tests: EC P-256 keys, a self-signed CA,
 * server certificates for given host names written as PEM files, and a client SSLContext trusting
 * the CA. Not thread-safe.
 */
final class TlsTestCa {
  private static final AtomicLong SERIAL = new AtomicLong(System.currentTimeMillis());
  private final String name;
  private final KeyPair key;
  private final X509Certificate cert;

  TlsTestCa(String name) {
    this.name = name;
    this.key = ecKey();
    Instant now = Instant.now();
    this.cert = sign(key, new X500Name("CN=" + name), key, true, List.of(), now.minus(Duration.ofHours(1)), now.plus(Duration.ofDays(1)));
  }

  /** A server certificate for {@code hosts} (IP addresses or DNS names) valid from now - 1 h to now + 1 day. */
  Issued issue(Path dir, String... hosts) {
    Instant now = Instant.now();
    return issue(dir, now.minus(Duration.ofHours(1)), now.plus(Duration.ofDays(1)), hosts);
  }

  /** Writes {@code server.pem} (the certificate, then this CA) and {@code server.key} (PKCS#8) into {@code dir}. */
  Issued issue(Path dir, Instant notBefore, Instant notAfter, String... hosts) {
    KeyPair serverKey = ecKey();
    X509Certificate leaf = sign(key, new X500Name("CN=" + hosts[0]), serverKey, false, List.of(hosts), notBefore, notAfter);
    try {
      Files.createDirectories(dir);
      Path chain = dir.resolve("server.pem");
      Path keyFile = dir.resolve("server.key");
      Files.writeString(chain, pem("CERTIFICATE", encoded(leaf)) + pem("CERTIFICATE", encoded(cert)), StandardCharsets.US_ASCII);
      Files.writeString(keyFile, pem("PRIVATE KEY", serverKey.getPrivate().getEncoded()), StandardCharsets.US_ASCII);
      return new Issued(chain, keyFile, leaf);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The files of one server certificate and the certificate itself. */
  record Issued(Path chain, Path key, X509Certificate certificate) {}

  /** A client TLS context that trusts only these CAs. */
  static SSLContext trusting(TlsTestCa... cas) {
    try {
      KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
      store.load(null, null);
      for (TlsTestCa ca : cas) {
        store.setCertificateEntry(ca.name, ca.cert);
      }
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(store);
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(null, tmf.getTrustManagers(), null);
      return ctx;
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private X509Certificate sign(
      KeyPair issuerKey, X500Name subject, KeyPair subjectKey, boolean ca, List<String> hosts, Instant notBefore, Instant notAfter) {
    try {
      X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(
          new X500Name("CN=" + name), BigInteger.valueOf(SERIAL.incrementAndGet()),
          Date.from(notBefore), Date.from(notAfter), subject, subjectKey.getPublic());
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
      if (ca) {
        b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
      } else {
        b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
        b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth));
        List<GeneralName> names = new ArrayList<>();
        for (String h : hosts) {
          names.add(new GeneralName(Character.isDigit(h.charAt(0)) ? GeneralName.iPAddress : GeneralName.dNSName, h));
        }
        b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names.toArray(new GeneralName[0])));
      }
      return new JcaX509CertificateConverter()
          .getCertificate(b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(issuerKey.getPrivate())));
    } catch (IOException | GeneralSecurityException | OperatorCreationException e) {
      throw new IllegalStateException(e);
    }
  }

  private static KeyPair ecKey() {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
      g.initialize(new ECGenParameterSpec("secp256r1"));
      return g.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private static byte[] encoded(X509Certificate c) {
    try {
      return c.getEncoded();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String pem(String type, byte[] der) {
    String body = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der);
    return "-----BEGIN " + type + "-----\n" + body + "\n-----END " + type + "-----\n";
  }
}
