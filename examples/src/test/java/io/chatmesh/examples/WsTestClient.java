package io.chatmesh.examples;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/** A JSON WebSocket test client over java.net.http; every wait is bounded. */
final class WsTestClient implements AutoCloseable {
  static final Duration WAIT = Duration.ofSeconds(20);
  private static final ObjectMapper JSON = new ObjectMapper();
  private final BlockingQueue<JsonNode> frames = new LinkedBlockingQueue<>();
  private final Deque<JsonNode> backlog = new ArrayDeque<>();
  private final AtomicInteger ids = new AtomicInteger();
  private final WebSocket ws;

  WsTestClient(int port) throws Exception {
    ws = HttpClient.newHttpClient().newWebSocketBuilder()
        .buildAsync(URI.create("ws://127.0.0.1:" + port + "/ws"), new WebSocket.Listener() {
          private final StringBuilder partial = new StringBuilder();

          @Override
          public CompletionStage<?> onText(WebSocket w, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
              try {
                frames.add(JSON.readTree(partial.toString()));
              } catch (Exception e) {
                throw new IllegalStateException(e);
              }
              partial.setLength(0);
            }
            w.request(1);
            return null;
          }
        })
        .get(10, TimeUnit.SECONDS);
  }

  void send(String json) {
    ws.sendText(json, true).orTimeout(10, TimeUnit.SECONDS).join();
  }

  /** Sends {@code json} (an object without "id") with a fresh id; returns the reply to it. */
  JsonNode request(String json) throws InterruptedException {
    String id = "t" + ids.incrementAndGet();
    send(json.substring(0, json.length() - 1) + ",\"id\":\"" + id + "\"}");
    return reply(id);
  }

  JsonNode reply(String id) throws InterruptedException {
    return next(n -> id.equals(n.path("id").asText()) && !"message".equals(n.path("type").asText()));
  }

  JsonNode next(String type) throws InterruptedException {
    return next(n -> type.equals(n.path("type").asText()));
  }

  /** The oldest unconsumed frame matching {@code p}; others stay unconsumed. */
  JsonNode next(Predicate<JsonNode> p) throws InterruptedException {
    for (var it = backlog.iterator(); it.hasNext(); ) {
      JsonNode n = it.next();
      if (p.test(n)) {
        it.remove();
        return n;
      }
    }
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (true) {
      long left = deadline - System.nanoTime();
      JsonNode n = left <= 0 ? null : frames.poll(left, TimeUnit.NANOSECONDS);
      if (n == null) {
        throw new AssertionError("no matching frame within " + WAIT + "; unconsumed: " + backlog);
      }
      if (p.test(n)) {
        return n;
      }
      backlog.add(n);
    }
  }

  @Override
  public void close() {
    ws.abort();
  }
}
