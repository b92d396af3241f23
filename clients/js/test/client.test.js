// Unit tests of the client's own logic against a scripted in-memory WebSocket (no server needed).
import {test} from "node:test";
import assert from "node:assert/strict";
import {ChatClient, ChatError, describeAvailable, describeCloseCode, isValidName, logRelation} from "../chatmesh.js";

/** A fake WebSocket class whose instances a test drives: open(), reply(frame), drop(code). */
function fakeSockets() {
  const sockets = [];
  class FakeWebSocket {
    constructor(url) {
      this.url = url;
      this.readyState = 0;
      this.sent = [];
      sockets.push(this);
    }
    send(text) { this.sent.push(JSON.parse(text)); }
    close() { this.readyState = 3; }
    open() { this.readyState = 1; this.onopen(); }
    reply(frame) { this.onmessage({data: JSON.stringify(frame)}); }
    drop(code = 1006) { this.readyState = 3; this.onclose({code, reason: ""}); }
    fail() { this.readyState = 3; this.onerror({}); }
    last(type) { return this.sent.filter((f) => f.type === type).at(-1); }
  }
  return {sockets, FakeWebSocket};
}

const tick = () => new Promise((r) => setImmediate(r));
const until = async (p) => { for (let i = 0; i < 200 && !p(); i++) await new Promise((r) => setTimeout(r, 5)); assert.ok(p(), "condition never held"); };

function welcome(ws, node, user) {
  ws.open();
  assert.equal(ws.sent[0].type, "hello");
  ws.reply({type: "welcome", id: "hello", node, user});
}

/** Connects `c` (user alice) through the first fake socket and joins room "r" at {seq, epoch}. */
async function connectAndJoin(c, sockets, {seq, epoch}) {
  const connected = c.connect();
  await until(() => sockets.length === 1);
  welcome(sockets[0], "n1", "alice");
  await connected;
  const joined = c.join("r");
  await tick();
  sockets[0].reply({type: "joined", id: sockets[0].last("join").id, room: "r", admin: "n1", seq, epoch, members: ["alice"], recovered: true});
  await joined;
}

test("backoff grows with jitter, is capped, and rotates over the URLs", async () => {
  const {sockets, FakeWebSocket} = fakeSockets();
  const c = new ChatClient({urls: ["ws://a/ws", "ws://b/ws"], user: "u", WebSocket: FakeWebSocket,
    minDelayMs: 1, maxDelayMs: 4, random: () => 0.999});
  const delays = [];
  c.on("state", (s) => { if (s.delayMs !== undefined) delays.push(s.delayMs); });
  const connected = c.connect({connectAttempts: 10});
  for (let i = 0; i < 5; i++) {
    await until(() => sockets.length === i + 1);
    sockets[i].fail();
  }
  await until(() => sockets.length === 6);
  welcome(sockets[5], "n2", "u");
  assert.deepEqual(await connected, {node: "n2", user: "u"});
  assert.deepEqual(sockets.map((s) => s.url), ["ws://a/ws", "ws://b/ws", "ws://a/ws", "ws://b/ws", "ws://a/ws", "ws://b/ws"]);
  assert.deepEqual(delays, [1, 2, 4, 4, 4]);
  c.close();
});

