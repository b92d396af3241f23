package io.chatmesh.transport.grpc;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;

/**
 * Captures, while open, what slf4j-simple writes to {@code System.err} (it looks the stream up on
 * every write) and what gRPC logs through {@code java.util.logging} (logger {@code io.grpc}), so a
 * test can wait for a log line. On {@link #close()} everything captured is printed to the real
 * {@code System.err} except what the test declared it expects: a line of slf4j-simple output that
 * contains one of the expected texts, and a whole gRPC log record (with its stack trace) whose
 * message or exception does. Unexpected output therefore stays visible, only later. Install in a
 * try-with-resources block; not for concurrent use by two tests.
 */
final class LogCapture implements AutoCloseable {
  private final PrintStream original = System.err;
  private final List<String> expected;
  private final ByteArrayOutputStream buffer = new ByteArrayOutputStream();
  private final StringBuilder grpcLog = new StringBuilder();
  private final StringBuilder unexpectedGrpc = new StringBuilder();
  private final Logger grpc = Logger.getLogger("io.grpc"); // a strong reference while we change it
  private final boolean grpcUsedParentHandlers = grpc.getUseParentHandlers();
  private final Handler grpcHandler = new Handler() {
    private final SimpleFormatter format = new SimpleFormatter();

    @Override
    public void publish(LogRecord r) {
      String text = format.format(r);
      String about = r.getMessage() + " " + (r.getThrown() == null ? "" : r.getThrown().toString());
      synchronized (buffer) {
        grpcLog.append(text);
        if (!isExpected(about)) {
          unexpectedGrpc.append(text);
        }
      }
    }

    @Override
    public void flush() {}

    @Override
    public void close() {}
  };

  /**
   * Starts capturing.
   *
   * @param expected texts of the log lines this test provokes on purpose; they are not printed
   */
  LogCapture(String... expected) {
    this.expected = List.of(expected);
    OutputStream sink =
        new OutputStream() {
          @Override
          public void write(int b) {
            synchronized (buffer) {
              buffer.write(b);
            }
          }

          @Override
          public void write(byte[] b, int off, int len) {
            synchronized (buffer) {
              buffer.write(b, off, len);
            }
          }
        };
    grpc.setUseParentHandlers(false);
    grpc.addHandler(grpcHandler);
    System.setErr(new PrintStream(sink, true, StandardCharsets.UTF_8));
  }

  /** Everything captured so far: slf4j-simple's output, then gRPC's records. */
  String text() {
    synchronized (buffer) {
      return buffer.toString(StandardCharsets.UTF_8) + grpcLog;
    }
  }

  private boolean isExpected(String line) {
    return expected.stream().anyMatch(line::contains);
  }

  @Override
  public void close() {
    System.setErr(original);
    grpc.removeHandler(grpcHandler);
    grpc.setUseParentHandlers(grpcUsedParentHandlers);
    String slf4j;
    String grpcText;
    synchronized (buffer) {
      slf4j = buffer.toString(StandardCharsets.UTF_8);
      grpcText = unexpectedGrpc.toString();
    }
    for (String line : slf4j.split("\n")) {
      if (!line.isEmpty() && !isExpected(line)) {
        original.println(line);
      }
    }
    original.print(grpcText);
  }
}
