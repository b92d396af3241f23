package io.chatmesh.examples;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * A container health check that needs nothing but the JRE of the image: {@code java -cp
 * /app/classes io.chatmesh.examples.HttpCheck http://127.0.0.1:8081/readyz} exits 0 when the URL
 * answers 200 within 3 s, else 1 (printing why), 2 for a wrong argument. Used by {@code
 * deploy/compose.yaml}: the base image may have no curl or wget. Stateless.
 */
public final class HttpCheck {
  private HttpCheck() {}

  /**
   * Checks the URL given as the only argument.
   *
   * @param args one {@code http://} URL
   */
  public static void main(String[] args) {
    System.exit(check(args));
  }

  /** The exit code for {@code args}; prints the reason of a failure to standard error. */
  static int check(String[] args) {
    URI uri;
    try {
      if (args.length != 1) {
        throw new IllegalArgumentException("expected one URL, got " + args.length + " arguments");
      }
      uri = URI.create(args[0]);
      if (!"http".equals(uri.getScheme()) || uri.getHost() == null) {
        throw new IllegalArgumentException("not an http://host URL: " + args[0]);
      }
    } catch (IllegalArgumentException e) {
      System.err.println("usage: HttpCheck http://HOST:PORT/PATH (" + e.getMessage() + ")");
      return 2;
    }
    HttpClient client =
        HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(3)).build();
    HttpRequest request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(3)).GET().build();
    try {
      HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() == 200) {
        return 0;
      }
      System.err.println(uri + " answered " + response.statusCode() + ": " + response.body().strip());
      return 1;
    } catch (IOException e) {
      System.err.println(uri + " did not answer: " + e);
      return 1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 1;
    }
  }
}
