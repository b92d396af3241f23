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
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code ./demo.sh token NAME [--secret S] [--ttl 1h]}: prints a development token (HS256 JWT, {@code
 * sub} = NAME) for a demo started with {@code --auth jwt:S}. Without {@code --secret} it signs with
 * {@link #DEV_SECRET}, the secret of {@code --auth jwt}. Development only: a real deployment gets its
 * tokens from its login service. A picocli subcommand of the demo; one instance per command line.
 */
@Command(
    name = "token",
    versionProvider = ProjectVersion.Demo.class,
    synopsisHeading = "usage: ",
    customSynopsis = "./demo.sh token NAME [--secret S] [--ttl 1h]",
    description = "print a dev token for NAME (HS256, sub=NAME; default secret: the one of --auth jwt);"
        + " starts no node",
    usageHelpWidth = 100,
    sortOptions = false)
final class DemoToken implements Callable<Integer> {
  /** The secret of {@code --auth jwt} without one: public, for local development only. */
  static final String DEV_SECRET = "chatmesh-demo-secret-for-local-development-only";

  @Spec CommandSpec spec;

  @Parameters(paramLabel = "NAME", description = "the user the token names")
  String name = "";

  @Option(names = "--secret", paramLabel = "S", description = "the HS256 secret, at least 32 bytes; default: the one of --auth jwt")
  String secret = DEV_SECRET;

  @Option(names = "--ttl", paramLabel = "D", description = "how long the token is valid: 90s, 30m, 1h (default) or 7d, at most 30 days")
  String ttl = "1h";

  @Option(names = {"-h", "--help"}, usageHelp = true, description = "this text")
  boolean help;

  @Option(names = {"-V", "--version"}, versionHelp = true, description = "the version of chatmesh")
  boolean version;

  /** Prints the token on the command line's standard output. */
  @Override
  public Integer call() {
    spec.commandLine().getOut().println(token(Instant.now()));
    spec.commandLine().getOut().flush();
    return 0;
  }

  /**
   * The token for the parsed options.
   *
   * @throws ParameterException naming the option whose value is wrong
   */
  String token(Instant now) {
    UserId user;
    try {
      user = UserId.of(name);
    } catch (RuntimeException e) {
      throw new ParameterException(spec.commandLine(), "NAME: not a valid user name: '" + name + "'");
    }
    Duration d;
    try {
      d = duration(ttl);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage());
    }
    if (secret.getBytes(StandardCharsets.UTF_8).length < JwtAuthenticator.MIN_SECRET_BYTES) {
      throw new ParameterException(
          spec.commandLine(), "--secret must have at least " + JwtAuthenticator.MIN_SECRET_BYTES + " bytes");
    }
    return sign(user, secret, now, d);
  }

  /**
   * Parses {@code NAME [--secret S] [--ttl D]} as the {@code token} command does and returns the
   * token.
   *
   * @throws ParameterException naming what is wrong
   */
  static String run(String[] args, Instant now) {
    DemoToken command = new DemoToken();
    new CommandLine(command).parseArgs(args);
    return command.token(now);
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
