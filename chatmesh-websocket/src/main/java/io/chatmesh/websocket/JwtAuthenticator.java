package io.chatmesh.websocket;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.source.ImmutableJWKSet;
import com.nimbusds.jose.jwk.source.ImmutableSecret;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import io.chatmesh.ChatException;
import io.chatmesh.ErrorCode;
import io.chatmesh.UserId;
import io.chatmesh.time.ChatClock;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.text.ParseException;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The built-in {@link Authenticator}: the {@code hello} frame's {@code token} is a signed JWT (JWS
 * compact form) and its {@code sub} claim is the user. Verified with nimbus-jose-jwt against one
 * of: a shared secret (HS256), or public keys (RS256/ES256) from a PEM file or a JWKS file. The
 * token must carry {@code sub} and {@code exp}; {@code nbf} is honoured; both with a small clock
 * skew (default 30 s). {@code iss} and {@code aud} are checked when configured. Unsigned tokens
 * ({@code alg: none}) and algorithms other than the configured key's are refused. If {@code hello}
 * also names a {@code user}, it must equal {@code sub}. The returned {@link Authentication} expires
 * at {@code exp}, when the gateway ends the connection.
 *
 * <pre>{@code
 * Authenticator auth = JwtAuthenticator.builder().hmacSecret(secret).issuer("https://login.example").build();
 * WebSocketGateway.builder(node).authenticator(auth)...
 * }</pre>
 *
 * <p>Immutable and thread-safe; verification is local (no network) and does not block.
 */
public final class JwtAuthenticator implements Authenticator {
  /** Smallest HS256 secret accepted, in bytes (RFC 7518 3.2: at least the hash size). */
  public static final int MIN_SECRET_BYTES = 32;

  private final DefaultJWTProcessor<SecurityContext> processor;
  private final ChatClock clock;
  private final Duration skew;
  private final @Nullable String issuer;
  private final @Nullable String audience;

  private JwtAuthenticator(Builder b, JWSVerificationKeySelector<SecurityContext> keys) {
    this.clock = b.clock;
    this.skew = b.skew;
    this.issuer = b.issuer;
    this.audience = b.audience;
    DefaultJWTProcessor<SecurityContext> p = new DefaultJWTProcessor<>();
    p.setJWSKeySelector(keys);
    p.setJWTClaimsSetVerifier((claims, context) -> { }); // checked below against our clock
    this.processor = p;
  }

  /**
   * A builder; exactly one of {@link Builder#hmacSecret}, {@link Builder#publicKeyPem} or {@link
   * Builder#jwks} must be set.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  @Override
  public Authentication authenticate(@Nullable UserId requested, @Nullable String token) {
    if (token == null || token.isBlank()) {
      throw unauthorized("a token is required: send hello with a \"token\" (a signed JWT)");
    }
    JWTClaimsSet claims;
    try {
      claims = processor.process(token.trim(), null);
    } catch (ParseException e) {
      throw unauthorized("malformed token: not a signed JWT");
    } catch (BadJOSEException e) {
      throw unauthorized("invalid token: " + e.getMessage());
    } catch (JOSEException e) {
      throw unauthorized("invalid token: cannot verify it (" + e.getMessage() + ")");
    }
    long now = clock.millis();
    Date exp = claims.getExpirationTime();
    if (exp == null) {
      throw unauthorized("invalid token: no 'exp' (expiry) claim");
    }
    if (exp.getTime() + skew.toMillis() <= now) {
      throw unauthorized("token expired");
    }
    Date nbf = claims.getNotBeforeTime();
    if (nbf != null && nbf.getTime() - skew.toMillis() > now) {
      throw unauthorized("token not yet valid");
    }
    if (issuer != null && !issuer.equals(claims.getIssuer())) {
      throw unauthorized("invalid token: wrong issuer");
    }
    if (audience != null) {
      List<String> aud = claims.getAudience();
      if (aud == null || !aud.contains(audience)) {
        throw unauthorized("invalid token: wrong audience");
      }
    }
    String sub = claims.getSubject();
    if (sub == null) {
      throw unauthorized("invalid token: no 'sub' (user) claim");
    }
    UserId user;
    try {
      user = UserId.of(sub);
    } catch (ChatException e) {
      throw unauthorized("invalid token: 'sub' is not a valid user name: " + e.detail());
    }
    if (requested != null && !requested.equals(user)) {
      throw unauthorized("the token is for user '" + user + "', not '" + requested + "'");
    }
    return new Authentication(user, Instant.ofEpochMilli(exp.getTime() + skew.toMillis()));
  }

  private static ChatException unauthorized(String message) {
    return new ChatException(ErrorCode.UNAUTHORIZED, message);
  }

  /**
   * Configures a {@link JwtAuthenticator}. Not thread-safe. Invalid values fail with {@link
   * ChatException} {@link ErrorCode#BAD_REQUEST} naming the setting.
   */
  public static final class Builder {
    private byte @Nullable [] secret;
    private @Nullable JWKSet publicKeys;
    private @Nullable String issuer;
    private @Nullable String audience;
    private Duration skew = Duration.ofSeconds(30);
    private ChatClock clock = ChatClock.system();

    private Builder() {}

    /**
     * HS256 with this shared secret (at least {@value #MIN_SECRET_BYTES} bytes).
     *
     * @param secret the secret
     * @return this builder
     */
    public Builder hmacSecret(byte[] secret) {
      if (secret == null || secret.length < MIN_SECRET_BYTES) {
        throw bad("the HS256 secret must have at least " + MIN_SECRET_BYTES + " bytes");
      }
      this.secret = secret.clone();
      return this;
    }

