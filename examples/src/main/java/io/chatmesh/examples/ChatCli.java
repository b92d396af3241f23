package io.chatmesh.examples;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.LinkedBlockingQueue;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * A terminal chat client for the chatmesh WebSocket protocol; run {@code ./chat.sh --help}.
 * Commands are read from standard input, one per line; everything the server says is printed with
 * a local time stamp. Exit codes: 0 after /quit or end of input, 2 for bad arguments, 3 when no
 * server can be reached, 4 when the name is refused, 5 when the connection is lost (without
 * {@code --reconnect}). The command line is parsed by picocli ({@link Args}). Not thread-safe: one instance runs one session, on the calling thread plus
 * a stdin reader and the WebSocket listener.
 */
public final class ChatCli {
  static final int OK = 0;
  static final int USAGE = 2;
  static final int UNREACHABLE = 3;
  static final int REFUSED = 4;
  static final int LOST = 5;

  /** After the options in {@code --help}: the commands and the exit codes. */
  private static final String FOOTER = "commands (type /help in the client):\n  "
      + ChatSession.HELP.replace("\n", "\n  ").stripTrailing() + "\n"
      + "exit codes: 0 /quit or end of input, 2 bad arguments, 3 no server reachable, 4 name refused,\n"
      + "            5 connection lost\n";

  private ChatCli() {}

  /** Runs the client; see the class documentation. */
  public static void main(String[] args) {
    System.exit(run(args, System.in, System.out, System.err));
  }

  /** The client's command line, without colours, writing to {@code out} and {@code err}. */
  static CommandLine commandLine(Args args, PrintStream out, PrintStream err) {
    CommandLine cmd = new CommandLine(args);
    cmd.setColorScheme(CommandLine.Help.defaultColorScheme(CommandLine.Help.Ansi.OFF));
    cmd.getCommandSpec().usageMessage().footer(FOOTER.replace("%", "%%").replace("\n", "%n"));
    cmd.setOut(new PrintWriter(new OutputStreamWriter(out, StandardCharsets.UTF_8), true));
    cmd.setErr(new PrintWriter(new OutputStreamWriter(err, StandardCharsets.UTF_8), true));
    return cmd;
  }

  /**
   * Runs one session reading commands from {@code in}; returns the exit code. {@code --help} and
   * {@code --version} print to {@code out}; a wrong command line prints the message, naming the
   * option, and the usage to {@code err} and returns {@link #USAGE}.
   */
  static int run(String[] args, InputStream in, PrintStream out, PrintStream err) {
    return commandLine(new Args(in, out, System.getenv("CHATMESH_TOKEN")), out, err).execute(args);
  }

  /** Runs one session with {@code o}, reading commands from {@code in}; returns the exit code. */
  private static int session(Options o, InputStream in, PrintStream out) {
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

  /** The command line as picocli parses it; {@link #call()} runs the session. One per run. */
  @Command(
      name = "chat.sh",
      versionProvider = ProjectVersion.Client.class,
      synopsisHeading = "usage: ",
      customSynopsis = "chat.sh [options] [URL] [NAME]",
      description = "A terminal chat client for a chatmesh node's WebSocket gateway.",
      parameterListHeading = "%n",
      optionListHeading = "%noptions:%n",
      usageHelpWidth = 100,
      sortOptions = false)
  static final class Args implements Callable<Integer> {
    private final @Nullable InputStream in;
    private final @Nullable PrintStream out;
    private final @Nullable String tokenFromEnvironment;

    @Spec CommandSpec spec;

    @Parameters(index = "0", arity = "0..1", paramLabel = "URL", description =
            "WebSocket endpoint of a chatmesh node, default ws://127.0.0.1:8081/ws; several, " +
            "comma-separated, are tried in turn (with --reconnect)")
    @Nullable String url;

    @Parameters(index = "1", arity = "0..1", paramLabel = "NAME",
        description = "your user name (letters, digits, . _ -), default: your login name")
    @Nullable String name;

    @Option(names = "--reconnect", order = 1, description =
            "when the connection is lost, reconnect (with backoff, to the next URL) and " +
            "rejoin your rooms where you left off, instead of exiting")
    boolean reconnect;

    @Option(names = "--token", paramLabel = "JWT", order = 2, description =
            "a signed token, for a server that requires one (its user is NAME; default: " +
            "$CHATMESH_TOKEN); make a dev one with ./demo.sh token NAME")
    @Nullable String token;

    @Option(names = {"-h", "--help"}, usageHelp = true, order = 3, description = "this text")
    boolean help;

    @Option(names = {"-V", "--version"}, versionHelp = true, order = 4, description =
            "the version of chatmesh")
    boolean version;

    Args(@Nullable InputStream in, @Nullable PrintStream out, @Nullable String tokenFromEnvironment) {
      this.in = in;
      this.out = out;
      this.tokenFromEnvironment = tokenFromEnvironment;
    }

    @Override
    public Integer call() {
      return session(options(), java.util.Objects.requireNonNull(in), java.util.Objects.requireNonNull(out));
    }

    /**
     * The checked options.
     *
     * @throws ParameterException naming the argument that is wrong
     */
    Options options() {
      List<URI> urls = new ArrayList<>();
      for (String u : (url == null ? "ws://127.0.0.1:8081/ws" : url).split(",")) {
        URI uri;
        try {
          uri = new URI(u.trim());
        } catch (java.net.URISyntaxException e) {
          throw new ParameterException(spec.commandLine(), "URL: not a URL: '" + u + "'");
        }
        if (!"ws".equals(uri.getScheme()) && !"wss".equals(uri.getScheme()) || uri.getHost() == null) {
          throw new ParameterException(spec.commandLine(), "URL: not a ws:// or wss:// URL: '" + u + "'");
        }
        urls.add(uri);
      }
      String n = name != null ? name : System.getProperty("user.name", "guest").replaceAll("[^A-Za-z0-9._-]", "");
      if (n.isEmpty()) {
        n = "guest";
      }
      if (!n.matches("[A-Za-z0-9._-]{1,64}")) {
        throw new ParameterException(
            spec.commandLine(), "NAME: the name must be 1-64 letters, digits, '.', '_' or '-': '" + n + "'");
      }
      String t = token;
      if (t == null && tokenFromEnvironment != null && !tokenFromEnvironment.isBlank()) {
        t = tokenFromEnvironment.trim();
      }
      if (t != null && (t.isBlank() || t.length() > 8192)) {
        throw new ParameterException(spec.commandLine(), "--token must be 1-8192 characters");
      }
      return new Options(List.copyOf(urls), n, reconnect, t);
    }
  }

  /** Checked command-line options. */
  record Options(List<URI> urls, String name, boolean reconnect, @Nullable String token) {
    /**
     * Parses {@code args} as the client does, with {@code tokenFromEnvironment} as {@code
     * $CHATMESH_TOKEN}.
     *
     * @throws ParameterException naming the argument that is wrong
     */
    static Options parse(String[] args, @Nullable String tokenFromEnvironment) {
      Args a = new Args(null, null, tokenFromEnvironment);
      new CommandLine(a).parseArgs(args);
      return a.options();
    }
  }
}
