package io.chatmesh.examples;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.chatmesh.UserId;
import io.chatmesh.websocket.JwtAuthenticator;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code ./demo.sh token NAME [--secret S] [--ttl 1h]}: prints a development token (HS256 JWT, {@code
 * sub} = NAME) for a demo started with {@code --auth jwt:S}. Without {@code --secret} it signs with
 * {@link #DEV_SECRET}, the secret of {@code --auth jwt}. Development only: a real deployment gets its
 * tokens from its login service. Stateless.
 */
final class DemoToken {
  /** The secret of {@code --auth jwt} without one: public, for local development only. */
  static final String DEV_SECRET = "chatmesh-demo-secret-for-local-development-only";

  private DemoToken() {}

  /** Parses {@code NAME [--secret S] [--ttl D]} and returns the token; IllegalArgumentException on bad input. */
  static String run(String[] args, Instant now) {
    String name = null;
    String secret = DEV_SECRET;
    Duration ttl = Duration.ofHours(1);
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      switch (a) {
        case "--secret" -> secret = value(args, ++i, a);
        case "--ttl" -> ttl = duration(value(args, ++i, a));
        default -> {
          if (a.startsWith("-") || name != null) {
            throw new IllegalArgumentException("usage: demo.sh token NAME [--secret S] [--ttl 1h]; unexpected '" + a + "'");
          }
          name = a;
        }
      }
    }
    if (name == null) {
      throw new IllegalArgumentException("usage: demo.sh token NAME [--secret S] [--ttl 1h]");
    }
    UserId user;
    try {
      user = UserId.of(name);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("not a valid user name: '" + name + "'");
    }
    return sign(user, secret, now, ttl);
  }

  static String sign(UserId user, String secret, Instant now, Duration ttl) {
    byte[] key = secret.getBytes(StandardCharsets.UTF_8);
    if (key.length < JwtAuthenticator.MIN_SECRET_BYTES) {
      throw new IllegalArgumentException("the secret must have at least " + JwtAuthenticator.MIN_SECRET_BYTES + " bytes");
    }
    JWTClaimsSet claims = new JWTClaimsSet.Builder()
        .subject(user.value())
        .issueTime(Date.from(now))
        .expirationTime(Date.from(now.plus(ttl)))
        .build();
    SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.HS256).type(JOSEObjectType.JWT).build(), claims);
    try {
      jwt.sign(new MACSigner(key));
    } catch (JOSEException e) {
      throw new IllegalArgumentException("cannot sign: " + e.getMessage(), e);
    }
    return jwt.serialize();
  }

  private static String value(String[] args, int i, String option) {
    if (i >= args.length) {
      throw new IllegalArgumentException(option + " needs a value");
    }
    return args[i];
  }

  /** {@code 90s}, {@code 30m}, {@code 1h}, {@code 7d}: 1 second to 30 days. */
  static Duration duration(String text) {
    Matcher m = Pattern.compile("(\\d{1,7})([smhd])").matcher(text.trim());
    if (!m.matches()) {
      throw new IllegalArgumentException("--ttl must look like 90s, 30m, 1h or 7d, was '" + text + "'");
    }
    long n = Long.parseLong(m.group(1));
    Duration d = switch (m.group(2)) {
      case "s" -> Duration.ofSeconds(n);
      case "m" -> Duration.ofMinutes(n);
      case "h" -> Duration.ofHours(n);
      default -> Duration.ofDays(n);
    };
    if (d.isZero() || d.compareTo(Duration.ofDays(30)) > 0) {
      throw new IllegalArgumentException("--ttl must be 1 second to 30 days, was '" + text + "'");
    }
    return d;
  }
}