test("after a reconnect rooms are resumed from the last seq, overlaps dropped, unacked sends resent once", async () => {
  const {sockets, FakeWebSocket} = fakeSockets();
  const c = new ChatClient({urls: ["ws://a/ws"], user: "alice", WebSocket: FakeWebSocket, minDelayMs: 1, maxDelayMs: 1});
  const seen = [];
  c.on("message", (m) => seen.push(m.seq + ":" + m.text));
  await connectAndJoin(c, sockets, {seq: 5, epoch: 2});
  const ws = sockets[0];
  ws.reply({type: "member_joined", room: "r", user: "alice", seq: 5, epoch: 2, ts: 1});
  ws.reply({type: "message", room: "r", seq: 6, epoch: 2, user: "bob", text: "six", ts: 2});
  const sent = c.send("r", "mine");
  await tick();
  const sendId = ws.last("send").id;
  ws.drop(1001);
  await until(() => sockets.length === 2);
  const ws2 = sockets[1];
  welcome(ws2, "n2", "alice");
  await until(() => ws2.last("join"));
  assert.deepEqual({...ws2.last("join"), id: undefined}, {type: "join", room: "r", since: 6, epoch: 2, id: undefined});
  assert.equal(ws2.last("send"), undefined, "sends wait for the rejoin");
  ws2.reply({type: "joined", id: ws2.last("join").id, room: "r", admin: "n1", seq: 9, epoch: 2, members: ["alice", "bob"], recovered: true});
  ws2.reply({type: "message", room: "r", seq: 6, epoch: 2, user: "bob", text: "six", ts: 2}); // overlap
  ws2.reply({type: "message", room: "r", seq: 7, epoch: 2, user: "alice", text: "mine", id: sendId, ts: 3});
  ws2.reply({type: "member_left", room: "r", seq: 8, epoch: 2, user: "alice", reason: "NODE_FAILED", ts: 4}); // old membership
  ws2.reply({type: "member_joined", room: "r", user: "alice", seq: 9, epoch: 2, ts: 5});
  await tick();
  assert.deepEqual(ws2.sent.filter((f) => f.type === "send").map((f) => f.id), [sendId], "the unacked send is resent once, with its id");
  ws2.reply({type: "ack", id: sendId, room: "r", seq: 7, epoch: 2, duplicate: true});
  assert.deepEqual(await sent, {room: "r", seq: 7, epoch: 2, duplicate: true, id: sendId});
  assert.deepEqual(seen, ["6:six", "7:mine"]);
  assert.deepEqual(c.members("r"), ["alice", "bob"], "the replayed NODE_FAILED does not end the membership");
  assert.equal(c.joinedRooms()[0].joined, true);

  // a live removal does end it, and so does an unsequenced REMOVED
  const removed = new Promise((r) => c.on("removed", r));
  ws2.reply({type: "member_left", room: "r", seq: 0, epoch: 2, user: "alice", reason: "REMOVED", ts: 6});
  assert.deepEqual(await removed, {room: "r", reason: "REMOVED"});
  assert.deepEqual(c.joinedRooms(), []);
  c.close();
});

test("errors carry the protocol code; a refused name fails connect(); close codes read well", async () => {
  const {sockets, FakeWebSocket} = fakeSockets();
  const c = new ChatClient({urls: ["ws://a/ws"], user: "bob", WebSocket: FakeWebSocket, nameInUseRetryMs: 0});
  const connected = c.connect();
  await until(() => sockets.length === 1);
  sockets[0].open();
  sockets[0].reply({type: "error", id: "hello", code: "BAD_REQUEST", message: "user 'bob' is already connected"});
  await assert.rejects(connected, (e) => e instanceof ChatError && e.code === "BAD_REQUEST" && /already connected/.test(e.message));
  assert.equal(c.state, "failed");
  await assert.rejects(c.rooms(), (e) => e.code === "CLOSED");
  assert.equal(describeCloseCode(1006), "connection lost");
  assert.equal(describeCloseCode(1001), "the server went away");
  assert.ok(isValidName("a.b_c-1") && !isValidName("no spaces") && !isValidName("x".repeat(65)));
});

