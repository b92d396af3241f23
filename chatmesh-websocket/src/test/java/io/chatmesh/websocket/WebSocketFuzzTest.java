package io.chatmesh.websocket;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.chatmesh.testkit.Fuzz;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameDecoder;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import io.netty.util.ReferenceCountUtil;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Fuzzes the WebSocket frame decoder and the connection state machine (issue 11): random bytes and
 * mutated valid frames go through Netty's frame decoder, the aggregator and {@link Connection} on an
 * {@link EmbeddedChannel}. Properties: no exception escapes; nothing reaches the node unless it was
 * a valid request (random bytes create no room and sign nobody in); the frames written back are
 * bounded by the input; every close has a clear code and reason. 2,000 tries per property by
 * default; {@code -Dchatmesh.fuzz.tries=100000} for the full run ({@link Fuzz}).
 */
class WebSocketFuzzTest {
  /** The node behind random bytes: must stay empty. */
  private static final FakeChatNode UNTOUCHED = new FakeChatNode("n1");
  private static final FakeChatNode NODE = new FakeChatNode("n2");
  private static final Target RANDOM = new Target(UNTOUCHED);
  private static final Target MUTATED = new Target(NODE);
  private static final List<Integer> CLEAR_CLOSE_CODES = List.of(1001, 1002, 1007, 1008, 1009);

  private static final String[] VALID = {
    "{\"type\":\"hello\",\"user\":\"alice\",\"id\":\"h\"}",
    "{\"type\":\"rooms\",\"id\":1}",
    "{\"type\":\"create\",\"room\":\"fuzz\",\"id\":\"c\"}",
    "{\"type\":\"join\",\"room\":\"fuzz\",\"last\":5}",
    "{\"type\":\"send\",\"room\":\"fuzz\",\"text\":\"hi\",\"id\":\"s\"}",
    "{\"type\":\"history\",\"room\":\"fuzz\",\"before\":10,\"limit\":3}",
    "{\"type\":\"leave\",\"room\":\"fuzz\"}",
    "{\"type\":\"delete\",\"room\":\"fuzz\"}",
  };

  /** A gateway (never started) and its settings, for connections on embedded channels. */
  private record Target(WebSocketGateway gateway, GatewaySettings settings) {
    Target(FakeChatNode node) {
      this(WebSocketGateway.builder(node).maxFrameBytes(4096));
    }

    Target(WebSocketGateway.Builder b) {
      this(b.build(), new GatewaySettings(b));
    }
  }

  @AfterAll
  static void closeNodes() {
    NODE.close();
    UNTOUCHED.close();
  }

