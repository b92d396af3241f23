package io.chatmesh.transport.grpc;

import io.chatmesh.proto.v1.NodeLinkGrpc;
import io.chatmesh.proto.v1.TransportProto;
import io.grpc.Drainable;
import io.grpc.KnownLength;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCallHandler;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * The {@code chatmesh.v1.NodeLink/Link} method with a request marshaller that moves EnvelopeBatch
 * bytes without generated message objects: the client writes the pre-encoded envelope records of a
 * {@link Batch} straight into gRPC's framer ({@link Drainable}, {@link KnownLength}); the server
 * gets the message's bytes in a {@link Batch} and decodes them with its stream's
 * {@link BatchCodec.Decoder}. Same method name, type and bytes as the generated
 * {@link NodeLinkGrpc#getLinkMethod()}, so peers using either interoperate. The response side
 * (LinkEvent) keeps the generated marshaller. Thread-safe (stateless).
 */
final class LinkMethod {
  private LinkMethod() {}

  /** The Link method (bidi streaming) with the byte-level request marshaller. */
  static final MethodDescriptor<Batch, TransportProto.LinkEvent> LINK =
      MethodDescriptor.<Batch, TransportProto.LinkEvent>newBuilder()
          .setType(MethodDescriptor.MethodType.BIDI_STREAMING)
          .setFullMethodName(NodeLinkGrpc.getLinkMethod().getFullMethodName())
          .setRequestMarshaller(new BatchMarshaller())
          .setResponseMarshaller(NodeLinkGrpc.getLinkMethod().getResponseMarshaller())
          .build();

  /** The NodeLink service with {@link #LINK} served by {@code handler}. */
  static ServerServiceDefinition service(ServerCallHandler<Batch, TransportProto.LinkEvent> handler) {
    return ServerServiceDefinition.builder(NodeLinkGrpc.SERVICE_NAME).addMethod(LINK, handler).build();
  }

  /**
   * The bytes of one EnvelopeBatch message as a sequence of parts (outbound: one
   * {@code envelopes} record per part, from {@link BatchCodec#encodeRecord}; inbound: one part, the
   * whole message). The arrays are never modified once handed over.
   */
  static final class Batch {
    private final byte[][] parts;
    private final int count;
    private final int length;

    Batch(byte[][] parts, int count) {
      int len = 0;
      for (int i = 0; i < count; i++) {
        len += parts[i].length;
      }
      this.parts = parts;
      this.count = count;
      this.length = len;
    }

    /** Total bytes. */
    int length() {
      return length;
    }

    /** Number of parts (outbound: envelopes). */
    int count() {
      return count;
    }

    /** All bytes in one array (the only part when there is one). */
    byte[] bytes() {
      if (count == 1 && parts[0].length == length) {
        return parts[0];
      }
      byte[] out = new byte[length];
      int pos = 0;
      for (int i = 0; i < count; i++) {
        System.arraycopy(parts[i], 0, out, pos, parts[i].length);
        pos += parts[i].length;
      }
      return out;
    }
  }

  private static final class BatchMarshaller implements MethodDescriptor.Marshaller<Batch> {
    @Override
    public InputStream stream(Batch value) {
      return new BatchStream(value);
    }

    @Override
    public Batch parse(InputStream stream) {
      try {
        byte[] bytes;
        if (stream instanceof KnownLength) {
          int n = stream.available();
          bytes = new byte[n];
          int read = stream.readNBytes(bytes, 0, n);
          if (read != n || stream.read() != -1) {
            throw new IOException("message length " + n + " announced, " + read + " bytes read");
          }
        } else {
          bytes = stream.readAllBytes();
        }
        return new Batch(new byte[][] {bytes}, 1);
      } catch (IOException e) {
        throw Status.INTERNAL.withDescription("cannot read an EnvelopeBatch message").withCause(e).asRuntimeException();
      }
    }
  }

  /** Reads a batch's parts in order; drains them to gRPC's framer without an intermediate copy. */
  static final class BatchStream extends InputStream implements Drainable, KnownLength {
    private final Batch batch;
    private int part;
    private int pos;
    private int remaining;

    BatchStream(Batch batch) {
      this.batch = batch;
      this.remaining = batch.length;
    }

    @Override
    public int drainTo(OutputStream target) throws IOException {
      int written = remaining;
      byte[][] parts = batch.parts;
      for (; part < batch.count; part++) {
        byte[] p = parts[part];
        target.write(p, pos, p.length - pos);
        pos = 0;
      }
      remaining = 0;
      return written;
    }

    @Override
    public int available() {
      return remaining;
    }

    @Override
    public int read() {
      while (part < batch.count) {
        byte[] p = batch.parts[part];
        if (pos < p.length) {
          remaining--;
          return p[pos++] & 0xff;
        }
        part++;
        pos = 0;
      }
      return -1;
    }

    @Override
    public int read(byte[] b, int off, int len) {
      if (len == 0) {
        return 0;
      }
      int n = 0;
      while (n < len && part < batch.count) {
        byte[] p = batch.parts[part];
        int k = Math.min(len - n, p.length - pos);
        System.arraycopy(p, pos, b, off + n, k);
        n += k;
        pos += k;
        if (pos == p.length) {
          part++;
          pos = 0;
        }
      }
      remaining -= n;
      return n == 0 ? -1 : n;
    }
  }
}