test("a resume into a room whose log started again (admin restarted without history) resets the positions", async () => {
  const {sockets, FakeWebSocket} = fakeSockets();
  const c = new ChatClient({urls: ["ws://a/ws"], user: "alice", WebSocket: FakeWebSocket, minDelayMs: 1, maxDelayMs: 1});
  const seen = [];
  const resets = [];
  c.on("message", (m) => seen.push(m.seq + ":" + m.text));
  c.on("reset", (r) => resets.push(r));
  await connectAndJoin(c, sockets, {seq: 40, epoch: 1});
  sockets[0].reply({type: "message", room: "r", seq: 41, epoch: 1, user: "bob", text: "old", ts: 1});
  sockets[0].drop();
  await until(() => sockets.length === 2);
  welcome(sockets[1], "n1", "alice");
  await until(() => sockets[1].last("join"));
  sockets[1].reply({type: "joined", id: sockets[1].last("join").id, room: "r", admin: "n2", seq: 3, epoch: 1, members: ["alice"], recovered: false});
  sockets[1].reply({type: "member_joined", room: "r", user: "alice", seq: 3, epoch: 1, ts: 2});
  sockets[1].reply({type: "message", room: "r", seq: 4, epoch: 1, user: "bob", text: "new", ts: 3});
  assert.deepEqual(seen, ["41:old", "4:new"]);
  assert.equal(resets[0].restarted, true);
  c.close();
});

test("logRelation: a higher epoch whose seq continues is the same log; a seq not after the last seen with another epoch is a restart", () => {
  assert.equal(logRelation(null, 0, 3, 1), "continues", "nothing seen yet");
  assert.equal(logRelation(1, 40, 1, 40), "seen");
  assert.equal(logRelation(1, 40, 1, 12), "seen");
  assert.equal(logRelation(1, 40, 1, 41), "continues");
  assert.equal(logRelation(1, 40, 2, 41), "continues", "failover: the new admin continues the log");
  assert.equal(logRelation(2, 0, 1, 8), "continues", "history from before a failover, after a join at the new epoch");
  assert.equal(logRelation(1, 40, 2, 40), "restarted");
  assert.equal(logRelation(1, 40, 2, 3), "restarted", "a room created again starts at seq 1");
  // joins: the join's own seq must be after what was seen, whatever the epoch
  assert.equal(logRelation(1, 40, 2, 45, true), "continues");
  assert.equal(logRelation(1, 40, 1, 45, true), "continues");
  assert.equal(logRelation(1, 40, 2, 40, true), "restarted");
  assert.equal(logRelation(1, 40, 1, 3, true), "restarted");
});

/** A client of alice's over fake sockets, recording messages (as `format` words them) and resets. */
function watchedClient(format) {
  const {sockets, FakeWebSocket} = fakeSockets();
  const c = new ChatClient({urls: ["ws://a/ws"], user: "alice", WebSocket: FakeWebSocket, minDelayMs: 1, maxDelayMs: 1});
  const seen = [];
  const resets = [];
  c.on("message", (m) => seen.push(format(m)));
  c.on("reset", (r) => resets.push(r));
  return {sockets, c, seen, resets};
}

/** Drops the newest socket, welcomes the next one at `node` and waits for its resume; returns it. */
async function reconnect(sockets, node) {
  const n = sockets.length;
  sockets[n - 1].drop();
  await until(() => sockets.length === n + 1);
  welcome(sockets[n], node, "alice");
  await until(() => sockets[n].last("join"));
  return sockets[n];
}

