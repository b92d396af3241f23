package io.chatmesh.examples;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import org.jspecify.annotations.Nullable;

/**
 * A terminal chat client for the chatmesh WebSocket protocol; run {@code ./chat.sh --help}.
 * Commands are read from standard input, one per line; everything the server says is printed with
 * a local time stamp. Exit codes: 0 after /quit or end of input, 2 for bad arguments, 3 when no
 * server can be reached, 4 when the name is refused, 5 when the connection is lost (without
 * {@code --reconnect}). Not thread-safe: one instance runs one session, on the calling thread plus
 * a stdin reader and the WebSocket listener.
 */
public final class ChatCli {
  static final int OK = 0;
  static final int USAGE = 2;
  static final int UNREACHABLE = 3;
  static final int REFUSED = 4;
  static final int LOST = 5;

  static final String USAGE_TEXT = """
      usage: chat.sh [options] [URL] [NAME]
        URL                 WebSocket endpoint of a chatmesh node, default ws://127.0.0.1:8081/ws;
                            several, comma-separated, are tried in turn (with --reconnect)
        NAME                your user name (letters, digits, . _ -), default: your login name
        --reconnect         when the connection is lost, reconnect (with backoff, to the next URL)
                            and rejoin your rooms where you left off, instead of exiting
        --token JWT         a signed token, for a server that requires one (its user is NAME;
                            default: $CHATMESH_TOKEN); make a dev one with ./demo.sh token NAME
        -h, --help          this text
      commands (type /help in the client):
      """ + "  " + ChatSession.HELP.replace("\n", "\n  ").stripTrailing() + """

      exit codes: 0 /quit or end of input, 2 bad arguments, 3 no server reachable, 4 name refused,
                  5 connection lost
      """;

  private ChatCli() {}

  /** Runs the client; see the class documentation. */
  public static void main(String[] args) {
    System.exit(run(args, System.in, System.out, System.err));
  }

  /** Runs one session reading commands from {@code in}; returns the exit code. */
  static int run(String[] args, InputStream in, PrintStream out, PrintStream err) {
    Options o;
    try {
      o = Options.parse(args);
    } catch (IllegalArgumentException e) {
      err.println("chat: " + e.getMessage());
      err.print(USAGE_TEXT);
      return USAGE;
    }
    if (o.help()) {
      out.print(USAGE_TEXT);
      return OK;
    }
    BlockingQueue<Optional<String>> lines = new LinkedBlockingQueue<>();
    Thread reader = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
        String line;
        while ((line = r.readLine()) != null) {
          lines.add(Optional.of(line));
        }
      } catch (IOException e) {
        // treated as end of input
      }
      lines.add(Optional.empty());
    }, "chat-stdin");
    reader.setDaemon(true);
    reader.start();
    return new ChatSession(o, lines, out).run();
  }

  /** Command-line options. */
  record Options(List<URI> urls, String name, boolean reconnect, boolean help, @Nullable String token) {
    static Options parse(String[] args) {
      return parse(args, System.getenv("CHATMESH_TOKEN"));
    }

    static Options parse(String[] args, @Nullable String tokenFromEnvironment) {
      List<String> positional = new ArrayList<>();
      boolean reconnect = false;
      boolean help = false;
      String token = tokenFromEnvironment == null || tokenFromEnvironment.isBlank() ? null : tokenFromEnvironment.trim();
      for (int i = 0; i < args.length; i++) {
        String a = args[i];
        if (a.startsWith("--token=")) {
          token = a.substring("--token=".length());
          continue;
        }
        switch (a) {
          case "-h", "--help" -> help = true;
          case "--reconnect" -> reconnect = true;
          case "--token" -> {
            if (i + 1 >= args.length) {
              throw new IllegalArgumentException("--token needs a value");
            }
            token = args[++i];
          }
          default -> {
            if (a.startsWith("-")) {
              throw new IllegalArgumentException("unknown option " + a);
            }
            positional.add(a);
          }
        }
      }
      if (positional.size() > 2) {
        throw new IllegalArgumentException("too many arguments: " + positional);
      }
      List<URI> urls = new ArrayList<>();
      for (String u : (positional.isEmpty() ? "ws://127.0.0.1:8081/ws" : positional.get(0)).split(",")) {
        URI uri;
        try {
          uri = new URI(u.trim());
        } catch (java.net.URISyntaxException e) {
          throw new IllegalArgumentException("not a URL: '" + u + "'");
        }
        if (!"ws".equals(uri.getScheme()) && !"wss".equals(uri.getScheme()) || uri.getHost() == null) {
          throw new IllegalArgumentException("not a ws:// or wss:// URL: '" + u + "'");
        }
        urls.add(uri);
      }
      String name = positional.size() > 1 ? positional.get(1)
          : System.getProperty("user.name", "guest").replaceAll("[^A-Za-z0-9._-]", "");
      if (name.isEmpty()) {
        name = "guest";
      }
      if (!name.matches("[A-Za-z0-9._-]{1,64}")) {
        throw new IllegalArgumentException("the name must be 1-64 letters, digits, '.', '_' or '-': '" + name + "'");
      }
      if (token != null && (token.isBlank() || token.length() > 8192)) {
        throw new IllegalArgumentException("--token must be 1-8192 characters");
      }
      return new Options(List.copyOf(urls), name, reconnect, help, token);
    }
  }
}
