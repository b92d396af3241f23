package io.chatmesh.websocket;

import io.chatmesh.ChatException;
import io.chatmesh.ErrorCode;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway's TLS material: a PEM certificate chain and an unencrypted PKCS#8 PEM private key,
 * re-read when either file changes (new connections get the new certificate; open ones keep theirs).
 * TLS 1.3 and 1.2 only. Thread-safe: {@link #reload} is serialized, {@link #newHandler} reads the
 * current context without locking.
 */
final class GatewayTls {
  private static final Logger log = LoggerFactory.getLogger(GatewayTls.class);
  static final List<String> PROTOCOLS = List.of("TLSv1.3", "TLSv1.2");
  /** Sent on every HTTPS response: browsers then use https/wss for this host for a year. */
  static final String HSTS = "max-age=31536000";
  private static final Pattern KEY_PEM =
      Pattern.compile("-----BEGIN ([A-Z0-9 ]+)-----([A-Za-z0-9+/=\\s]+)-----END \\1-----");

  private final Path certificateChain;
  private final Path privateKey;
  private final Duration refreshPeriod;
  private volatile SslContext current;
  private String stamp;

  /**
   * Loads the files now.
   *
   * @throws ChatException BAD_REQUEST naming the file that is missing, unreadable or malformed, or
   *     both files when the key does not belong to the certificate
   */
  GatewayTls(Path certificateChain, Path privateKey, Duration refreshPeriod) {
    this.certificateChain = certificateChain;
    this.privateKey = privateKey;
    this.refreshPeriod = refreshPeriod;
    this.stamp = stamp();
    this.current = load(certificateChain, privateKey);
  }

  Duration refreshPeriod() {
    return refreshPeriod;
  }

  SslHandler newHandler(ByteBufAllocator alloc) {
    return current.newHandler(alloc);
  }

  /**
   * Re-reads the files if their modification time or size changed. A file that fails to load is
   * logged once and the previous certificate stays in use.
   *
   * @return whether a new certificate is now in use
   */
  synchronized boolean reload() {
    String now = stamp();
    if (now.equals(stamp)) {
      return false;
    }
    stamp = now; // a broken file is logged once; fixing it changes the stamp again
    try {
      current = load(certificateChain, privateKey);
    } catch (ChatException e) {
      log.warn("cannot reload the gateway's TLS certificate (keeping the previous one): {}", e.getMessage());
      return false;
    }
    log.info("reloaded the gateway's TLS certificate {} and key {}", certificateChain, privateKey);
    return true;
  }

  private String stamp() {
    return stamp(certificateChain) + stamp(privateKey);
  }

  private static String stamp(Path p) {
    try {
      return Files.getLastModifiedTime(p).toMillis() + "/" + Files.size(p) + ";";
    } catch (IOException e) {
      return "missing;";
    }
  }

  /** Reads, checks and combines the two files. */
  static SslContext load(Path certificateChain, Path privateKey) {
    X509Certificate[] chain = readChain(certificateChain);
    PrivateKey key = readKey(privateKey);
    if (!matches(key, chain[0])) {
      throw new ChatException(ErrorCode.BAD_REQUEST, "TLS private key " + privateKey
          + " does not belong to the certificate " + certificateChain + " (its first certificate)");
    }
    try {
      return SslContextBuilder.forServer(key, chain)
          .sslProvider(SslProvider.JDK)
          .protocols(PROTOCOLS)
          .clientAuth(ClientAuth.NONE)
          .build();
    } catch (SSLException | RuntimeException e) {
      throw new ChatException(ErrorCode.BAD_REQUEST,
          "cannot use TLS certificate " + certificateChain + " with key " + privateKey + ": " + e, e);
    }
  }

  private static X509Certificate[] readChain(Path file) {
    byte[] bytes = read(file, "certificate chain");
    try {
      X509Certificate[] chain = CertificateFactory.getInstance("X.509")
          .generateCertificates(new ByteArrayInputStream(bytes))
          .toArray(new X509Certificate[0]);
      if (chain.length == 0) {
        throw new ChatException(ErrorCode.BAD_REQUEST, "TLS certificate chain " + file + " holds no certificate");
      }
      return chain;
    } catch (GeneralSecurityException e) {
      throw new ChatException(ErrorCode.BAD_REQUEST,
          "TLS certificate chain " + file + " is not PEM X.509 certificates: " + e.getMessage(), e);
    }
  }

  private static PrivateKey readKey(Path file) {
    String text = new String(read(file, "private key"), StandardCharsets.US_ASCII);
    Matcher m = KEY_PEM.matcher(text);
    if (!m.find()) {
      throw new ChatException(ErrorCode.BAD_REQUEST, "TLS private key " + file + " is not a PEM file");
    }
    if (!m.group(1).equals("PRIVATE KEY")) {
      throw new ChatException(ErrorCode.BAD_REQUEST, "TLS private key " + file + " is a PEM '" + m.group(1)
          + "'; only an unencrypted PKCS#8 'PRIVATE KEY' is supported (convert it with"
          + " openssl pkcs8 -topk8 -nocrypt -in KEY -out KEY.pk8)");
    }
    byte[] der;
    try {
      der = Base64.getMimeDecoder().decode(m.group(2));
    } catch (IllegalArgumentException e) {
      throw new ChatException(ErrorCode.BAD_REQUEST, "TLS private key " + file + " is not valid base64", e);
    }
    for (String algorithm : List.of("EC", "RSA", "Ed25519", "Ed448")) {
      try {
        return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
      } catch (GeneralSecurityException e) {
        // try the next algorithm
      }
    }
    throw new ChatException(ErrorCode.BAD_REQUEST,
        "TLS private key " + file + " is not a PKCS#8 EC, RSA or EdDSA key");
  }

  private static byte[] read(Path file, String what) {
    try {
      return Files.readAllBytes(file);
    } catch (IOException e) {
      throw new ChatException(ErrorCode.BAD_REQUEST,
          "cannot read the TLS " + what + " " + file + ": " + e.getClass().getSimpleName()
              + (e.getMessage() == null ? "" : " " + e.getMessage()), e);
    }
  }

  /** Whether {@code key} signs what the certificate's public key verifies. */
  private static boolean matches(PrivateKey key, X509Certificate cert) {
    String algorithm = switch (key.getAlgorithm()) {
      case "EC" -> "SHA256withECDSA";
      case "RSA" -> "SHA256withRSA";
      default -> key.getAlgorithm(); // Ed25519, Ed448
    };
    byte[] challenge = new byte[32];
    new SecureRandom().nextBytes(challenge);
    try {
      Signature signer = Signature.getInstance(algorithm);
      signer.initSign(key);
      signer.update(challenge);
      byte[] signature = signer.sign();
      Signature verifier = Signature.getInstance(algorithm);
      verifier.initVerify(cert.getPublicKey());
      verifier.update(challenge);
      return verifier.verify(signature);
    } catch (GeneralSecurityException e) {
      return false; // e.g. an EC key with an RSA certificate
    }
  }

  /**
   * Adds {@code Strict-Transport-Security} to every HTTP response, and closes a connection whose
   * TLS handshake failed (a plaintext client, an untrusting client) with a debug log line instead
   * of the gateway's "unexpected error" warning.
   */
  static final class HttpsHandler extends ChannelDuplexHandler {
    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
      if (msg instanceof HttpResponse r) {
        r.headers().set("Strict-Transport-Security", HSTS);
      }
      super.write(ctx, msg, promise);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) throws Exception {
      for (Throwable t = cause; t != null; t = t.getCause()) {
        if (t instanceof SSLException || t instanceof io.netty.handler.ssl.NotSslRecordException) {
          log.debug("TLS failed on connection {}: {}", ctx.channel().remoteAddress(), t.toString());
          ctx.close();
          return;
        }
      }
      super.exceptionCaught(ctx, cause);
    }
  }
}
