package io.chatmesh.websocket;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.chatmesh.ChatException;
import io.chatmesh.ErrorCode;
import io.chatmesh.UserId;
import io.chatmesh.time.ManualClock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.interfaces.RSAPrivateKey;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * User identity as a hostile client tries to get around it: missing, expired, wrongly signed and
 * borrowed tokens, a connection that outlives its token, and the built-in JWT verifier's key forms.
 */
@Timeout(60)
class GatewayAuthTest {
  static final String SECRET = "a-test-secret-of-at-least-32-bytes!!";
  private final ManualClock clock = new ManualClock();
  private final FakeChatNode node = new FakeChatNode("n1");
  private final List<AutoCloseable> toClose = new ArrayList<>();
  private WebSocketGateway gateway;

  @AfterEach
  void tearDown() throws Exception {
    for (AutoCloseable c : toClose) {
      c.close();
    }
    if (gateway != null) {
      gateway.close();
    }
    node.close();
  }

  private void startJwt() {
    gateway = WebSocketGateway.builder(node).port(0).clock(clock)
        .authenticator(JwtAuthenticator.builder().hmacSecret(SECRET).clock(clock).clockSkew(Duration.ofSeconds(5)).build())
        .build().start();
  }

  private RawWsClient client() throws Exception {
    RawWsClient c = RawWsClient.connect(gateway.port());
    toClose.add(c);
    return c;
  }

  static String hs256(String secret, String sub, Date exp, Date nbf) throws Exception {
    JWTClaimsSet.Builder claims = new JWTClaimsSet.Builder().subject(sub).expirationTime(exp);
    if (nbf != null) {
      claims.notBeforeTime(nbf);
    }
    return sign(new MACSigner(secret.getBytes(StandardCharsets.UTF_8)), JWSAlgorithm.HS256, claims.build());
  }

  private String token(String sub, Duration ttl) throws Exception {
    return hs256(SECRET, sub, new Date(clock.millis() + ttl.toMillis()), null);
  }

