package io.chatmesh.transport.grpc;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.concurrent.atomic.AtomicLong;
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
 * A throwaway certificate authority for tests: EC P-256 keys, a self-signed CA, node certificates
 * whose SAN URI names a node id ({@link GrpcTls#nodeIdUri}), written as PEM files. Not thread-safe.
 */
final class TestCa {
  private static final AtomicLong SERIAL = new AtomicLong(System.currentTimeMillis());
  private final String name;
  private final KeyPair key;
  private final X509Certificate cert;

  TestCa(String name) {
    this.name = name;
    this.key = ecKey();
    this.cert = sign(new X500Name("CN=" + name), key, new X500Name("CN=" + name), key, true, null);
  }

  /** The CA certificate as PEM. */
  String caPem() {
    return pem("CERTIFICATE", encoded(cert));
  }

  /**
   * Writes {@code ca.pem}, {@code node.pem} and {@code node.key} for a node into {@code dir}: its
   * certificate names {@code nodeId} (none if null).
   */
  Path issue(Path dir, @org.jspecify.annotations.Nullable String nodeId) {
    KeyPair nodeKey = ecKey();
    X509Certificate leaf = sign(new X500Name("CN=" + name), key, new X500Name("CN=" + (nodeId == null ? "anonymous" : nodeId)), nodeKey, false, nodeId);
    try {
      Files.createDirectories(dir);
      Files.writeString(dir.resolve("ca.pem"), caPem(), StandardCharsets.US_ASCII);
      Files.writeString(dir.resolve("node.pem"), pem("CERTIFICATE", encoded(leaf)), StandardCharsets.US_ASCII);
      Files.writeString(dir.resolve("node.key"), pem("PRIVATE KEY", nodeKey.getPrivate().getEncoded()), StandardCharsets.US_ASCII);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    return dir;
  }

  /** TLS settings for the node whose files {@link #issue} wrote into {@code dir}. */
  static GrpcTls tls(Path dir, Duration refresh) {
    return GrpcTls.builder()
        .trustedCa(dir.resolve("ca.pem"))
        .certificateChain(dir.resolve("node.pem"))
        .privateKey(dir.resolve("node.key"))
        .refreshPeriod(refresh)
        .build();
  }

  private static X509Certificate sign(
      X500Name issuer, KeyPair issuerKey, X500Name subject, KeyPair subjectKey, boolean ca, @org.jspecify.annotations.Nullable String nodeId) {
    Instant now = Instant.now();
    try {
      X509v3CertificateBuilder b =
          new JcaX509v3CertificateBuilder(
              issuer,
              BigInteger.valueOf(SERIAL.incrementAndGet()),
              Date.from(now.minus(Duration.ofHours(1))),
              Date.from(now.plus(Duration.ofDays(1))),
              subject,
              subjectKey.getPublic());
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
      if (ca) {
        b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
      } else {
        b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyAgreement));
        b.addExtension(Extension.extendedKeyUsage, false,
            new ExtendedKeyUsage(new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}));
        if (nodeId != null) {
          b.addExtension(Extension.subjectAlternativeName, false,
              new GeneralNames(new GeneralName(GeneralName.uniformResourceIdentifier, GrpcTls.nodeIdUri(nodeId))));
        }
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
