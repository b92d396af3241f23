package io.chatmesh.examples;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * A terminal chat client for the chatmesh WebSocket protocol.
 *
 * <pre>
 * ChatCli [ws://127.0.0.1:8081/ws] [name]
 *   /rooms  /create NAME  /join NAME  /leave [NAME]  /delete NAME  /room NAME  /quit
 *   any other line is sent to the current room (the one joined last, or chosen with /room)
 * </pre>
 *
 * Not thread-safe beyond its own two threads (stdin reader and WebSocket listener).
 */
public final class ChatCli {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final PrintStream out;
  private final AtomicLong ids = new AtomicLong();
  private final CompletableFuture<Void> closed = new CompletableFuture<>();
  private final java.util.Map<String, CompletableFuture<Void>> pending = new java.util.concurrent.ConcurrentHashMap<>();
  private volatile @Nullable String current;
  private @Nullable WebSocket ws;

  private ChatCli(PrintStream out) {
    this.out = out;
  }

  /** Connects and runs until /quit, end of input, or the server closing the connection. */
  public static void main(String[] args) throws Exception {
    String url = args.length > 0 ? args[0] : "ws://127.0.0.1:8081/ws";
    String name = args.length > 1 ? args[1] : System.getProperty("user.name", "guest").replaceAll("[^A-Za-z0-9._-]", "");
    if (name.isEmpty()) {
      name = "guest";
    }
    int code = new ChatCli(System.out).run(URI.create(url), name,
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)));
    System.exit(code);
  }

  private int run(URI uri, String name, BufferedReader in) throws Exception {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    WebSocket socket;
    try {
      socket = http.newWebSocketBuilder().buildAsync(uri, new Listener()).get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      out.println("cannot connect to " + uri + ": " + e.getCause());
      return 1;
    }
    ws = socket;
    request("hello", o -> o.put("user", name));
    out.println("connected to " + uri + " — /rooms /create /join /leave /delete /room /quit; other lines are sent");
    String line;
    while (!closed.isDone() && (line = in.readLine()) != null) {
      line = line.strip();
      if (line.isEmpty()) {
        continue;
      }
      if (!handle(line)) {
        break;
      }
    }
    if (!closed.isDone()) {
      socket.sendClose(WebSocket.NORMAL_CLOSURE, "bye").get(5, TimeUnit.SECONDS);
      closed.completeOnTimeout(null, 2, TimeUnit.SECONDS).join();
    }
    return 0;
  }

  /** Handles one input line; false to quit. */
  private boolean handle(String line) {
    if (!line.startsWith("/")) {
      String room = current;
      if (room == null) {
        out.println("! join a room first (/join NAME)");
      } else {
        request("send", o -> o.put("room", room).put("text", line));
      }
      return true;
    }
    String[] parts = line.split("\\s+", 2);
    String arg = parts.length > 1 ? parts[1].trim() : "";
    switch (parts[0]) {
      case "/quit", "/exit" -> {
        return false;
      }
      case "/rooms" -> request("rooms", o -> { });
      case "/create", "/join", "/delete" -> {
        if (arg.isEmpty()) {
          out.println("! usage: " + parts[0] + " ROOM");
        } else {
          request(parts[0].substring(1), o -> o.put("room", arg));
        }
      }
      case "/leave" -> {
        String room = arg.isEmpty() ? current : arg;
        if (room == null) {
          out.println("! usage: /leave ROOM");
        } else {
          request("leave", o -> o.put("room", room));
        }
      }
      case "/room" -> {
        current = arg.isEmpty() ? current : arg;
        out.println("* current room: " + current);
      }
      default -> out.println("! unknown command " + parts[0]
          + "; try /rooms /create /join /leave /delete /room /quit");
    }
    return true;
  }

  /** Sends a request and waits (up to 10 s) for its reply, so commands run one after another. */
  private void request(String type, java.util.function.Consumer<ObjectNode> fill) {
    ObjectNode o = JSON.createObjectNode();
    o.put("type", type);
    String id = "cli-" + ids.incrementAndGet();
    o.put("id", id);
    fill.accept(o);
    WebSocket socket = ws;
    if (socket == null) {
      return;
    }
    CompletableFuture<Void> replied = new CompletableFuture<>();
    pending.put(id, replied);
    try {
      socket.sendText(o.toString(), true).orTimeout(10, TimeUnit.SECONDS).join();
      CompletableFuture.anyOf(replied, closed).get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      out.println("! no reply to " + type + " within 10 s");
    } finally {
      pending.remove(id);
    }
  }

  private void show(JsonNode f) {
    String room = f.path("room").asText();
    if (!"message".equals(f.path("type").asText())) {
      CompletableFuture<Void> waiting = pending.get(f.path("id").asText());
      if (waiting != null) {
        // completed after printing, below
        try {
          print(f, room);
        } finally {
          waiting.complete(null);
        }
        return;
      }
    }
    print(f, room);
  }

  private void print(JsonNode f, String room) {
    switch (f.path("type").asText()) {
      case "welcome" -> out.println("* signed in as " + f.path("user").asText() + " on node " + f.path("node").asText());
      case "rooms" -> {
        out.println("* rooms:");
        for (JsonNode r : f.path("rooms")) {
          out.printf("    %-20s admin %-4s members %d%s%n", r.path("room").asText(), r.path("admin").asText(),
              r.path("members").asInt(), r.path("available").asBoolean(true) ? "" : "  (unavailable)");
        }
      }
      case "created" -> out.println("* created " + room + " (admin " + f.path("admin").asText() + ")");
      case "joined" -> {
        current = room;
        out.println("* joined " + room + " (admin " + f.path("admin").asText() + ", members " + f.path("members") + ")");
      }
      case "left" -> {
        if (room.equals(current)) {
          current = null;
        }
        out.println("* left " + room);
      }
      case "deleted" -> {
        if (room.equals(current)) {
          current = null;
        }
        out.println("* room " + room + " was deleted");
      }
      case "ack" -> { }
      case "message" -> out.printf("[%s #%d] %s: %s%n", room, f.path("seq").asLong(), f.path("user").asText(),
          f.path("text").asText());
      case "member_joined" -> out.println("* " + f.path("user").asText() + " joined " + room);
      case "member_left" -> out.println("* " + f.path("user").asText() + " left " + room
          + ("LEFT".equals(f.path("reason").asText("LEFT")) ? "" : " (" + f.path("reason").asText() + ")"));
      case "unavailable" -> out.println("! room " + room + " is unavailable: " + f.path("reason").asText());
      case "available" -> out.println("* room " + room + " is available again");
      case "lost" -> out.println("! " + room + ": messages " + f.path("from").asLong() + ".." + f.path("to").asLong()
          + " could not be recovered");
      case "error" -> out.println("! " + f.path("code").asText() + ": " + f.path("message").asText());
      default -> out.println("? " + f);
    }
    out.flush();
  }

  private final class Listener implements WebSocket.Listener {
    private final StringBuilder partial = new StringBuilder();

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
      partial.append(data);
      if (last) {
        String text = partial.toString();
        partial.setLength(0);
        try {
          show(JSON.readTree(text));
        } catch (Exception e) {
          out.println("? unreadable frame: " + text);
        }
      }
      webSocket.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
      out.println("* connection closed by the server (" + statusCode + (reason.isEmpty() ? "" : " " + reason) + ")");
      closed.complete(null);
      return null;
    }

    @Override
    public void onError(WebSocket webSocket, Throwable error) {
      out.println("! connection failed: " + error);
      closed.complete(null);
    }
  }
}
