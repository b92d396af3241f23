package io.chatmesh.transport.grpc;

import io.chatmesh.proto.v1.TransportProto;
import io.chatmesh.spi.transport.Envelope;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.netty.shaded.io.netty.channel.EventLoop;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.socket.nio.NioSocketChannel;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The outbound side of the link to one destination: a bounded queue of encoded envelopes ({@link
 * OutboundQueue}), one channel and at most one open {@code Link} stream.
 *
 * <p>Concurrency: {@link #enqueue} is lock-free and may be called from any thread. Everything
 * else (opening the stream, writing, reacting to gRPC callbacks, timers) runs in {@link #run()},
 * which is serialised by {@link #wip} (at most one thread at a time, like an actor): gRPC callbacks
 * only post events to {@link #mailbox} and signal. So the {@link ClientCall}, which is not
 * thread-safe, is only touched from one thread at a time.
 *
 * <p>The actor runs on a Netty event loop of the transport (the one {@code loop} given), and the
 * call's callbacks are delivered there too: a batch written from the loop is flushed by the same
 * loop without another thread hand-off, so a message costs one wake-up from the engine's thread to
 * the socket instead of two (see BENCHMARKS.md). Only blocking work (name resolution) goes to the
 * {@code offload} executor.
 */
final class OutboundLink {
  private static final Logger log = LoggerFactory.getLogger(OutboundLink.class);

  private final GrpcTransport owner;
  private final TransportSettings settings;
  private final String address;
  private final HostPort target;
  private final ScheduledExecutorService executor;
  private final Executor offload;
  private final EventLoopGroup ioGroup;

  /** Envelopes encoded as EnvelopeBatch records ({@link BatchCodec#encodeRecord}). */
  private final OutboundQueue queue;
  private final ConcurrentLinkedQueue<Runnable> mailbox = new ConcurrentLinkedQueue<>();
  private final AtomicInteger wip = new AtomicInteger();
  private volatile @Nullable String lastError;
  /** The protocol version agreed for the open stream; 0 while none is open. */
  private volatile int protocolVersion;

  // ---- state owned by run() (one thread at a time)
  private @Nullable ManagedChannel channel;
  private @Nullable ClientCall<LinkMethod.Batch, TransportProto.LinkEvent> call;
  private int generation;
  private boolean accepted;
  private int failures;
  private long nextAttemptNanos;
  private @Nullable ScheduledFuture<?> timer;
  private @Nullable CompletableFuture<Void> flushed;
  private boolean shutdown;

  OutboundLink(
      GrpcTransport owner, String address, HostPort target, EventLoop loop, Executor offload, EventLoopGroup io) {
    this.owner = owner;
    this.settings = owner.settings;
    this.address = address;
    this.target = target;
    this.executor = loop;
    this.offload = offload;
    this.ioGroup = io;
    this.queue = new OutboundQueue(settings.maxQueuedEnvelopes(), settings.maxQueuedBytes(), settings.maxBatchBytes());
  }

  // ------------------------------------------------------------------------------ any thread

  /** Queues one envelope, already encoded by {@link BatchCodec#encodeRecord} on the caller's thread. */
  void enqueue(byte[] record, Envelope original) {
    int size = record.length;
    if (size + 16 > settings.maxMessageSize()) {
      owner.counters.droppedTooLarge.incrementAndGet();
      log.warn(
          "dropping {} to {}: {} bytes encoded, more than maxMessageSize {}",
          original.message().getClass().getSimpleName(),
          address,
          size,
          settings.maxMessageSize());
      return;
    }
    if (!queue.offer(record)) {
      owner.counters.droppedQueueFull.incrementAndGet();
      if (queue.firstOverflow()) {
        log.warn(
            "outbound queue to {} is full ({} envelopes / {} bytes max); dropping envelopes until it drains",
            address,
            settings.maxQueuedEnvelopes(),
            settings.maxQueuedBytes());
      }
      return;
    }
    signal();
  }

  /** See {@link io.chatmesh.spi.transport.Transport#isWritable}. */
  boolean writable() {
    return queue.writable();
  }

  long queued() {
    return queue.size();
  }

  /** Encoded bytes of the envelopes waiting in this link's queue. */
  long queuedBytes() {
    return queue.bytes();
  }

  @Nullable String lastError() {
    return lastError;
  }

  /** The version agreed for the open stream, 0 if none is open. */
  int protocolVersion() {
    return protocolVersion;
  }

  /** Completes when the queue is empty, or at once if the link is not open (nothing to wait for). */
  CompletableFuture<Void> flush() {
    CompletableFuture<Void> f = new CompletableFuture<>();
    post(
        () -> {
          flushed = f; // step() completes it when the queue is empty or the link is backing off
        });
    return f;
  }

  /** Ends the stream (half-close, or cancel when {@code now}) and shuts the channel down. */
  void shutdown(boolean now) {
    post(
        () -> {
          shutdown = true;
          cancelTimer();
          ClientCall<LinkMethod.Batch, TransportProto.LinkEvent> c = call;
          if (c != null) {
            if (now || !accepted) {
              c.cancel("transport closing", null);
            } else {
              c.halfClose();
            }
          }
          ManagedChannel ch = channel;
          if (ch != null) {
            if (now) {
              ch.shutdownNow();
            } else {
              ch.shutdown();
            }
          }
          CompletableFuture<Void> f = flushed;
          if (f != null) {
            f.complete(null);
          }
          int dropped = queue.clear();
          if (dropped > 0) {
            owner.counters.droppedClosed.addAndGet(dropped);
          }
        });
  }

  /** Waits for the channel to terminate; forces it after {@code nanos}. */
  void awaitTermination(long nanos) {
    // the shutdown event runs on the executor; wait until it has run
    CompletableFuture<Void> ran = new CompletableFuture<>();
    post(() -> ran.complete(null));
    try {
      ran.get(Math.max(nanos, TimeUnit.MILLISECONDS.toNanos(500)), TimeUnit.NANOSECONDS);
    } catch (Exception e) {
      log.debug("link {} shutdown event did not run in time", address, e);
    }
    ManagedChannel ch = channel;
    if (ch == null) {
      return;
    }
    try {
      if (!ch.awaitTermination(nanos, TimeUnit.NANOSECONDS)) {
        ch.shutdownNow();
        if (!ch.awaitTermination(5, TimeUnit.SECONDS)) {
          log.warn("channel to {} did not terminate within 5 s", address);
        }
      }
    } catch (InterruptedException e) {
      ch.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }

  private void post(Runnable event) {
    mailbox.add(event);
    signal();
  }

  private void signal() {
    if (wip.getAndIncrement() == 0) {
      try {
        executor.execute(this::run);
      } catch (RejectedExecutionException e) {
        // transport stopped; nothing will be sent any more
        wip.set(0);
      }
    }
  }

  // ------------------------------------------------------------------------------ serialised

  private void run() {
    drain(1);
  }

  /** Runs steps until no signal is pending; yields the thread to other links now and then. */
  private void drain(int missed) {
    for (int rounds = 0; ; rounds++) {
      try {
        step();
      } catch (RuntimeException e) {
        log.error("link to {} failed unexpectedly", address, e);
      }
      missed = wip.addAndGet(-missed);
      if (missed == 0) {
        return;
      }
      if (rounds == 64) {
        int m = missed;
        try {
          executor.execute(() -> drain(m)); // still serialised: wip stays above zero
        } catch (RejectedExecutionException e) {
          wip.set(0);
        }
        return;
      }
    }
  }

  private void step() {
    Runnable ev;
    while ((ev = mailbox.poll()) != null) {
      ev.run();
    }
    if (shutdown) {
      return;
    }
    if (queue.isEmpty() || (call == null && timer != null)) {
      completeFlush(); // nothing to wait for: all sent, or the peer is down
    }
    if (queue.isEmpty()) {
      return;
    }
    ClientCall<LinkMethod.Batch, TransportProto.LinkEvent> c = call;
    if (c == null) {
      if (timer != null) {
        return; // backing off
      }
      long wait = nextAttemptNanos - System.nanoTime();
      if (failures > 0 && wait > 0) {
        schedule(wait);
        completeFlush(); // the peer is down: do not hold close() up
        return;
      }
      open();
      return;
    }
    if (!accepted) {
      return; // LinkAccepted will signal
    }
    while (c.isReady() && !queue.isEmpty()) {
      writeBatch(c);
    }
    if (queue.isEmpty()) {
      completeFlush();
    }
  }

  private void writeBatch(ClientCall<LinkMethod.Batch, TransportProto.LinkEvent> c) {
    LinkMethod.Batch batch = queue.takeBatch();
    if (batch == null) {
      return;
    }
    c.sendMessage(batch);
    owner.counters.batchesSent.incrementAndGet();
    owner.counters.envelopesSent.addAndGet(batch.count());
  }

  private void open() {
    ManagedChannel ch = channel;
    if (ch == null) {
      ch =
          owner.channelBuilder(target.host(), target.port()) // plaintext or mutual TLS
              .channelType(NioSocketChannel.class)
              .eventLoopGroup(ioGroup)
              .executor(executor) // callbacks only post to the mailbox: run them on the loop
              .offloadExecutor(offload)
              .maxInboundMessageSize(settings.maxMessageSize())
              .keepAliveTime(settings.keepAliveTime().toMillis(), TimeUnit.MILLISECONDS)
              .keepAliveWithoutCalls(true)
              .proxyDetector(addr -> null)
              .disableRetry()
              .build();
      channel = ch;
    } else if (failures > 0) {
      ch.resetConnectBackoff(); // our own backoff governs; do not also wait for gRPC's
    }
    int gen = ++generation;
    accepted = false;
    ClientCall<LinkMethod.Batch, TransportProto.LinkEvent> c =
        ch.newCall(LinkMethod.LINK, CallOptions.DEFAULT);
    call = c;
    Metadata headers = new Metadata();
    VersionRange versions = settings.versions();
    headers.put(GrpcTransport.VERSIONS_HEADER, versions.header());
    // for servers from before version negotiation, which compare it with their only version
    headers.put(GrpcTransport.VERSION_HEADER, Integer.toString(versions.min()));
    headers.put(GrpcTransport.FROM_HEADER, owner.localAddress());
    c.start(new Listener(gen), headers);
    c.request(1);
    // deadline for the peer to accept the stream
    long t = settings.handshakeTimeout().toNanos();
    try {
      executor.schedule(
          () ->
              post(
                  () -> {
                    if (generation == gen && call != null && !accepted) {
                      call.cancel("peer did not accept the link within " + settings.handshakeTimeout(), null);
                    }
                  }),
          t,
          TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException e) {
      // stopping
    }
  }

  private void schedule(long nanos) {
    try {
      timer =
          executor.schedule(
              () ->
                  post(
                      () -> {
                        timer = null;
                      }),
              nanos,
              TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException e) {
      // stopping
    }
  }

  private void cancelTimer() {
    ScheduledFuture<?> t = timer;
    if (t != null) {
      t.cancel(false);
      timer = null;
    }
  }

  private void completeFlush() {
    CompletableFuture<Void> f = flushed;
    if (f != null) {
      flushed = null;
      f.complete(null);
    }
  }

  private long backoffNanos(int failures) {
    double base = settings.initialBackoff().toNanos() * Math.pow(2, Math.min(30, failures - 1));
    base = Math.min(base, settings.maxBackoff().toNanos());
    double j = settings.jitter();
    double factor = 1 + j * (2 * ThreadLocalRandom.current().nextDouble() - 1);
    return (long) (base * factor);
  }

  // ------------------------------------------------------------------------------ events

  private void onAccepted(int gen, TransportProto.LinkAccepted a) {
    if (gen != generation || call == null) {
      return;
    }
    int agreed = a.getProtocolVersion();
    if (!settings.versions().contains(agreed)) {
      // the server broke the handshake rule (it must pick a version in both ranges)
      String msg =
          "peer "
              + address
              + " accepted the link with chatmesh protocol version "
              + agreed
              + ", outside this node's protocol versions "
              + settings.versions();
      log.error("refusing link: {}", msg);
      call.cancel(msg, null);
      return;
    }
    accepted = true;
    protocolVersion = agreed;
    lastError = null;
    if (failures > 0) {
      log.info("link to {} open again after {} failed attempt(s)", address, failures);
    } else {
      log.debug("link to {} open", address);
    }
    failures = 0;
    owner.counters.linksOpened.incrementAndGet();
  }

  private void onClosed(int gen, Status status, Metadata trailers) {
    if (gen != generation) {
      return;
    }
    boolean wasOpen = accepted;
    call = null;
    accepted = false;
    protocolVersion = 0;
    if (shutdown) {
      return;
    }
    failures++;
    long delay = backoffNanos(failures);
    nextAttemptNanos = System.nanoTime() + delay;
    boolean versionRefused =
        status.getCode() == Status.Code.FAILED_PRECONDITION
                && (trailers.containsKey(GrpcTransport.VERSIONS_HEADER) || trailers.containsKey(GrpcTransport.VERSION_HEADER))
            || String.valueOf(status.getDescription()).contains("protocol version");
    String reason = status.getCode() + (status.getDescription() == null ? "" : ": " + status.getDescription());
    lastError = reason;
    if (versionRefused) {
      // the peer will not change its version soon: wait the longest backoff, log once per reason
      delay = settings.maxBackoff().toNanos();
      nextAttemptNanos = System.nanoTime() + delay;
      int dropped = queue.clear();
      owner.counters.droppedRejected.addAndGet(dropped);
      if (!owner.logLimiter.shouldLog("outbound refused " + address)) {
        log.debug("link to {} refused again: {} (dropped {} queued envelopes)", address, reason, dropped);
        completeFlush();
        return;
      }
      log.error(
          "link to {} refused, incompatible protocol: {} (dropped {} queued envelopes; retrying every {} ms, logged"
              + " once a minute while it lasts)",
          address,
          reason,
          dropped,
          TimeUnit.NANOSECONDS.toMillis(delay));
    } else if (wasOpen) {
      // a peer going away (restart, shutdown, crash) is routine; the engine reports node failures
      log.info(
          "link to {} lost: {}; {} queued, reconnecting in {} ms",
          address,
          reason,
          queue.size(),
          TimeUnit.NANOSECONDS.toMillis(delay));
    } else if (failures == 1) {
      log.warn(
          "link to {} could not open: {}; {} queued, retrying in {} ms",
          address,
          reason,
          queue.size(),
          TimeUnit.NANOSECONDS.toMillis(delay));
    } else {
      log.debug("link to {} still down ({} attempts): {}", address, failures, reason);
    }
    completeFlush(); // nothing more will go out before close
  }

  private final class Listener extends ClientCall.Listener<TransportProto.LinkEvent> {
    private final int gen;

    Listener(int gen) {
      this.gen = gen;
    }

    @Override
    public void onMessage(TransportProto.LinkEvent message) {
      if (message.hasAccepted()) {
        TransportProto.LinkAccepted a = message.getAccepted();
        post(() -> onAccepted(gen, a));
      }
      post(
          () -> {
            if (gen == generation && call != null) {
              call.request(1);
            }
          });
    }

    @Override
    public void onReady() {
      signal();
    }

    @Override
    public void onClose(Status status, Metadata trailers) {
      post(() -> onClosed(gen, status, trailers));
    }
  }
}