  private static String sign(JWSSigner signer, JWSAlgorithm alg, JWTClaimsSet claims) throws Exception {
    SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(alg).type(JOSEObjectType.JWT).build(), claims);
    jwt.sign(signer);
    return jwt.serialize();
  }

  private JsonNode hello(RawWsClient c, String json) throws Exception {
    c.send(json);
    return c.reply("h");
  }

  private void assertRefused(RawWsClient c, JsonNode reply, String message) throws Exception {
    assertThat(reply.path("type").asText()).isEqualTo("error");
    assertThat(reply.path("code").asText()).isEqualTo("UNAUTHORIZED");
    assertThat(reply.path("message").asText()).contains(message);
    assertThat(c.awaitClose(RawWsClient.WAIT)).isEqualTo(1008);
  }

  @Test
  void missingTokenIsRefused() throws Exception {
    startJwt();
    RawWsClient impostor = client();
    assertRefused(impostor, hello(impostor, "{\"type\":\"hello\",\"user\":\"alice\",\"id\":\"h\"}"), "token is required");
  }

  @Test
  void expiredTokenIsRefused() throws Exception {
    startJwt();
    String old = token("alice", Duration.ofMinutes(1));
    clock.advance(Duration.ofMinutes(2));
    RawWsClient c = client();
    assertRefused(c, hello(c, "{\"type\":\"hello\",\"token\":\"" + old + "\",\"id\":\"h\"}"), "token expired");
  }

  @Test
  void notYetValidTokenIsRefused() throws Exception {
    startJwt();
    String early = hs256(SECRET, "alice", new Date(clock.millis() + 3_600_000), new Date(clock.millis() + 600_000));
    RawWsClient c = client();
    assertRefused(c, hello(c, "{\"type\":\"hello\",\"token\":\"" + early + "\",\"id\":\"h\"}"), "not yet valid");
  }

  @Test
  void wronglySignedTokenIsRefused() throws Exception {
    startJwt();
    String forged = hs256("the-attackers-own-secret-32-bytes-long!", "alice", new Date(clock.millis() + 60_000), null);
    RawWsClient c = client();
    assertRefused(c, hello(c, "{\"type\":\"hello\",\"token\":\"" + forged + "\",\"id\":\"h\"}"), "invalid token");
  }

  @Test
  void unsignedTokenIsRefused() throws Exception {
    startJwt();
    Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
    String none = b64.encodeToString("{\"alg\":\"none\"}".getBytes(StandardCharsets.UTF_8)) + "."
        + b64.encodeToString(("{\"sub\":\"alice\",\"exp\":" + (clock.millis() / 1000 + 60) + "}").getBytes(StandardCharsets.UTF_8)) + ".";
    RawWsClient c = client();
    assertRefused(c, hello(c, "{\"type\":\"hello\",\"token\":\"" + none + "\",\"id\":\"h\"}"), "");
  }

  @Test
  void anotherUsersTokenCannotNameAlice() throws Exception {
    startJwt();
    RawWsClient mallory = client();
    JsonNode r = hello(mallory, "{\"type\":\"hello\",\"user\":\"alice\",\"token\":\"" + token("mallory", Duration.ofHours(1)) + "\",\"id\":\"h\"}");
    assertRefused(mallory, r, "the token is for user 'mallory', not 'alice'");
  }

  @Test
  void validTokenNamesTheUserAndTheConnectionEndsAtExpiry() throws Exception {
    startJwt();
    RawWsClient alice = client();
    JsonNode w = hello(alice, "{\"type\":\"hello\",\"token\":\"" + token("alice", Duration.ofMinutes(10)) + "\",\"id\":\"h\"}");
    assertThat(w.path("type").asText()).isEqualTo("welcome");
    assertThat(w.path("user").asText()).isEqualTo("alice");
    alice.send("{\"type\":\"rooms\",\"id\":\"r\"}");
    assertThat(alice.reply("r").path("type").asText()).isEqualTo("rooms");

    clock.advance(Duration.ofMinutes(10)); // exp reached, still within the 5 s skew
    alice.send("{\"type\":\"rooms\",\"id\":\"r2\"}");
    assertThat(alice.reply("r2").path("type").asText()).isEqualTo("rooms");

    clock.advance(Duration.ofSeconds(5));
    JsonNode e = alice.next("error");
    assertThat(e.path("code").asText()).isEqualTo("UNAUTHORIZED");
    assertThat(e.path("message").asText()).isEqualTo("token expired");
    assertThat(alice.awaitClose(RawWsClient.WAIT)).isEqualTo(1008);
  }

  @Test
  void rs256PublicKeyPemAndEs256JwksVerify(@TempDir Path dir) throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
    g.initialize(2048);
    KeyPair rsa = g.generateKeyPair();
    String pem = "-----BEGIN PUBLIC KEY-----\n"
        + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(rsa.getPublic().getEncoded())
        + "\n-----END PUBLIC KEY-----\n";
    Path pemFile = Files.writeString(dir.resolve("key.pem"), pem);
    JwtAuthenticator byPem = JwtAuthenticator.builder().publicKeyPem(pemFile).clock(clock).build();
    JWTClaimsSet claims = new JWTClaimsSet.Builder().subject("alice").issuer("idp").audience("chat")
        .expirationTime(new Date(clock.millis() + 60_000)).build();
    String rs = sign(new RSASSASigner((RSAPrivateKey) rsa.getPrivate()), JWSAlgorithm.RS256, claims);
    assertThat(byPem.authenticate(null, rs).user()).isEqualTo(UserId.of("alice"));
    assertThat(byPem.authenticate(null, rs).expiresAt().toEpochMilli()).isEqualTo(clock.millis() / 1000 * 1000 + 60_000 + 30_000);
    // the HS256 "key confusion" attack: the public key used as an HMAC secret
    String confused = sign(new MACSigner(pem.getBytes(StandardCharsets.US_ASCII)), JWSAlgorithm.HS256, claims);
    assertUnauthorized(() -> byPem.authenticate(null, confused), "invalid token");

    ECKey ec = new ECKeyGenerator(Curve.P_256).keyID("k1").generate();
    Path jwks = Files.writeString(dir.resolve("jwks.json"), new JWKSet(ec.toPublicJWK()).toString());
    JwtAuthenticator byJwks = JwtAuthenticator.builder().jwks(jwks).issuer("idp").audience("chat").clock(clock).build();
    SignedJWT es = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES256).keyID("k1").build(), claims);
    es.sign(new ECDSASigner(ec));
    assertThat(byJwks.authenticate(UserId.of("alice"), es.serialize()).user()).isEqualTo(UserId.of("alice"));

    JwtAuthenticator otherIssuer = JwtAuthenticator.builder().jwks(jwks).issuer("elsewhere").clock(clock).build();
    assertUnauthorized(() -> otherIssuer.authenticate(null, es.serialize()), "wrong issuer");
    JwtAuthenticator otherAudience = JwtAuthenticator.builder().jwks(jwks).audience("billing").clock(clock).build();
    assertUnauthorized(() -> otherAudience.authenticate(null, es.serialize()), "wrong audience");
  }

  @Test
  void builderRefusesWeakOrMissingKeys() {
    assertThatThrownBy(() -> JwtAuthenticator.builder().hmacSecret("short").build())
        .isInstanceOfSatisfying(ChatException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.BAD_REQUEST));
    assertThatThrownBy(() -> JwtAuthenticator.builder().build()).hasMessageContaining("exactly one");
    assertThatThrownBy(() -> JwtAuthenticator.builder().publicKeyPem("not a key")).hasMessageContaining("BEGIN PUBLIC KEY");
  }

  private static void assertUnauthorized(org.assertj.core.api.ThrowableAssert.ThrowingCallable call, String message) {
    assertThatThrownBy(call).isInstanceOfSatisfying(ChatException.class, e -> {
      assertThat(e.code()).isEqualTo(ErrorCode.UNAUTHORIZED);
      assertThat(e.detail()).contains(message);
    });
  }
}
