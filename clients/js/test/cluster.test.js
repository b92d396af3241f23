// Runs against a real chatmesh cluster: CHATMESH_URLS=ws://..n1..,ws://..n2..,ws://..n3.. (n1 first)
// and CHATMESH_CONTROL=http://... (POST /kill?node=nX, /restart?node=nX). The examples module's
// JsClientClusterTest starts both and runs `node --test`; without them these tests are skipped.
import {test, before, after} from "node:test";
import assert from "node:assert/strict";
import {ChatClient, ChatError} from "../chatmesh.js";

const URLS = (process.env.CHATMESH_URLS || "").split(",").filter(Boolean);
const CONTROL = process.env.CHATMESH_CONTROL;
const skip = URLS.length < 3 || !CONTROL ? "needs CHATMESH_URLS (3 nodes) and CHATMESH_CONTROL: run JsClientClusterTest" : false;
const [N1, N2, N3] = URLS;
const run = Math.random().toString(36).slice(2, 7);
const clients = [];

function client(urls, user, extra = {}) {
  const c = new ChatClient({urls, user: user + "-" + run, minDelayMs: 100, maxDelayMs: 1000, ...extra});
  clients.push(c);
  return c;
}

/** Resolves when predicate() holds, polling on each event of `c` and every 50 ms; rejects after ms. */
function until(predicate, what, ms = 20000) {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const tick = async () => {
      let v;
      try { v = await predicate(); } catch (e) { v = false; }
      if (v) { resolve(v); return; }
      if (Date.now() - started > ms) { reject(new Error("timed out waiting for " + what)); return; }
      setTimeout(tick, 50);
    };
    tick();
  });
}

/** Collects the message events of a client, per room, in arrival order. */
function record(c) {
  const seen = [];
  c.on("message", (m) => seen.push(m));
  return seen;
}

async function control(action, node) {
  const r = await fetch(CONTROL + "/" + action + "?node=" + node, {method: "POST"});
  assert.equal(r.status, 200, action + " " + node + ": " + await r.text());
}

async function expectError(promise, code) {
  await assert.rejects(promise, (e) => {
    assert.ok(e instanceof ChatError, "a ChatError: " + e);
    assert.equal(e.code, code, e.message);
    return true;
  });
}

after(() => { for (const c of clients) c.close(); });

test("rooms, presence, timestamps, history on join and paging, protocol errors", {skip}, async () => {
  const alice = client([N1], "alice");
  const bob = client([N2], "bob");
  assert.deepEqual(await alice.connect(), {node: "n1", user: "alice-" + run});
  await bob.connect();
  const room = "basics-" + run;
  assert.deepEqual(await alice.create(room), {room, admin: "n1", owner: "alice-" + run, private: false});
  await expectError(alice.create(room), "ROOM_EXISTS");
  const seenByAlice = record(alice);
  const joined = await alice.join(room);
  assert.deepEqual(joined.members, ["alice-" + run]);
  const presence = [];
  alice.on("presence", (p) => presence.push(p.members));
  await until(async () => (await bob.rooms()).some((r) => r.room === room), "bob sees the room");
  await bob.join(room);
  await until(() => alice.members(room).includes("bob-" + run), "alice sees bob in the member list");

  const acks = [];
  for (let i = 0; i < 7; i++) acks.push(await (i % 2 ? bob : alice).send(room, "m" + i));
  assert.ok(acks.every((a, i) => i === 0 || a.seq > acks[i - 1].seq), "acks ascend");
  await until(() => seenByAlice.length === 7, "alice sees 7 messages");
  assert.deepEqual(seenByAlice.map((m) => m.text), ["m0", "m1", "m2", "m3", "m4", "m5", "m6"]);
  for (const m of seenByAlice) {
    assert.ok(m.time instanceof Date && Math.abs(m.time.getTime() - Date.now()) < 60000, "a timestamp near now");
  }
  assert.equal(seenByAlice[0].mine, true);
  assert.equal(seenByAlice[1].mine, false);

  // history paging backwards, 3 at a time
  const page1 = await bob.history(room, {limit: 3});
  assert.deepEqual(page1.map((m) => m.text), ["m4", "m5", "m6"]);
  const page2 = await bob.history(room, {before: page1[0].seq, limit: 3});
  assert.deepEqual(page2.map((m) => m.text), ["m1", "m2", "m3"]);
  const page3 = await bob.history(room, {before: page2[0].seq, limit: 3});
  assert.deepEqual(page3.map((m) => m.text), ["m0"]);
  assert.deepEqual(await bob.history(room, {before: page3[0].seq}), []);

  // carol joins with the last 20 events: the messages arrive once, before her own join
  const carol = client([N3], "carol");
  await carol.connect();
  const seenByCarol = record(carol);
  const cj = await carol.join(room, {last: 20});
  await until(() => seenByCarol.length === 7, "carol gets the history");
  assert.deepEqual(seenByCarol.map((m) => m.text), seenByAlice.map((m) => m.text));
  assert.ok(seenByCarol.every((m) => !m.live && m.seq < cj.seq), "history is marked as such");
  assert.deepEqual(cj.members, ["alice-" + run, "bob-" + run, "carol-" + run]);

  // leaving updates presence; errors carry the protocol codes
  await bob.leave(room);
  await until(() => !alice.members(room).includes("bob-" + run), "bob leaves alice's member list");
  assert.ok(presence.some((p) => p.includes("bob-" + run)));
  await expectError(bob.send(room, "not a member"), "NOT_MEMBER");
  await expectError(alice.send(room, "x".repeat(5000)), "TOO_LARGE");
  await expectError(alice.send(room, "   "), "BAD_REQUEST");
  await expectError(alice.join("nowhere-" + run), "UNKNOWN_ROOM");
  await expectError(carol.delete(room), "NOT_ADMIN");

  // deletion reaches members on other nodes
  const deleted = new Promise((resolve) => carol.on("deleted", resolve));
  await alice.delete(room);
  assert.equal((await deleted).room, room);
  assert.deepEqual(carol.joinedRooms(), []);
});

