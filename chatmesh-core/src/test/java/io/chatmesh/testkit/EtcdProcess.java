package io.chatmesh.testkit;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A throwaway single-member etcd for the tests (chatmesh-lease-etcd's, and the demo's process
 * failover test in examples): Debian's {@code etcd-server} binary ({@code .ci/run} installs it),
 * started on free local ports with a fresh data directory, stopped and deleted by {@link #close()}.
 * Not thread-safe.
 */
public final class EtcdProcess implements AutoCloseable {
  /** Where the binary is looked for; {@code -Dchatmesh.etcd.binary=...} overrides. */
  public static final Path BINARY = Path.of(System.getProperty("chatmesh.etcd.binary", "/usr/bin/etcd"));

  private final Process process;
  private final Path dir;
  private final String clientUrl;

  private EtcdProcess(Process process, Path dir, String clientUrl) {
    this.process = process;
    this.dir = dir;
    this.clientUrl = clientUrl;
  }

  /**
   * Whether the binary is there.
   *
   * @return whether {@link #BINARY} is executable
   */
  public static boolean available() {
    return Files.isExecutable(BINARY);
  }

  /**
   * Starts etcd and waits (at most 30 s) until its {@code /health} says true.
   *
   * @return the running etcd
   * @throws IOException if it cannot be started
   */
  public static EtcdProcess start() throws IOException {
    Path dir = Files.createTempDirectory("chatmesh-etcd");
    String client = "http://127.0.0.1:" + freePort();
    String peer = "http://127.0.0.1:" + freePort();
    Process p = new ProcessBuilder(List.of(BINARY.toString(),
            "--name", "default",
            "--data-dir", dir.resolve("data").toString(),
            "--listen-client-urls", client, "--advertise-client-urls", client,
            "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
            "--initial-cluster", "default=" + peer))
        .redirectErrorStream(true)
        .redirectOutput(dir.resolve("etcd.log").toFile())
        .start();
    EtcdProcess etcd = new EtcdProcess(p, dir, client);
    try {
      HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
      await("etcd at " + client + " healthy (log: " + dir.resolve("etcd.log") + ")")
          .atMost(Duration.ofSeconds(30))
          .pollInterval(Duration.ofMillis(100))
          .ignoreExceptions()
          .until(() -> {
            if (!p.isAlive()) {
              throw new IllegalStateException("etcd exited with " + p.exitValue() + "; see " + dir.resolve("etcd.log"));
            }
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(client + "/health")).build(),
                HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200 && r.body().contains("true");
          });
    } catch (RuntimeException e) {
      etcd.close();
      throw e;
    }
    return etcd;
  }

  /**
   * Its client URL.
   *
   * @return {@code http://127.0.0.1:PORT}
   */
  public String clientUrl() {
    return clientUrl;
  }

  /**
   * A local port that was free a moment ago.
   *
   * @return the port
   */
  public static int freePort() {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    } catch (IOException e) {
      // a temp directory left behind is harmless
    }
  }
}