test("a resume after the room failed over (higher epoch, seq continuing) keeps every position: no reset, no replay", async () => {
  const {sockets, c, seen, resets} = watchedClient((m) => m.epoch + "/" + m.seq + ":" + m.text);
  await connectAndJoin(c, sockets, {seq: 5, epoch: 1});
  sockets[0].reply({type: "message", room: "r", seq: 6, epoch: 1, user: "bob", text: "six", ts: 1});
  sockets[0].reply({type: "message", room: "r", seq: 7, epoch: 1, user: "bob", text: "seven", ts: 2});
  const ws2 = await reconnect(sockets, "n2");
  assert.deepEqual({...ws2.last("join"), id: undefined}, {type: "join", room: "r", since: 7, epoch: 1, id: undefined});
  // the room moved to n2 after seq 8: 8 keeps epoch 1, 9.. carry epoch 2
  ws2.reply({type: "joined", id: ws2.last("join").id, room: "r", admin: "n2", seq: 11, epoch: 2, members: ["alice", "bob"], recovered: true});
  ws2.reply({type: "message", room: "r", seq: 7, epoch: 1, user: "bob", text: "seven", ts: 2}); // overlap
  ws2.reply({type: "message", room: "r", seq: 8, epoch: 1, user: "bob", text: "eight", ts: 3});
  ws2.reply({type: "message", room: "r", seq: 9, epoch: 2, user: "bob", text: "nine", ts: 4});
  ws2.reply({type: "member_left", room: "r", seq: 10, epoch: 2, user: "alice", reason: "NODE_FAILED", ts: 5});
  ws2.reply({type: "member_joined", room: "r", user: "alice", seq: 11, epoch: 2, ts: 6});
  ws2.reply({type: "message", room: "r", seq: 12, epoch: 2, user: "bob", text: "twelve", ts: 7});
  assert.deepEqual(resets, []);
  assert.deepEqual(seen, ["1/6:six", "1/7:seven", "1/8:eight", "2/9:nine", "2/12:twelve"]);
  assert.deepEqual(c.joinedRooms().map((r) => [r.epoch, r.seq]), [[2, 12]]);
  // the next resume names the new epoch
  await reconnect(sockets, "n3");
  assert.deepEqual({...sockets[2].last("join"), id: undefined}, {type: "join", room: "r", since: 12, epoch: 2, id: undefined});
  c.close();
});

test("live events that go on at a higher epoch after 'available' (failover without reconnect) are no reset", async () => {
  const {sockets, c, seen, resets} = watchedClient((m) => m.epoch + "/" + m.seq + (m.live ? "" : " history"));
  await connectAndJoin(c, sockets, {seq: 5, epoch: 1});
  sockets[0].reply({type: "message", room: "r", seq: 6, epoch: 1, user: "bob", text: "a", ts: 1});
  sockets[0].reply({type: "unavailable", room: "r", reason: "admin node n1 is down"});
  sockets[0].reply({type: "available", room: "r", admin: "n2", epoch: 2});
  sockets[0].reply({type: "message", room: "r", seq: 7, epoch: 2, user: "bob", text: "b", ts: 2});
  sockets[0].reply({type: "message", room: "r", seq: 7, epoch: 2, user: "bob", text: "b", ts: 2}); // a duplicate
  assert.deepEqual(resets, []);
  assert.deepEqual(seen, ["1/6", "2/7"]);
  c.close();
});

test("'lost' retracting events lost at an ADMIN_ONLY failover: the newer epoch's events at those seqs continue the log", async () => {
  const {sockets, c, seen, resets} = watchedClient((m) => m.epoch + "/" + m.seq);
  const lost = [];
  c.on("lost", (l) => lost.push(l));
  await connectAndJoin(c, sockets, {seq: 5, epoch: 1});
  sockets[0].reply({type: "message", room: "r", seq: 6, epoch: 1, user: "bob", text: "a", ts: 1});
  sockets[0].reply({type: "message", room: "r", seq: 7, epoch: 1, user: "bob", text: "b", ts: 1});
  sockets[0].reply({type: "lost", room: "r", from: 6, to: 7, epoch: 2});
  sockets[0].reply({type: "message", room: "r", seq: 6, epoch: 2, user: "bob", text: "c", ts: 2});
  sockets[0].reply({type: "message", room: "r", seq: 7, epoch: 2, user: "bob", text: "d", ts: 2});
  assert.deepEqual(lost, [{room: "r", from: 6, to: 7, epoch: 2, retracted: true}]);
  assert.deepEqual(resets, []);
  assert.deepEqual(seen, ["1/6", "1/7", "2/6", "2/7"]);
  c.close();
});

