package io.chatmesh.examples;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Runs the JavaScript client's tests ({@code node --test clients/js/test/}) against a real 3-node
 * cluster of demo processes started here. The node tests get the gateway URLs in {@code
 * CHATMESH_URLS} and can SIGKILL and restart a node through a small control endpoint ({@code POST
 * CHATMESH_CONTROL/kill?node=n2}, {@code /restart?node=n2}). Skipped with a message when {@code node}
 * is not installed; fails when any node test fails.
 */
@Timeout(120)
class JsClientClusterTest {
  static final Path JS_CLIENT = Path.of("..", "clients", "js").toAbsolutePath().normalize();

  @Test
  void nodeTestsPassAgainstAThreeNodeCluster() throws Exception {
    Assumptions.assumeTrue(nodeVersion() >= 20,
        "JavaScript client tests skipped: install Node.js 20 or newer (`node` on the PATH)");
    assertThat(JS_CLIENT.resolve("chatmesh.js")).exists();
    try (DemoCluster cluster = DemoCluster.start(3)) {
      HttpServer control = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
      control.createContext("/", exchange -> control(cluster, exchange));
      control.start();
      try {
        Path log = Files.createTempFile("chatmesh-node-test", ".log");
        ProcessBuilder pb = new ProcessBuilder("node", "--experimental-websocket", "--test", "--test-reporter=spec",
            "test/")
            .directory(JS_CLIENT.toFile())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile());
        pb.environment().put("CHATMESH_URLS", String.join(",", cluster.webSocketUrls()));
        pb.environment().put("CHATMESH_CONTROL", "http://127.0.0.1:" + control.getAddress().getPort());
        Process node = pb.start();
        boolean done = node.waitFor(90, TimeUnit.SECONDS);
        if (!done) {
          node.destroyForcibly();
        }
        String output = Files.readString(log, StandardCharsets.UTF_8);
        System.out.println(output);
        assertThat(done).as("node --test finished within 90 s:\n" + output).isTrue();
        assertThat(node.exitValue()).as("node --test exit code; its output:\n" + output).isZero();
        assertThat(output).as("node's summary").containsPattern("pass [1-9]").containsPattern("fail 0\\b")
            .doesNotContainPattern("skipped [1-9]");
      } finally {
        control.stop(0);
      }
    }
  }

  private static void control(DemoCluster cluster, HttpExchange exchange) throws IOException {
    String path = exchange.getRequestURI().getPath();
    String query = exchange.getRequestURI().getQuery();
    String node = query != null && query.startsWith("node=") ? query.substring(5) : "";
    int status = 200;
    String body = "ok\n";
    try {
      if (!node.matches("n[0-9]+")) {
        status = 400;
        body = "want ?node=nX\n";
      } else if (path.equals("/kill")) {
        cluster.kill(node);
      } else if (path.equals("/restart")) {
        cluster.restart(node);
      } else {
        status = 404;
        body = "unknown: " + path + "\n";
      }
    } catch (Exception e) {
      status = 500;
      body = e + "\n" + String.join("\n", cluster.output(node)) + "\n";
    }
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.sendResponseHeaders(status, bytes.length);
    exchange.getResponseBody().write(bytes);
    exchange.close();
  }

  /** The major version of {@code node} on the PATH, or 0 if there is none. */
  static int nodeVersion() {
    try {
      Process p = new ProcessBuilder("node", "--version").redirectErrorStream(true).start();
      String v = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0 || !v.startsWith("v")) {
        return 0;
      }
      return Integer.parseInt(v.substring(1, v.indexOf('.')));
    } catch (IOException | InterruptedException | RuntimeException e) {
      return 0;
    }
  }
}