test("a second connection of a user is welcome; a refused name and an unreachable server fail connect()", {skip}, async () => {
  const first = client([N1], "dora");
  await first.connect();
  const second = client([N1], "dora", {nameInUseRetryMs: 300});
  assert.equal((await second.connect()).node, "n1"); // another tab or device of dora
  const bad = client([N1], "no spaces allowed");
  await expectError(bad.connect(), "BAD_REQUEST");
  const nowhere = client(["ws://127.0.0.1:9/ws"], "eve");
  await expectError(nowhere.connect({connectAttempts: 2}), "CONNECT_FAILED");
});

test("node kill and restart during a conversation: every acked message exactly once, in order", {skip, timeout: 60000}, async () => {
  // bob talks through n1, the room's admin; alice through n2 and, when that dies, n3 (and back)
  const bob = client([N1], "bob2");
  const alice = client([N2, N3], "alice2");
  await bob.connect();
  assert.equal((await alice.connect()).node, "n2");
  const room = "failover-" + run;
  await bob.create(room);
  await until(async () => (await alice.rooms()).some((r) => r.room === room), "alice sees the room");
  const seen = {alice: record(alice), bob: record(bob)};
  await alice.join(room);
  await bob.join(room);
  const nodes = [];
  const events = [];
  alice.on("*", (type, p) => { if (type !== "message" && type !== "presence") events.push(type + " " + JSON.stringify(p)); });
  alice.on("welcome", (w) => nodes.push(w.node));

  const acked = [];
  const sends = [];
  let n = 0;
  const say = (who, c) => {
    const text = who + "-" + (n++);
    const p = c.send(room, text).then((ack) => { acked.push({...ack, text}); return ack; });
    sends.push(p);
    return p;
  };
  const burst = async (count) => {
    for (let i = 0; i < count; i++) {
      say("a", alice);
      await say("b", bob);
    }
  };

  try {
    await conversation();
  } catch (e) {
    e.message += "\nalice's events:\n" + events.join("\n");
    throw e;
  }
  async function conversation() {
  await burst(5);
  await control("kill", "n2");            // alice's node dies with her sends in flight
  say("a", alice);
  say("a", alice);
  await burst(5);                         // bob keeps talking while alice is away
  await until(() => alice.state === "connected" && alice.node === "n3", "alice reconnects to n3", 30000);
  await burst(5);
  await control("restart", "n2");
  await control("kill", "n3");            // and again: back to the restarted n2
  await burst(3);
  await until(() => alice.state === "connected" && alice.node === "n2", "alice reconnects to n2", 30000);
  await burst(3);
  await Promise.all(sends);
  await control("restart", "n3");
  }

  assert.deepEqual(nodes, ["n3", "n2"]);
  acked.sort((x, y) => x.seq - y.seq);
  assert.equal(new Set(acked.map((a) => a.seq)).size, acked.length, "one seq per message");
  for (const who of ["alice", "bob"]) {
    const c = who === "alice" ? alice : bob;
    await until(() => seen[who].length >= acked.length && c.pendingSends === 0, who + " sees every acked message", 10000)
      .catch(() => { /* the comparison below shows what is missing */ });
    const got = seen[who].filter((m) => m.room === room);
    assert.deepEqual(got.map((m) => m.seq + ":" + m.text), acked.map((a) => a.seq + ":" + a.text),
      who + " sees every acked message exactly once, in order; alice's events:\n" + events.join("\n"));
  }
});