test("an event or join with another epoch whose seq does not continue the log is a restart", async () => {
  const {sockets, c, seen, resets} = watchedClient((m) => m.epoch + "/" + m.seq);
  await connectAndJoin(c, sockets, {seq: 40, epoch: 1});
  sockets[0].reply({type: "message", room: "r", seq: 41, epoch: 1, user: "bob", text: "old", ts: 1});
  sockets[0].reply({type: "message", room: "r", seq: 2, epoch: 5, user: "bob", text: "new log", ts: 2});
  assert.deepEqual(resets, [{room: "r", epoch: 5, previousEpoch: 1, restarted: true}]);
  assert.deepEqual(seen, ["1/41", "5/2"]);
  // a resume whose join is not after what was seen, at another epoch: the room was created again
  await reconnect(sockets, "n1");
  sockets[1].reply({type: "joined", id: sockets[1].last("join").id, room: "r", admin: "n3", seq: 1, epoch: 9, members: ["alice"], recovered: false});
  sockets[1].reply({type: "member_joined", room: "r", user: "alice", seq: 1, epoch: 9, ts: 3});
  sockets[1].reply({type: "message", room: "r", seq: 2, epoch: 9, user: "bob", text: "newer log", ts: 4});
  assert.equal(resets[1].restarted, true);
  assert.equal(resets[1].epoch, 9);
  assert.deepEqual(seen, ["1/41", "5/2", "9/2"]);
  c.close();
});

test("history asked for with 'last' after a failover mixes epochs and is no reset", async () => {
  const {sockets, c, seen, resets} = watchedClient((m) => m.epoch + "/" + m.seq + (m.live ? " live" : ""));
  const connected = c.connect();
  await until(() => sockets.length === 1);
  welcome(sockets[0], "n1", "alice");
  await connected;
  const joined = c.join("r", {last: 3});
  await tick();
  const ws = sockets[0];
  ws.reply({type: "joined", id: ws.last("join").id, room: "r", admin: "n2", seq: 11, epoch: 2, members: ["alice"], recovered: true});
  ws.reply({type: "message", room: "r", seq: 8, epoch: 1, user: "bob", text: "a", ts: 1});
  ws.reply({type: "message", room: "r", seq: 9, epoch: 2, user: "bob", text: "b", ts: 2});
  ws.reply({type: "message", room: "r", seq: 10, epoch: 2, user: "bob", text: "c", ts: 3});
  ws.reply({type: "member_joined", room: "r", user: "alice", seq: 11, epoch: 2, ts: 4});
  ws.reply({type: "message", room: "r", seq: 12, epoch: 2, user: "bob", text: "d", ts: 5});
  await joined;
  assert.deepEqual(resets, []);
  assert.deepEqual(seen, ["1/8", "2/9", "2/10", "2/12 live"]);
  c.close();
});

test("'available' names the room's admin and epoch now (after a failover or move); 'unavailable' and 'available' set the room's availability", async () => {
  const {sockets, FakeWebSocket} = fakeSockets();
  const c = new ChatClient({urls: ["ws://a/ws"], user: "alice", WebSocket: FakeWebSocket, minDelayMs: 1, maxDelayMs: 1});
  const events = [];
  c.on("unavailable", (e) => events.push(["unavailable", e]));
  c.on("available", (e) => events.push(["available", e]));
  await connectAndJoin(c, sockets, {seq: 5, epoch: 1});
  sockets[0].reply({type: "unavailable", room: "r", reason: "admin node n1 is down"});
  assert.equal(c.joinedRooms()[0].available, false);
  await assert.rejects(c.send("r", "hi"), (e) => e.code === "UNAVAILABLE");
  sockets[0].reply({type: "available", room: "r", admin: "n2", epoch: 2});
  assert.deepEqual(events, [
    ["unavailable", {room: "r", reason: "admin node n1 is down"}],
    ["available", {room: "r", admin: "n2", epoch: 2}],
  ]);
  assert.equal(c.joinedRooms()[0].available, true);
  assert.equal(c.joinedRooms()[0].admin, "n2");
  assert.equal(describeAvailable(events[1][1]), "room r is available again – admin now n2 (epoch 2)");
  // a gateway that names no admin (older versions) keeps the admin the client knew
  sockets[0].reply({type: "available", room: "r"});
  assert.equal(c.joinedRooms()[0].admin, "n2");
  assert.equal(describeAvailable(events[2][1]), "room r is available again");
  c.close();
});

