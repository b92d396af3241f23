package io.chatmesh.websocket;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A minimal WebSocket client over a plain socket, for tests that need control a browser would not
 * give: binary and fragmented frames, oversized frames, not reading at all, not answering pings.
 * Received text frames are parsed as JSON and queued. Every wait has a timeout.
 */
final class RawWsClient implements AutoCloseable {
  static final Duration WAIT = Duration.ofSeconds(10);
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private final Socket socket;
  private final InputStream in;
  private final OutputStream out;
  private final boolean answerPings;
  private final BlockingQueue<JsonNode> frames = new LinkedBlockingQueue<>();
  private final Deque<JsonNode> backlog = new ArrayDeque<>();
  private final List<JsonNode> received = new ArrayList<>();
  /** Close code received from the server, or -1 when the TCP connection ended without one. */
  final CompletableFuture<Integer> closed = new CompletableFuture<>();
  volatile int pingsReceived;
  private Thread reader;

  private RawWsClient(int port, boolean answerPings) throws IOException {
    this(port, answerPings, 0);
  }

  private RawWsClient(int port, boolean answerPings, int receiveBufferBytes) throws IOException {
    this(port, answerPings, receiveBufferBytes, null);
  }

  private RawWsClient(int port, boolean answerPings, int receiveBufferBytes, String origin) throws IOException {
    this.answerPings = answerPings;
    socket = new Socket();
    if (receiveBufferBytes > 0) {
      socket.setReceiveBufferSize(receiveBufferBytes);
    }
    socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
    socket.setSoTimeout((int) WAIT.toMillis());
    in = socket.getInputStream();
    out = socket.getOutputStream();
    handshake(port, origin);
  }

  /** Connects and starts reading frames in the background. */
  static RawWsClient connect(int port) throws IOException {
    RawWsClient c = new RawWsClient(port, true);
    c.startReading();
    return c;
  }

  /** Connects with this {@code Origin} header (null: none) and starts reading frames. */
  static RawWsClient connect(int port, String origin) throws IOException {
    RawWsClient c = new RawWsClient(port, true, 0, origin);
    c.startReading();
    return c;
  }

  /** Connects but reads nothing until {@link #startReading()}: a client that stalls. */
  static RawWsClient connectPaused(int port, int receiveBufferBytes) throws IOException {
    return new RawWsClient(port, true, receiveBufferBytes);
  }

  /** Connects, reads frames, but never answers pings: a peer that looks dead to the server. */
  static RawWsClient connectDeaf(int port) throws IOException {
    RawWsClient c = new RawWsClient(port, false);
    c.startReading();
    return c;
  }

  private void handshake(int port, String origin) throws IOException {
    byte[] nonce = new byte[16];
    ThreadLocalRandom.current().nextBytes(nonce);
    String req = "GET /ws HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        + (origin == null ? "" : "Origin: " + origin + "\r\n")
        + "Sec-WebSocket-Key: " + Base64.getEncoder().encodeToString(nonce) + "\r\nSec-WebSocket-Version: 13\r\n\r\n";
    out.write(req.getBytes(StandardCharsets.US_ASCII));
    out.flush();
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int matched = 0;
    byte[] end = {'\r', '\n', '\r', '\n'};
    while (matched < 4) {
      int b = in.read();
      if (b < 0) {
        throw new EOFException("connection closed during handshake: " + head);
      }
      head.write(b);
      matched = b == end[matched] ? matched + 1 : (b == '\r' ? 1 : 0);
    }
    String response = head.toString(StandardCharsets.US_ASCII);
    if (!response.startsWith("HTTP/1.1 101")) {
      throw new IOException("handshake failed: " + response);
    }
  }

  void startReading() {
    reader = new Thread(this::readLoop, "raw-ws-client-reader");
    reader.setDaemon(true);
    reader.start();
  }