    /**
     * HS256 with the UTF-8 bytes of this secret (at least {@value #MIN_SECRET_BYTES} bytes).
     *
     * @param secret the secret
     * @return this builder
     */
    public Builder hmacSecret(String secret) {
      return hmacSecret(secret == null ? new byte[0] : secret.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * RS256 or ES256 (P-256) with the public key in this PEM text ({@code -----BEGIN PUBLIC
     * KEY-----}, X.509 SubjectPublicKeyInfo).
     *
     * @param pem the PEM text
     * @return this builder
     */
    public Builder publicKeyPem(String pem) {
      this.publicKeys = new JWKSet(jwk(parsePem(pem)));
      return this;
    }

    /**
     * Like {@link #publicKeyPem(String)}, read from a file.
     *
     * @param file the PEM file
     * @return this builder
     */
    public Builder publicKeyPem(Path file) {
      return publicKeyPem(read(file));
    }

    /**
     * RS256 or ES256 with the public keys of this JWKS file (JSON {@code {"keys":[...]}}); a token's
     * {@code kid} picks the key.
     *
     * @param file the JWKS file
     * @return this builder
     */
    public Builder jwks(Path file) {
      try {
        JWKSet set = JWKSet.parse(read(file)).toPublicJWKSet();
        if (set.getKeys().isEmpty()) {
          throw bad("the JWKS file " + file + " holds no public key");
        }
        this.publicKeys = set;
      } catch (ParseException e) {
        throw bad("the JWKS file " + file + " is not a valid JWK set: " + e.getMessage());
      }
      return this;
    }

    /**
     * Requires this {@code iss} claim. Default: not checked.
     *
     * @param issuer the expected issuer
     * @return this builder
     */
    public Builder issuer(String issuer) {
      if (issuer == null || issuer.isBlank()) {
        throw bad("issuer must not be blank");
      }
      this.issuer = issuer;
      return this;
    }

    /**
     * Requires this value among the {@code aud} claim. Default: not checked.
     *
     * @param audience the expected audience
     * @return this builder
     */
    public Builder audience(String audience) {
      if (audience == null || audience.isBlank()) {
        throw bad("audience must not be blank");
      }
      this.audience = audience;
      return this;
    }

    /**
     * Tolerance for clocks that disagree, applied to {@code exp} and {@code nbf}. Default 30 s; at
     * most 5 minutes.
     *
     * @param skew the tolerance, 0 to 5 minutes
     * @return this builder
     */
    public Builder clockSkew(Duration skew) {
      if (skew == null || skew.isNegative() || skew.compareTo(Duration.ofMinutes(5)) > 0) {
        throw bad("clockSkew must be 0 to 5 minutes, was " + skew);
      }
      this.skew = skew;
      return this;
    }

    /**
     * The clock {@code exp} and {@code nbf} are checked against. Default the system clock.
     *
     * @param clock the clock
     * @return this builder
     */
    public Builder clock(ChatClock clock) {
      if (clock == null) {
        throw bad("clock must not be null");
      }
      this.clock = clock;
      return this;
    }

    /**
     * Builds the authenticator.
     *
     * @return the authenticator
     * @throws ChatException BAD_REQUEST unless exactly one key source was set
     */
    public JwtAuthenticator build() {
      byte[] s = secret;
      JWKSet keys = publicKeys;
      if ((s == null) == (keys == null)) {
        throw bad("set exactly one of hmacSecret, publicKeyPem or jwks");
      }
      if (s != null) {
        return new JwtAuthenticator(this, new JWSVerificationKeySelector<>(JWSAlgorithm.HS256, new ImmutableSecret<>(s)));
      }
      return new JwtAuthenticator(
          this, new JWSVerificationKeySelector<>(Set.of(JWSAlgorithm.RS256, JWSAlgorithm.ES256), new ImmutableJWKSet<>(keys)));
    }

    private static String read(Path file) {
      try {
        return Files.readString(file, StandardCharsets.UTF_8);
      } catch (IOException | RuntimeException e) {
        throw bad("cannot read " + file + ": " + e);
      }
    }

    private static PublicKey parsePem(String pem) {
      if (pem == null || !pem.contains("-----BEGIN PUBLIC KEY-----")) {
        throw bad("publicKeyPem needs a '-----BEGIN PUBLIC KEY-----' block");
      }
      String body = pem.substring(pem.indexOf("-----BEGIN PUBLIC KEY-----") + "-----BEGIN PUBLIC KEY-----".length());
      int end = body.indexOf("-----END PUBLIC KEY-----");
      if (end < 0) {
        throw bad("publicKeyPem: no '-----END PUBLIC KEY-----' line");
      }
      byte[] der;
      try {
        der = Base64.getMimeDecoder().decode(body.substring(0, end));
      } catch (IllegalArgumentException e) {
        throw bad("publicKeyPem: the key is not valid base64");
      }
      for (String algorithm : List.of("RSA", "EC")) {
        try {
          return KeyFactory.getInstance(algorithm).generatePublic(new X509EncodedKeySpec(der));
        } catch (java.security.GeneralSecurityException e) {
          // try the next algorithm
        }
      }
      throw bad("publicKeyPem: neither an RSA nor an EC public key");
    }

    private static JWK jwk(PublicKey key) {
      if (key instanceof RSAPublicKey rsa) {
        return new RSAKey.Builder(rsa).build();
      }
      ECPublicKey ec = (ECPublicKey) key;
      Curve curve = Curve.forECParameterSpec(ec.getParams());
      if (!Curve.P_256.equals(curve)) {
        throw bad("publicKeyPem: ES256 needs a P-256 key, this one is " + curve);
      }
      return new ECKey.Builder(curve, ec).build();
    }

    private static ChatException bad(String message) {
      return new ChatException(ErrorCode.BAD_REQUEST, message);
    }
  }
}
