package io.chatmesh.history.jdbc;

import io.chatmesh.ChatNode;
import io.chatmesh.Room;
import io.chatmesh.UserId;
import io.chatmesh.testing.InMemoryCluster;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * The process the engine kill test kills: a two-node cluster (in-memory transport inside this JVM)
 * whose admin n1 keeps its history in {@code JdbcHistoryStore(url)}; one sender on n1 and three on
 * n2 (forwarded to the admin) send as fast as acks come back (16 in flight each) and print {@code
 * ack <seq> <clientMessageId>} when a send future completed, i.e. when the sender was acked. Runs
 * until killed or until 100,000 messages per sender.
 *
 * <p>Arguments: history URL, room.
 */
public final class KillTestNode {
  private KillTestNode() {}

  public static void main(String[] args) throws Exception {
    String url = args[0];
    String roomName = args[1];
    PrintStream out = System.out;
    InMemoryCluster cluster =
        InMemoryCluster.builder()
            .nodes(2)
            .configureNode((name, b) -> {
              if (name.equals("n1")) {
                b.history(JdbcHistoryStore.forUrl(url));
              }
            })
            .build()
            .start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!cluster.connected() && System.nanoTime() < deadline) {
      Thread.onSpinWait();
    }
    Room admin = cluster.node("n1").createRoom(roomName).get(30, TimeUnit.SECONDS);
    ChatNode n2 = cluster.node("n2");
    while (n2.room(roomName).isEmpty() && System.nanoTime() < deadline) {
      Thread.onSpinWait();
    }
    Room member = n2.room(roomName).orElseThrow();
    List<Thread> senders = new ArrayList<>();
    for (int u = 0; u < 4; u++) {
      Room r = u == 0 ? admin : member;
      UserId user = UserId.of("sender" + u);
      r.join(user, e -> {}).get(30, TimeUnit.SECONDS);
      senders.add(new Thread(() -> send(r, user, out), "sender" + u));
    }
    out.println("ready");
    out.flush();
    senders.forEach(Thread::start);
    for (Thread t : senders) {
      t.join();
    }
    cluster.close();
  }

  private static void send(Room room, UserId user, PrintStream out) {
    Semaphore inFlight = new Semaphore(16);
    for (int i = 0; i < 100_000; i++) {
      inFlight.acquireUninterruptibly();
      String cmid = user.value() + "-" + i;
      room.send(user, "message " + i + " from " + user, cmid).whenComplete((s, e) -> {
        inFlight.release();
        if (e == null) {
          synchronized (out) {
            out.println("ack " + s.seq() + " " + cmid);
            out.flush();
          }
        }
      });
    }
  }
}