  private void readLoop() {
    try {
      DataInputStream d = new DataInputStream(in);
      ByteArrayOutputStream message = new ByteArrayOutputStream();
      while (true) {
        int b0 = d.readUnsignedByte();
        int b1 = d.readUnsignedByte();
        boolean fin = (b0 & 0x80) != 0;
        int opcode = b0 & 0x0F;
        long len = b1 & 0x7F;
        if (len == 126) {
          len = d.readUnsignedShort();
        } else if (len == 127) {
          len = d.readLong();
        }
        byte[] payload = new byte[(int) len];
        d.readFully(payload);
        switch (opcode) {
          case 0x0, 0x1 -> {
            message.write(payload);
            if (fin) {
              frames.add(MAPPER.readTree(message.toString(StandardCharsets.UTF_8)));
              message.reset();
            }
          }
          case 0x8 -> {
            int code = payload.length >= 2 ? ((payload[0] & 0xFF) << 8) | (payload[1] & 0xFF) : 1005;
            closed.complete(code);
            synchronized (this) {
              writeFrame(0x8, payload, true);
            }
            return;
          }
          case 0x9 -> {
            pingsReceived++;
            if (answerPings) {
              synchronized (this) {
                writeFrame(0xA, payload, true);
              }
            }
          }
          default -> { }
        }
      }
    } catch (IOException e) {
      closed.complete(-1);
    }
  }

  /** Sends a text frame. */
  synchronized void send(String text) throws IOException {
    writeFrame(0x1, text.getBytes(StandardCharsets.UTF_8), true);
  }

  /** Sends one frame with the given opcode and FIN bit (masked, as clients must). */
  synchronized void writeFrame(int opcode, byte[] payload, boolean fin) throws IOException {
    ByteArrayOutputStream f = new ByteArrayOutputStream(payload.length + 14);
    f.write((fin ? 0x80 : 0) | opcode);
    if (payload.length < 126) {
      f.write(0x80 | payload.length);
    } else if (payload.length < 65536) {
      f.write(0x80 | 126);
      f.write(payload.length >>> 8);
      f.write(payload.length & 0xFF);
    } else {
      f.write(0x80 | 127);
      for (int i = 7; i >= 0; i--) {
        f.write((int) ((long) payload.length >>> (8 * i)) & 0xFF);
      }
    }
    byte[] mask = new byte[4];
    ThreadLocalRandom.current().nextBytes(mask);
    f.write(mask);
    for (int i = 0; i < payload.length; i++) {
      f.write(payload[i] ^ mask[i & 3]);
    }
    out.write(f.toByteArray());
    out.flush();
  }

  /** The next frame (oldest unconsumed first), failing after {@link #WAIT}. */
  JsonNode next() throws InterruptedException {
    return next(n -> true);
  }

  /**
   * The oldest unconsumed frame matching {@code p}, waiting up to {@link #WAIT}. Frames that do not
   * match stay unconsumed, in arrival order, for later calls.
   */
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
      received.add(n);
      if (p.test(n)) {
        return n;
      }
      backlog.add(n);
    }
  }

  /** The next frame of that type. */
  JsonNode next(String type) throws InterruptedException {
    return next(n -> type.equals(n.path("type").asText()));
  }

  /** The frame replying to request {@code id}. */
  JsonNode reply(String id) throws InterruptedException {
    return next(n -> id.equals(n.path("id").asText()) && !"message".equals(n.path("type").asText()));
  }

  /** Every frame taken from the socket so far by the {@code next} methods. */
  List<JsonNode> received() {
    return received;
  }

  /** The close code the server sent (or -1 for a bare TCP close), waiting up to {@code wait}. */
  int awaitClose(Duration wait) throws Exception {
    return closed.get(wait.toMillis(), TimeUnit.MILLISECONDS);
  }

  @Override
  public void close() throws IOException {
    socket.close();
    if (reader != null) {
      try {
        reader.join(5000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
