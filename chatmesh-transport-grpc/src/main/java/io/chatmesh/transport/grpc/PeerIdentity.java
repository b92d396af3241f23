package io.chatmesh.transport.grpc;

import io.chatmesh.spi.transport.PeerText;
import io.chatmesh.spi.transport.Envelope;
import io.grpc.Attributes;
import io.grpc.Grpc;
import java.security.cert.Certificate;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import org.jspecify.annotations.Nullable;

/**
 * The node id an inbound link's TLS client certificate proves ({@link GrpcTls#nodeIdUri}), and the
 * check that every envelope on that link names it as its sender. Over plaintext there is no proof
 * and every envelope passes (the transport then vouches for nothing). Immutable; thread-safe; the
 * refusal log is limited to one line per peer and interval.
 */
final class PeerIdentity {
  private final @Nullable String node;
  private final String peer;
  private final PeerText.@Nullable Limited refusals;

  private PeerIdentity(@Nullable String node, String peer, PeerText.@Nullable Limited refusals) {
    this.node = node;
    this.peer = peer;
    this.refusals = refusals;
  }

  /**
   * The identity of the link whose call has {@code attrs}, described as {@code peer} in the
   * refusals logged through {@code refusals}.
   *
   * @return the certificate's node id, or null when TLS is on but the peer's certificate names no
   *     single node (the link must be refused)
   */
  static @Nullable PeerIdentity of(Attributes attrs, boolean tls, String peer, PeerText.Limited refusals) {
    if (!tls) {
      return new PeerIdentity(null, peer, null); // vouches for nothing
    }
    SSLSession session = attrs.get(Grpc.TRANSPORT_ATTR_SSL_SESSION);
    if (session == null) {
      return null;
    }
    try {
      Certificate[] chain = session.getPeerCertificates();
      if (chain.length == 0 || !(chain[0] instanceof X509Certificate leaf)) {
        return null;
      }
      List<String> ids = nodeIds(leaf);
      return ids.size() == 1 ? new PeerIdentity(ids.get(0), peer, refusals) : null;
    } catch (SSLPeerUnverifiedException e) {
      return null;
    }
  }

  /** The node ids a certificate names in its URI subject alternative names. */
  static List<String> nodeIds(X509Certificate cert) {
    List<String> out = new ArrayList<>();
    Collection<List<?>> sans;
    try {
      sans = cert.getSubjectAlternativeNames();
    } catch (CertificateParsingException e) {
      return out;
    }
    if (sans == null) {
      return out;
    }
    for (List<?> san : sans) {
      // type 6: uniformResourceIdentifier
      if (san.size() >= 2 && Integer.valueOf(6).equals(san.get(0)) && san.get(1) instanceof String uri
          && uri.startsWith(GrpcTls.NODE_URI_PREFIX) && uri.length() > GrpcTls.NODE_URI_PREFIX.length()) {
        out.add(uri.substring(GrpcTls.NODE_URI_PREFIX.length()));
      }
    }
    return out;
  }

  /** The proven node id, or null over plaintext. */
  @Nullable String node() {
    return node;
  }

  /**
   * Whether {@code e} may be delivered: its sender is the certified node (always true over
   * plaintext). A refused envelope is logged, once per interval per certified and claimed id.
   */
  boolean admits(Envelope e) {
    String n = node;
    PeerText.Limited r = refusals;
    if (n == null || r == null || n.equals(e.from().value())) {
      return true;
    }
    r.warn(
        n + "/" + e.from().value(),
        "refusing a " + e.message().getClass().getSimpleName() + " that claims to come from node "
            + PeerText.safe(e.from().value()) + " on the link from " + PeerText.safe(peer)
            + ", whose certificate is for node " + PeerText.safe(n));
    return false;
  }
}