test("a send refused UNAVAILABLE after it went out (its admin died mid-send) is kept and resent with its id once the room is available again", async () => {
  const {sockets, FakeWebSocket} = fakeSockets();
  const c = new ChatClient({urls: ["ws://a/ws"], user: "alice", WebSocket: FakeWebSocket, minDelayMs: 1, maxDelayMs: 1,
    unavailableRetryMs: 60000});
  await connectAndJoin(c, sockets, {seq: 5, epoch: 1});
  const ws = sockets[0];
  let settled = null;
  const sent = c.send("r", "during the failover").then((a) => { settled = a; return a; }, (e) => { settled = e; throw e; });
  await tick();
  const id = ws.last("send").id;
  // the old admin may have sequenced it before it died: only a resend with the same id can tell
  ws.reply({type: "error", id, code: "UNAVAILABLE", message: "the admin of room r is unreachable"});
  ws.reply({type: "unavailable", room: "r", reason: "admin node n1 is down"});
  await tick();
  assert.equal(settled, null, "not rejected: it may have been delivered");
  assert.equal(ws.sent.filter((f) => f.type === "send").length, 1, "not resent while the room is unavailable");
  ws.reply({type: "available", room: "r", admin: "n2", epoch: 7});
  await tick();
  assert.deepEqual(ws.sent.filter((f) => f.type === "send").map((f) => f.id), [id, id], "resent once, with its id");
  ws.reply({type: "ack", id, room: "r", seq: 6, epoch: 1, duplicate: true});
  assert.deepEqual(await sent, {room: "r", seq: 6, epoch: 1, duplicate: true, id});
  c.close();
});

test("a send refused UNAVAILABLE while the room still counts as available is retried after unavailableRetryMs, and rejected TIMEOUT at sendTimeoutMs", async () => {
  const {sockets, FakeWebSocket} = fakeSockets();
  const c = new ChatClient({urls: ["ws://a/ws"], user: "alice", WebSocket: FakeWebSocket, minDelayMs: 1, maxDelayMs: 1,
    unavailableRetryMs: 10, sendTimeoutMs: 400});
  await connectAndJoin(c, sockets, {seq: 5, epoch: 1});
  const ws = sockets[0];
  const sent = c.send("r", "hi");
  await tick();
  const id = ws.last("send").id;
  ws.reply({type: "error", id, code: "UNAVAILABLE", message: "room r is moving"});
  await until(() => ws.sent.filter((f) => f.type === "send").length === 2);
  assert.equal(ws.last("send").id, id);
  ws.reply({type: "error", id, code: "UNAVAILABLE", message: "room r is moving"});
  await assert.rejects(sent, (e) => e.code === "TIMEOUT");
  c.close();
});

test("a send answered UNKNOWN_ROOM by an old admin just after a move (the room is still joined) is resent with its id", async () => {
  const {sockets, FakeWebSocket} = fakeSockets();
  const c = new ChatClient({urls: ["ws://a/ws"], user: "alice", WebSocket: FakeWebSocket, minDelayMs: 1, maxDelayMs: 1,
    unavailableRetryMs: 60000});
  await connectAndJoin(c, sockets, {seq: 5, epoch: 1});
  const ws = sockets[0];
  const sent = c.send("r", "during the move");
  await tick();
  const id = ws.last("send").id;
  ws.reply({type: "error", id, code: "UNKNOWN_ROOM", message: "node n1 does not administer room 'r'"});
  ws.reply({type: "available", room: "r", admin: "n2", epoch: 9});
  await tick();
  assert.deepEqual(ws.sent.filter((f) => f.type === "send").map((f) => f.id), [id, id]);
  ws.reply({type: "ack", id, room: "r", seq: 6, epoch: 9, duplicate: false});
  assert.equal((await sent).seq, 6);
  c.close();
});
