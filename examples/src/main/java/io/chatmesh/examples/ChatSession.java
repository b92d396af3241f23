package io.chatmesh.examples;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * One session of the terminal client ({@link ChatCli}): the connection (and reconnections), the
 * rooms joined with the last event seen in each (for resume and de-duplication), and the command
 * loop. Commands run on the thread that calls {@link #run}; frames are printed on the WebSocket
 * listener's thread; shared state is guarded by this object's monitor or volatile.
 */
/** One run of the client: connection(s), rooms and the command loop. */
final class ChatSession {
  static final String HELP = """
      /rooms               list the rooms of the cluster
      /create ROOM         create a room (this node becomes its admin)
      /join ROOM           join a room (shows its last 20 events) and make it current
      /leave [ROOM]        leave a room (default: the current one)
      /room ROOM           switch the current room (one you joined)
      /members [ROOM]      who is in a room you joined
      /history [N]         the last N (default 20) messages of the current room
      /delete ROOM         delete a room (on its admin node only)
      /help                this text
      /quit                leave (also end of input, Ctrl-D)
      anything else        is sent to the current room
      """;
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final java.time.format.DateTimeFormatter TIME =
      java.time.format.DateTimeFormatter.ofPattern("HH:mm:ss").withZone(java.time.ZoneId.systemDefault());
  private final ChatCli.Options options;
  private final BlockingQueue<Optional<String>> lines;
  private final PrintStream out;
  private final AtomicLong ids = new AtomicLong();
  private final Map<String, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();
  /** Rooms joined: name -> state. Guarded by this. */
  private final Map<String, Joined> joined = new TreeMap<>();
  private volatile @Nullable String current;
  private volatile @Nullable WebSocket ws;
  private volatile CompletableFuture<String> lost = new CompletableFuture<>();
  private int urlIndex;

  /** A joined room: last event seen (for resume) and members. */
  private static final class Joined {
    long epoch;
    long seq;
    long joinSeq;
    final TreeSet<String> members = new TreeSet<>();
  }

  ChatSession(ChatCli.Options options, BlockingQueue<Optional<String>> lines, PrintStream out) {
    this.options = options;
    this.lines = lines;
    this.out = out;
  }

  int run() {
    int code = connect(true);
    if (code != ChatCli.OK) {
      return code;
    }
    println("* type /help for commands; other lines are sent to the current room");
    while (true) {
      Optional<String> line;
      try {
        line = lines.poll(100, TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return ChatCli.OK;
      }
      if (lost.isDone()) {
        println("! connection lost: " + lost.join());
        if (!options.reconnect()) {
          println("! exiting (start with --reconnect to reconnect automatically)");
          return ChatCli.LOST;
        }
        code = reconnect();
        if (code != ChatCli.OK) {
          return code;
        }
      }
      if (line == null) {
        continue;
      }
      if (line.isEmpty() || !handle(line.get().strip())) {
        close();
        return ChatCli.OK;
      }
    }
  }

  // ---------------------------------------------------------------- connection

  /** Connects to the next URL and says hello; OK, UNREACHABLE or REFUSED. */
  private int connect(boolean first) {
    int tries = first ? options.urls().size() : 1;
    String lastFailure = "";
    for (int i = 0; i < tries; i++) {
      URI uri = options.urls().get(urlIndex % options.urls().size());
      urlIndex++;
      lost = new CompletableFuture<>();
      try {
        ws = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()
            .newWebSocketBuilder().buildAsync(uri, new Listener()).get(10, TimeUnit.SECONDS);
      } catch (Exception e) {
        Throwable cause = e.getCause() != null ? e.getCause() : e;
        lastFailure = uri + ": " + (cause.getMessage() != null ? cause.getMessage() : cause.toString());
        continue;
      }
      JsonNode reply = request("hello", o -> {
        o.put("user", options.name());
        if (options.token() != null) {
          o.put("token", options.token());
        }
      });
      if (reply == null) {
        lastFailure = uri + ": no answer to hello";
        continue;
      }
      if (reply.path("type").asText().equals("welcome")) {
        println("* connected to node " + reply.path("node").asText() + " (" + uri + ") as " + options.name());
        return ChatCli.OK;
      }
      println("! the server refused the name '" + options.name() + "': " + reply.path("message").asText()
          + (reply.path("code").asText().equals("BAD_REQUEST") ? " (pick another name)" : ""));
      close();
      return ChatCli.REFUSED;
    }
    println("! cannot connect to " + lastFailure);
    return ChatCli.UNREACHABLE;
  }

  /** Reconnects with backoff until connected (then rejoins the rooms) or the name is refused. */
  private int reconnect() {
    long delay = 250;
    while (true) {
      long wait = delay / 2 + ThreadLocalRandom.current().nextLong(delay / 2 + 1);
      println("* reconnecting in " + wait + " ms ...");
      try {
        Thread.sleep(wait); // backoff between attempts, not test synchronisation
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return ChatCli.OK;
      }
      int code = connect(false);
      if (code == ChatCli.REFUSED) {
        return code;
      }
      if (code == ChatCli.OK) {
        break;
      }
      delay = Math.min(delay * 2, 5000);
    }
    List<String> rooms;
    synchronized (this) {
      rooms = new ArrayList<>(joined.keySet());
    }
    for (String room : rooms) {
      rejoin(room);
    }
    return ChatCli.OK;
  }

  private void rejoin(String room) {
    for (int attempt = 0; attempt < 20 && !lost.isDone(); attempt++) {
      Joined j;
      synchronized (this) {
        j = joined.get(room);
      }
      if (j == null) {
        return;
      }
      JsonNode r = request("join", o -> o.put("room", room).put("since", j.seq).put("epoch", j.epoch));
      String code = r == null ? "TIMEOUT" : r.path("code").asText();
      if (r != null && r.path("type").asText().equals("joined")) {
        return;
      }
      if (code.equals("UNKNOWN_ROOM") && attempt >= 5) {
        println("! room " + room + " is gone");
        forget(room);
        return;
      }
      try {
        Thread.sleep(500); // the old membership is being removed (ALREADY_MEMBER); ask again
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  private void close() {
    WebSocket s = ws;
    if (s != null && !lost.isDone()) {
      s.sendClose(WebSocket.NORMAL_CLOSURE, "bye").orTimeout(2, TimeUnit.SECONDS).exceptionally(t -> null).join();
      lost.completeOnTimeout("closed", 2, TimeUnit.SECONDS).join();
    }
  }

  // ---------------------------------------------------------------- commands

  /** Handles one input line; false to quit. */
  private boolean handle(String line) {
    if (line.isEmpty()) {
      return true;
    }
    if (!line.startsWith("/")) {
      String room = current;
      if (room == null) {
        println("! join a room first (/join ROOM, /rooms to list them)");
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
      case "/help" -> out.print(HELP);
      case "/rooms" -> request("rooms", o -> { });
      case "/create", "/delete" -> {
        if (arg.isEmpty()) {
          println("! usage: " + parts[0] + " ROOM");
        } else {
          request(parts[0].substring(1), o -> o.put("room", arg));
        }
      }
      case "/join" -> {
        if (arg.isEmpty()) {
          println("! usage: /join ROOM");
        } else {
          request("join", o -> o.put("room", arg).put("last", 20));
        }
      }
      case "/leave" -> {
        String room = arg.isEmpty() ? current : arg;
        if (room == null) {
          println("! usage: /leave ROOM");
        } else {
          request("leave", o -> o.put("room", room));
        }
      }
      case "/room" -> {
        if (arg.isEmpty()) {
          println("* current room: " + (current == null ? "none" : current) + "; joined: " + joinedNames());
        } else if (!isJoined(arg)) {
          println("! you are not in room '" + arg + "' (joined: " + joinedNames() + "); /join " + arg + " first");
        } else {
          current = arg;
          println("* current room: " + arg);
        }
      }
      case "/members" -> {
        String room = arg.isEmpty() ? current : arg;
        synchronized (this) {
          Joined j = room == null ? null : joined.get(room);
          if (j == null) {
            println("! /members works for rooms you joined: " + joinedNames());
          } else {
            println("* " + j.members.size() + " in " + room + ": " + String.join(", ", j.members));
          }
        }
      }
      case "/history" -> {
        String room = current;
        int n = arg.matches("\\d{1,4}") ? Math.max(1, Integer.parseInt(arg)) : 20;
        if (room == null) {
          println("! join a room first");
        } else {
          request("history", o -> o.put("room", room).put("limit", Math.min(n, 1000)));
        }
      }
      default -> println("! unknown command " + parts[0] + "; /help lists the commands");
    }
    return true;
  }

  private synchronized boolean isJoined(String room) {
    return joined.containsKey(room);
  }

  private synchronized String joinedNames() {
    return joined.isEmpty() ? "none" : String.join(", ", joined.keySet());
  }

  /** Sends a request and waits (up to 10 s, or until the connection is lost) for its reply. */
  private @Nullable JsonNode request(String type, Consumer<ObjectNode> fill) {
    ObjectNode o = JSON.createObjectNode();
    o.put("type", type);
    String id = (type.equals("hello") ? "hello-" : "cli-") + ids.incrementAndGet();
    o.put("id", id);
    fill.accept(o);
    WebSocket socket = ws;
    if (socket == null || lost.isDone()) {
      println("! not connected");
      return null;
    }
    CompletableFuture<JsonNode> replied = new CompletableFuture<>();
    pending.put(id, replied);
    try {
      socket.sendText(o.toString(), true).get(10, TimeUnit.SECONDS);
      Object r = CompletableFuture.anyOf(replied, lost).get(10, TimeUnit.SECONDS);
      return r instanceof JsonNode n ? n : null;
    } catch (Exception e) {
      if (!lost.isDone()) {
        println("! no reply to " + type + " within 10 s");
      }
      return null;
    } finally {
      pending.remove(id);
    }
  }

  // ---------------------------------------------------------------- frames

  private void onFrame(JsonNode f) {
    if (!f.path("id").asText().startsWith("hello-")) {
      print(f); // a refused hello is explained by connect()
    }
    CompletableFuture<JsonNode> waiting = f.has("id") && !f.path("type").asText().equals("message")
        ? pending.get(f.path("id").asText()) : null;
    if (waiting != null) {
      waiting.complete(f);
    }
  }

  /** Prints one frame from the gateway and applies it to the rooms joined (package-private for tests). */
  void print(JsonNode f) {
    String room = f.path("room").asText();
    switch (f.path("type").asText()) {
      case "welcome", "ack" -> { }
      case "rooms" -> {
        println("* rooms (" + f.path("rooms").size() + "):");
        for (JsonNode r : f.path("rooms")) {
          println(String.format("    %-20s admin %-4s %3d member(s)%s%s", r.path("room").asText(), r.path("admin").asText(),
              r.path("members").asInt(), r.path("available").asBoolean(true) ? "" : "  UNAVAILABLE",
              isJoined(r.path("room").asText()) ? "  (joined)" : ""));
        }
      }
      case "created" -> println("* created " + room + " (admin " + f.path("admin").asText() + "); /join " + room + " to enter");
      case "joined" -> onJoined(f, room);
      case "left" -> {
        forget(room);
        println("* left " + room);
      }
      case "deleted" -> {
        forget(room);
        println("* room " + room + " was deleted");
      }
      case "message" -> {
        if (seen(f)) {
          println("[" + time(f) + "] " + room + " " + f.path("user").asText() + ": " + f.path("text").asText());
        }
      }
      case "member_joined" -> {
        if (seen(f)) {
          member(f, room, true);
          println("[" + time(f) + "] " + room + " * " + f.path("user").asText() + " joined");
        }
      }
      case "member_left" -> onMemberLeft(f, room);
      case "history" -> {
        println("* last " + f.path("messages").size() + " message(s) of " + room + ":");
        for (JsonNode m : f.path("messages")) {
          println("[" + time(m) + "] " + room + " " + m.path("user").asText() + ": " + m.path("text").asText());
        }
      }
      // the reason names the admin and why (unreachable, or the room moving to another node)
      case "unavailable" -> println("! room " + room + " is unavailable: " + f.path("reason").asText());
      case "available" -> println(availableLine(f));
      case "lost" -> println("! " + room + ": events " + f.path("from").asLong() + ".." + f.path("to").asLong()
          + " could not be recovered");
      case "error" -> println("! " + f.path("code").asText() + ": " + f.path("message").asText());
      default -> { } // frame types added later
    }
  }

  private void onJoined(JsonNode f, String room) {
    List<String> members = new ArrayList<>();
    f.path("members").forEach(m -> members.add(m.asText()));
    boolean restarted;
    synchronized (this) {
      Joined j = joined.computeIfAbsent(room, r -> new Joined());
      long epoch = f.path("epoch").asLong();
      long seq = f.path("seq").asLong();
      // a join after the last entry seen continues the same log, also with a higher epoch (the room
      // failed over or moved): keep the position (and its entry's epoch) the resume goes on from
      restarted = LogPosition.relation(j.epoch, j.seq, epoch, seq, true) == LogPosition.Relation.RESTARTED;
      if (restarted || j.epoch == 0) {
        j.seq = 0;
        j.epoch = epoch;
      }
      j.joinSeq = seq;
      j.members.clear();
      j.members.addAll(members);
    }
    if (restarted) {
      println(restartedLine(room));
    }
    current = room;
    println("* joined " + room + " (admin " + f.path("admin").asText() + "); members: " + String.join(", ", members)
        + (f.path("recovered").asBoolean(true) ? "" : " (some history could not be recovered)"));
  }

  private void onMemberLeft(JsonNode f, String room) {
    String user = f.path("user").asText();
    String reason = f.path("reason").asText("LEFT");
    long seq = f.path("seq").asLong();
    if (seq != 0 && !seen(f)) {
      return;
    }
    boolean live = member(f, room, false);
    String why = switch (reason) {
      case "NODE_FAILED" -> " (their node failed)";
      case "REMOVED" -> " (removed by the room's admin)";
      default -> "";
    };
    println("[" + time(f) + "] " + room + " * " + user + " left" + why);
    if (live && user.equals(options.name()) && !reason.equals("LEFT")) {
      forget(room);
      println("! you are no longer in " + room + "; /join " + room + " to enter again");
    }
  }

  /**
   * Records a sequenced event; false if it was seen already (a resume overlap). One with a higher
   * epoch after the last seq seen continues the log (failover, move); one at or below it with
   * another epoch starts it again (told once).
   */
  private boolean seen(JsonNode f) {
    String room = f.path("room").asText();
    LogPosition.Relation relation;
    synchronized (this) {
      Joined j = joined.get(room);
      if (j == null) {
        return true;
      }
      long epoch = f.path("epoch").asLong();
      long seq = f.path("seq").asLong();
      relation = LogPosition.relation(j.epoch, j.seq, epoch, seq, false);
      if (relation == LogPosition.Relation.SEEN) {
        return false;
      }
      j.epoch = epoch;
      j.seq = seq;
    }
    if (relation == LogPosition.Relation.RESTARTED) {
      println(restartedLine(room));
    }
    return true;
  }

  /** The last entry seen in {@code room} as "epoch/seq" (what a resume names), or null if not joined; for tests. */
  synchronized @Nullable String position(String room) {
    Joined j = joined.get(room);
    return j == null ? null : j.epoch + "/" + j.seq;
  }

  /** Updates the member list for a live event; true if the event is live (not history). */
  private synchronized boolean member(JsonNode f, String room, boolean add) {
    Joined j = joined.get(room);
    long seq = f.path("seq").asLong();
    boolean live = j != null && (seq == 0 || seq >= j.joinSeq);
    if (live) {
      if (add) {
        j.members.add(f.path("user").asText());
      } else {
        j.members.remove(f.path("user").asText());
      }
    }
    return live;
  }

  private void forget(String room) {
    synchronized (this) {
      joined.remove(room);
    }
    if (room.equals(current)) {
      current = null;
    }
  }

  /**
   * The line for an {@code available} frame: the room takes requests again, its admin back or
   * another node having taken it over (failover), named with the epoch when the gateway says.
   */
  static String availableLine(JsonNode f) {
    String admin = f.path("admin").asText("");
    return "* room " + f.path("room").asText() + " is available again"
        + (admin.isEmpty() ? "" : " - admin now " + admin + (f.has("epoch") ? " (epoch " + f.path("epoch").asLong() + ")" : ""));
  }

  private static String restartedLine(String room) {
    return "! the history of " + room + " restarted (the room was created again, or its admin came back without it)";
  }

  private static String time(JsonNode f) {
    return f.has("ts") ? TIME.format(java.time.Instant.ofEpochMilli(f.path("ts").asLong())) : "--:--:--";
  }

  /** Prints one line; everything that came from the network is escaped ({@link TerminalText}). */
  private void println(String s) {
    synchronized (out) {
      out.println(TerminalText.escape(s));
      out.flush();
    }
  }

  private final class Listener implements WebSocket.Listener {
    private final StringBuilder partial = new StringBuilder();

    @Override
    public java.util.concurrent.CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
      partial.append(data);
      if (last) {
        String text = partial.toString();
        partial.setLength(0);
        try {
          onFrame(JSON.readTree(text));
        } catch (IOException e) {
          println("? unreadable frame: " + text);
        }
      }
      webSocket.request(1);
      return null;
    }

    @Override
    public java.util.concurrent.CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
      lost.complete(describe(statusCode) + (reason.isEmpty() ? "" : ": " + reason));
      return null;
    }

    @Override
    public void onError(WebSocket webSocket, Throwable error) {
      lost.complete("connection failed (" + error.getMessage() + ")");
    }
  }

  private static String describe(int code) {
    return switch (code) {
      case 1000 -> "closed by the server";
      case 1001 -> "the server went away";
      case 1006 -> "connection dropped";
      case 1008 -> "refused by the server";
      case 1009 -> "message too big";
      default -> "closed (code " + code + ")";
    };
  }
}
