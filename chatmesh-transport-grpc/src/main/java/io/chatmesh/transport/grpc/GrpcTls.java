package io.chatmesh.transport.grpc;

import io.chatmesh.ChatException;
import io.chatmesh.ErrorCode;
import io.grpc.ChannelCredentials;
import io.grpc.ServerCredentials;
import io.grpc.TlsChannelCredentials;
import io.grpc.TlsServerCredentials;
import io.grpc.util.AdvancedTlsX509KeyManager;
import io.grpc.util.AdvancedTlsX509TrustManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Mutual TLS for the links between nodes: every node holds a certificate signed by the cluster's
 * CA, whose subject alternative name carries its node id as the URI {@code urn:chatmesh:node:<id>}
 * ({@link #nodeIdUri}). A node accepts an inbound link only from a peer that presents such a
 * certificate, and every envelope on that link must name the certificate's node id as its sender
 * (others are refused and logged); an outbound link is made only to a peer whose certificate the
 * CA signed. The files are PEM; they are re-read every {@link Builder#refreshPeriod} so that
 * renewed certificates take effect without a restart.
 *
 * <pre>{@code
 * GrpcTls tls = GrpcTls.fromDirectory(Path.of("/etc/chatmesh/tls"));   // ca.pem, node.pem, node.key
 * Transport t = GrpcTransport.builder("10.0.0.5:9091").tls(tls).build();
 * }</pre>
 *
 * <p>Make a dev CA and node certificates with {@code examples/dev-ca.sh}. Immutable; thread-safe.
 */
public final class GrpcTls {
  private static final Logger log = LoggerFactory.getLogger(GrpcTls.class);
  /** The URI scheme prefix that names a node in a certificate's subject alternative names. */
  public static final String NODE_URI_PREFIX = "urn:chatmesh:node:";

  private final Path certificateChain;
  private final Path privateKey;
  private final Path trustedCa;
  private final Duration refreshPeriod;

  private GrpcTls(Builder b) {
    this.certificateChain = require(b.certificateChain, "certificateChain");
    this.privateKey = require(b.privateKey, "privateKey");
    this.trustedCa = require(b.trustedCa, "trustedCa");
    this.refreshPeriod = b.refreshPeriod;
  }

  /**
   * A builder; certificate chain, private key and trusted CA are required.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * TLS from the files {@code ca.pem} (the cluster CA), {@code node.pem} (this node's certificate
   * chain) and {@code node.key} (its PKCS#8 private key) in {@code dir}, refreshed every minute.
   *
   * @param dir the directory holding the three files
   * @return the configuration
   * @throws ChatException BAD_REQUEST naming a missing file
   */
  public static GrpcTls fromDirectory(Path dir) {
    return builder().trustedCa(dir.resolve("ca.pem")).certificateChain(dir.resolve("node.pem")).privateKey(dir.resolve("node.key")).build();
  }

  /**
   * The subject alternative name URI that binds a certificate to {@code nodeId}.
   *
   * @param nodeId the node id
   * @return the URI, e.g. {@code urn:chatmesh:node:n1}
   */
  public static String nodeIdUri(String nodeId) {
    return NODE_URI_PREFIX + nodeId;
  }

  /**
   * This node's certificate chain (PEM).
   *
   * @return its file
   */
  public Path certificateChain() {
    return certificateChain;
  }

  /**
   * This node's private key (PEM, PKCS#8).
   *
   * @return its file
   */
  public Path privateKey() {
    return privateKey;
  }

  /**
   * The cluster CA (PEM) that signs every node's certificate.
   *
   * @return its file
   */
  public Path trustedCa() {
    return trustedCa;
  }

  /**
   * How often the files are re-read.
   *
   * @return the period
   */
  public Duration refreshPeriod() {
    return refreshPeriod;
  }

  @Override
  public String toString() {
    return "GrpcTls[cert " + certificateChain + ", key " + privateKey + ", ca " + trustedCa + ", refresh " + refreshPeriod + "]";
  }

  /**
   * Loads the files and re-reads them on {@code timer} every {@link #refreshPeriod} when one of
   * them changed (a file that fails to load then is logged and the previous material stays in
   * use). Called by the transport at start. (gRPC's own file watching would refresh at most once a
   * minute; this one follows the configured period.)
   *
   * @throws ChatException BAD_REQUEST naming the files when they cannot be read or do not match
   */
  Loaded load(ScheduledExecutorService timer) {
    AdvancedTlsX509KeyManager keys = new AdvancedTlsX509KeyManager();
    AdvancedTlsX509TrustManager trust;
    try {
      // the peer's node id, not its host name, is what a certificate proves here (checked per envelope)
      trust = AdvancedTlsX509TrustManager.newBuilder()
          .setVerification(AdvancedTlsX509TrustManager.Verification.CERTIFICATE_ONLY_VERIFICATION)
          .build();
    } catch (GeneralSecurityException e) {
      throw new ChatException(ErrorCode.INTERNAL, "cannot create a TLS trust manager: " + e, e);
    }
    Reloader reloader = new Reloader(keys, trust);
    reloader.reload(true);
    long period = refreshPeriod.toMillis();
    ScheduledFuture<?> task = timer.scheduleWithFixedDelay(() -> reloader.reload(false), period, period, TimeUnit.MILLISECONDS);
    ServerCredentials server =
        TlsServerCredentials.newBuilder()
            .keyManager(keys)
            .trustManager(trust)
            .clientAuth(TlsServerCredentials.ClientAuth.REQUIRE)
            .build();
    ChannelCredentials channel = TlsChannelCredentials.newBuilder().keyManager(keys).trustManager(trust).build();
    return new Loaded(server, channel, () -> task.cancel(false));
  }

  /** Re-reads the three files when their modification times or sizes changed. Runs on one timer. */
  private final class Reloader {
    private final AdvancedTlsX509KeyManager keys;
    private final AdvancedTlsX509TrustManager trust;
    private String stamp = "";

    Reloader(AdvancedTlsX509KeyManager keys, AdvancedTlsX509TrustManager trust) {
      this.keys = keys;
      this.trust = trust;
    }

    void reload(boolean initial) {
      String now = stamp(certificateChain) + stamp(privateKey) + stamp(trustedCa);
      if (now.equals(stamp)) {
        return;
      }
      try {
        keys.updateIdentityCredentials(certificateChain.toFile(), privateKey.toFile());
      } catch (IOException | GeneralSecurityException | RuntimeException e) {
        fail(initial, now, "this node's TLS certificate " + certificateChain + " with key " + privateKey, e);
        return;
      }
      try {
        trust.updateTrustCredentials(trustedCa.toFile());
      } catch (IOException | GeneralSecurityException | RuntimeException e) {
        fail(initial, now, "the trusted CA " + trustedCa, e);
        return;
      }
      stamp = now;
      if (!initial) {
        log.info("reloaded TLS material: {}", GrpcTls.this);
      }
    }

    private void fail(boolean initial, String now, String what, Exception e) {
      if (initial) {
        throw new ChatException(ErrorCode.BAD_REQUEST, "cannot load " + what + ": " + e, e);
      }
      stamp = now; // log a broken file once, not at every period; a fixed file changes the stamp again
      log.warn("cannot reload {} (keeping the previous TLS material): {}", what, e.toString());
    }
  }

  private static String stamp(Path p) {
    try {
      return Files.getLastModifiedTime(p).toMillis() + "/" + Files.size(p) + ";";
    } catch (IOException e) {
      return "missing;";
    }
  }

  /** Credentials in use, and the handle that stops re-reading the files. */
  record Loaded(ServerCredentials server, ChannelCredentials channel, Runnable stopReloading) {}

  private static Path require(@Nullable Path p, String what) {
    if (p == null) {
      throw new ChatException(ErrorCode.BAD_REQUEST, "GrpcTls needs " + what);
    }
    if (!Files.isReadable(p)) {
      throw new ChatException(ErrorCode.BAD_REQUEST, "GrpcTls " + what + " " + p + " is not a readable file");
    }
    return p;
  }

  /** Configures {@link GrpcTls}. Not thread-safe. */
  public static final class Builder {
    private @Nullable Path certificateChain;
    private @Nullable Path privateKey;
    private @Nullable Path trustedCa;
    private Duration refreshPeriod = Duration.ofMinutes(1);

    private Builder() {}

    /**
     * This node's certificate, then any intermediates (PEM); its SAN names the node id.
     *
     * @param pem the file
     * @return this builder
     */
    public Builder certificateChain(Path pem) {
      this.certificateChain = Objects.requireNonNull(pem, "certificateChain");
      return this;
    }

    /**
     * This node's private key (PEM, PKCS#8 or the key types the JDK reads).
     *
     * @param pem the file
     * @return this builder
     */
    public Builder privateKey(Path pem) {
      this.privateKey = Objects.requireNonNull(pem, "privateKey");
      return this;
    }

    /**
     * The cluster CA certificate(s) (PEM) that a peer's certificate must chain to.
     *
     * @param pem the file
     * @return this builder
     */
    public Builder trustedCa(Path pem) {
      this.trustedCa = Objects.requireNonNull(pem, "trustedCa");
      return this;
    }

    /**
     * How often the three files are re-read (renewed certificates apply to new links). Default 1 min.
     *
     * @param d the period, positive
     * @return this builder
     */
    public Builder refreshPeriod(Duration d) {
      if (d == null || d.isNegative() || d.isZero()) {
        throw new ChatException(ErrorCode.BAD_REQUEST, "refreshPeriod must be positive, was " + d);
      }
      this.refreshPeriod = d;
      return this;
    }

    /**
     * The configuration.
     *
     * @return the configuration
     * @throws ChatException BAD_REQUEST naming a missing or unreadable file
     */
    public GrpcTls build() {
      return new GrpcTls(this);
    }
  }
}