  /** A client frame: FIN, opcode, masked payload (RFC 6455 section 5.2). */
  static byte[] frame(int opcode, byte[] payload, byte[] mask) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(0x80 | opcode);
    if (payload.length < 126) {
      out.write(0x80 | payload.length);
    } else {
      out.write(0x80 | 126);
      out.write(payload.length >>> 8);
      out.write(payload.length & 0xff);
    }
    out.writeBytes(mask);
    for (int i = 0; i < payload.length; i++) {
      out.write(payload[i] ^ mask[i % 4]);
    }
    return out.toByteArray();
  }

  static byte[] randomBytes(Random r) {
    return Fuzz.bytes(r, 0, 300);
  }

  /** One to four valid frames with one mask, then one to eight mutations. */
  static byte[] mutatedFrames(Random r) {
    byte[] mask = Fuzz.bytes(r, 4, 4);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int n = 1 + r.nextInt(4); n > 0; n--) {
      out.writeBytes(frame(1, VALID[r.nextInt(VALID.length)].getBytes(StandardCharsets.UTF_8), mask));
    }
    return Fuzz.mutate(out.toByteArray(), r, 8);
  }

  @Test
  void randomBytesNeverEscapeAndChangeNothing() {
    Fuzz.forAll(WebSocketFuzzTest::randomBytes, input -> {
      feed(RANDOM, input);
      assertThat(UNTOUCHED.rooms()).as("random bytes created a room").isEmpty();
    });
  }

  @Test
  void mutatedFramesNeverEscapeAndCloseClearly() {
    Fuzz.forAll(WebSocketFuzzTest::mutatedFrames, input -> {
      feed(MUTATED, input);
      NODE.rooms().forEach(r -> assertThat(io.chatmesh.Identifiers.isIdentifier(r.name())).isTrue());
    });
  }

  /** The harness itself works: unmutated frames sign in and create a room. */
  @Test
  void validFramesAreServed() {
    FakeChatNode node = new FakeChatNode("n3");
    try {
      byte[] mask = {1, 2, 3, 4};
      ByteArrayOutputStream in = new ByteArrayOutputStream();
      in.writeBytes(frame(1, VALID[0].getBytes(StandardCharsets.UTF_8), mask));
      in.writeBytes(frame(1, VALID[2].getBytes(StandardCharsets.UTF_8), mask));
      EmbeddedChannel ch = feedOnly(new Target(node), in.toByteArray());
      org.awaitility.Awaitility.await().until(() -> {
        ch.runPendingTasks();
        return !node.rooms().isEmpty();
      });
      ch.runPendingTasks();
      List<String> types = new java.util.ArrayList<>();
      Object out;
      while ((out = ch.readOutbound()) != null) {
        if (out instanceof TextWebSocketFrame t) {
          types.add(t.text());
        }
        ReferenceCountUtil.release(out);
      }
      assertThat(String.join("\n", types)).contains("\"welcome\"").contains("\"created\"");
      ch.finishAndReleaseAll();
    } finally {
      node.close();
    }
  }

  private static EmbeddedChannel feedOnly(Target target, byte[] input) {
    EmbeddedChannel ch = channel(target);
    ch.writeInbound(Unpooled.wrappedBuffer(input));
    return ch;
  }

  /** The gateway's inbound path after the handshake: frame decoder, aggregator, connection. */
  private static EmbeddedChannel channel(Target target) {
    int max = target.settings().maxFrameBytes;
    return new EmbeddedChannel(
        new WebSocket13FrameDecoder(true, false, max),
        new WebSocketFrameAggregator(max),
        new Connection(target.settings(), target.gateway().state));
  }

  /** Feeds {@code input} in two chunks; checks what came back; closes the channel. */
  private static void feed(Target target, byte[] input) {
    EmbeddedChannel ch = channel(target);
    try {
      int half = input.length / 2;
      ch.writeInbound(Unpooled.wrappedBuffer(input, 0, half));
      if (ch.isActive()) {
        ch.writeInbound(Unpooled.wrappedBuffer(input, half, input.length - half));
      }
      ch.runPendingTasks();
      int frames = 0;
      Object out;
      while ((out = ch.readOutbound()) != null) {
        frames++;
        try {
          check(out);
        } finally {
          ReferenceCountUtil.release(out);
        }
      }
      // at most a reply and a close per 6 bytes (the smallest client frame), plus a closing error
      assertThat(frames).as("frames written back").isLessThanOrEqualTo(input.length / 3 + 3);
      ch.checkException();
    } finally {
      ch.finishAndReleaseAll();
    }
  }

  private static void check(Object out) {
    if (out instanceof CloseWebSocketFrame close) {
      assertThat(CLEAR_CLOSE_CODES).as("close code").contains(close.statusCode());
      assertThat(close.reasonText()).as("close reason").isNotBlank();
    } else if (out instanceof TextWebSocketFrame text) {
      JsonNode frame;
      try {
        frame = Frames.MAPPER.readTree(text.text());
      } catch (Exception e) {
        throw new AssertionError("the gateway wrote invalid JSON: " + text.text(), e);
      }
      if (frame.path("type").asText().equals("error")) {
        assertThat(frame.path("code").asText()).as(frame.toString()).isNotEqualTo("INTERNAL");
        assertThat(frame.path("message").asText()).as(frame.toString()).isNotBlank();
      }
    } else if (!(out instanceof ByteBuf)) {
      throw new AssertionError("unexpected outbound " + out);
    }
  }
}
