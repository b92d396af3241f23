// chatmesh.js: a client for the chatmesh WebSocket protocol v1 (chatmesh-websocket/PROTOCOL.md).
// One ES module, no runtime dependencies. Works in browsers and in Node (>= 22, or 20 with
// --experimental-websocket, or pass any WHATWG-compatible WebSocket class as option `WebSocket`).
//
// What it adds on top of the raw protocol:
//  - connects to one of several gateway URLs and reconnects with exponential backoff and jitter,
//    moving on to the next URL after each failure (a dead node's clients land on another node);
//  - after every reconnect it says hello again and rejoins every room it was in with a resume
//    ({since: last seq seen, epoch}), so no event is missed and none is delivered twice (events at or
//    below the last seq seen are dropped); a higher epoch whose seq continues the log is the same log
//    at a new admin (failover, move), only a seq not after the last seen with another epoch is a
//    restarted log (logRelation);
//  - sends carry a client id; sends not acked when the connection dropped are resent after the
//    room is rejoined (the node's dedup window makes that exactly-once);
//  - member lists kept from `joined` + member events (presence), history paging, typed events and
//    ChatError objects carrying the protocol's error codes.
// Not thread-related: everything runs on the caller's event loop.

/** The protocol's error codes plus the client's own (DISCONNECTED, CLOSED, CONNECT_FAILED). */
export const ErrorCodes = Object.freeze({
  BAD_REQUEST: "BAD_REQUEST", UNKNOWN_ROOM: "UNKNOWN_ROOM", ROOM_EXISTS: "ROOM_EXISTS",
  NOT_MEMBER: "NOT_MEMBER", ALREADY_MEMBER: "ALREADY_MEMBER", NOT_ADMIN: "NOT_ADMIN",
  UNAVAILABLE: "UNAVAILABLE", ABORTED: "ABORTED", TOO_LARGE: "TOO_LARGE", RATE_LIMITED: "RATE_LIMITED",
  UNAUTHORIZED: "UNAUTHORIZED", TIMEOUT: "TIMEOUT", INTERNAL: "INTERNAL", FORBIDDEN: "FORBIDDEN",
  /** client side: the connection dropped while the request was in flight (it may have taken effect) */
  DISCONNECTED: "DISCONNECTED",
  /** client side: close() was called */
  CLOSED: "CLOSED",
  /** client side: the user name was refused or no gateway could be reached on the first connect */
  CONNECT_FAILED: "CONNECT_FAILED",
});

/** An error with a protocol code (`err.code`) and, for failed requests, the request type. */
export class ChatError extends Error {
  constructor(code, message, details = {}) {
    super(code + ": " + message);
    this.name = "ChatError";
    this.code = code;
    this.detail = message;
    Object.assign(this, details);
  }
}

const NAME = /^[A-Za-z0-9._-]{1,64}$/;

/** True if `name` is a valid user or room name (1-64 characters from [A-Za-z0-9._-]). */
export function isValidName(name) {
  return typeof name === "string" && NAME.test(name);
}

/** Connection states reported by the "state" event. */
export const States = Object.freeze({
  IDLE: "idle", CONNECTING: "connecting", CONNECTED: "connected",
  RECONNECTING: "reconnecting", CLOSED: "closed", FAILED: "failed",
});

function randomPrefix() {
  const c = globalThis.crypto;
  if (c && c.getRandomValues) {
    const a = new Uint32Array(2);
    c.getRandomValues(a);
    return a[0].toString(36) + a[1].toString(36);
  }
  return Math.random().toString(36).slice(2);
}

/**
 * A chat client. Create, subscribe with on(), then await connect().
 *
 * Options: urls (string or array of ws:// or wss:// URLs, required), user (required), token,
 * WebSocket (class, default globalThis.WebSocket), minDelayMs (250), maxDelayMs (5000),
 * requestTimeoutMs (10000), sendTimeoutMs (60000: how long an unacked send is kept for resending),
 * unavailableRetryMs (2000: when a send in flight was refused UNAVAILABLE although the room still
 * counted as available, how long until it is resent with its id),
 * nameInUseRetryMs (3000: how long a hello refused as "already connected" is retried on the first
 * connect; after a reconnect it is always retried), random (() => number in [0,1), for tests).
 */
export class ChatClient {
  constructor(options) {
    if (!options || !options.urls || !options.user) throw new TypeError("ChatClient needs {urls, user}");
    this.urls = Array.isArray(options.urls) ? options.urls.slice() : [options.urls];
    if (this.urls.length === 0) throw new TypeError("ChatClient needs at least one URL");
    this.user = options.user;
    this.token = options.token;
    this.WebSocket = options.WebSocket || globalThis.WebSocket;
    if (!this.WebSocket) throw new TypeError("no WebSocket class: pass options.WebSocket (Node 20: run with --experimental-websocket)");
    this.minDelayMs = options.minDelayMs ?? 250;
    this.maxDelayMs = options.maxDelayMs ?? 5000;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 10000;
    this.sendTimeoutMs = options.sendTimeoutMs ?? 60000;
    this.unavailableRetryMs = options.unavailableRetryMs ?? 2000;
    this.nameInUseRetryMs = options.nameInUseRetryMs ?? 3000;
    this.random = options.random || Math.random;
    this.state = States.IDLE;
    this.node = null;           // id of the node we are connected to
    this.url = null;            // URL of the current connection
    this._listeners = new Map();
    this._ws = null;
    this._urlIndex = 0;
    this._attempt = 0;
    this._everConnected = false;
    this._firstConnectStarted = 0;
    this._timer = null;
    this._nextId = 1;
    this._idPrefix = "c" + randomPrefix();
    this._requests = new Map(); // id -> {frame, resolve, reject, timer, type}
    this._sends = new Map();    // id -> pending send {room, text, id, resolve, reject, deadline, sent}
    this._rooms = new Map();    // room -> {name, joined, seq, epoch, members:Set, admin, available, rejoining}
    this._waitingForConnection = []; // requests made while not connected: [{frame, resolve, reject}]
    this._connectPromise = null;
  }

  // ------------------------------------------------------------------ events

  /**
   * Subscribes to an event; returns a function that unsubscribes. Events: state, welcome, rooms,
   * message, member_joined, member_left, presence, joined, left, removed, deleted, unavailable,
   * available, lost, reset, rejoining (a rejoin after a reconnect failed and is retried), error. "*" receives every event as (type, payload).
   */
  on(type, fn) {
    if (!this._listeners.has(type)) this._listeners.set(type, new Set());
    this._listeners.get(type).add(fn);
    return () => this._listeners.get(type).delete(fn);
  }

  _emit(type, payload) {
    for (const fn of this._listeners.get(type) || []) {
      try { fn(payload); } catch (e) { this._report(e); }
    }
    for (const fn of this._listeners.get("*") || []) {
      try { fn(type, payload); } catch (e) { this._report(e); }
    }
  }

  _report(e) {
    if (typeof console !== "undefined") console.error("chatmesh listener failed", e);
  }

  _setState(state, extra = {}) {
    this.state = state;
    this._emit("state", Object.assign({state, url: this.url, node: this.node}, extra));
  }

  // ------------------------------------------------------------------ connection

  /**
   * Connects (to the first URL that answers) and says hello. Resolves with {node, user} on the
   * first welcome; rejects with a ChatError (code UNAUTHORIZED or CONNECT_FAILED) when the name
   * is refused, or when no URL could be reached after trying each of them `connectAttempts`
   * (default 2) times. After that the client reconnects by itself until close().
   */
  connect({connectAttempts = 2} = {}) {
    if (this._connectPromise) return this._connectPromise;
    this._connectAttempts = connectAttempts * this.urls.length;
    this._firstConnectStarted = Date.now();
    this._connectPromise = new Promise((resolve, reject) => {
      this._resolveConnect = resolve;
      this._rejectConnect = reject;
    });
    this._open();
    return this._connectPromise;
  }

  /** Closes the connection for good; pending requests and sends fail with CLOSED. */
  close() {
    if (this.state === States.CLOSED) return;
    clearTimeout(this._timer);
    const ws = this._ws;
    this._ws = null;
    if (ws) { try { ws.close(1000, "bye"); } catch (e) { /* already closing */ } }
    for (const r of this._rooms.values()) clearTimeout(r.retryTimer);
    const err = new ChatError(ErrorCodes.CLOSED, "the client was closed");
    this._failAll(err, true);
    if (this._rejectConnect) { this._rejectConnect(err); this._rejectConnect = null; }
    this._setState(States.CLOSED);
  }

  _open() {
    if (this.state === States.CLOSED || this.state === States.FAILED) return;
    const url = this.urls[this._urlIndex % this.urls.length];
    this.url = url;
    this.node = null;
    this._setState(this._everConnected ? States.RECONNECTING : States.CONNECTING, {attempt: this._attempt});
    let ws;
    try {
      ws = new this.WebSocket(url);
    } catch (e) {
      this._scheduleReconnect({code: 0, reason: String(e && e.message || e)});
      return;
    }
    this._ws = ws;
    let welcomed = false;
    ws.onopen = () => {
      clearTimeout(openTimer);
      if (this._ws !== ws) return;
      const hello = {type: "hello", user: this.user, id: "hello"};
      if (this.token !== undefined) hello.token = this.token;
      ws.send(JSON.stringify(hello));
    };
    ws.onmessage = (e) => {
      if (this._ws !== ws) return;
      let f;
      try { f = JSON.parse(e.data); } catch (x) { return; }
      if (!f || typeof f.type !== "string") return;
      if (!welcomed) {
        if (f.type === "welcome") { welcomed = true; this._onWelcome(f); }
        else if (f.type === "error" && f.id === "hello") this._onHelloRefused(ws, f);
        return;
      }
      this._onFrame(f);
    };
    // some WebSocket implementations (Node 20's) report a failed connect with "error" only, no
    // "close": either ends this socket; an open that takes too long counts as failed too
    const lost = (info) => {
      clearTimeout(openTimer);
      if (this._ws !== ws) return;
      this._ws = null;
      try { ws.close(); } catch (x) { /* not open */ }
      this._onDisconnect(info);
    };
    const openTimer = setTimeout(() => lost({code: 1006, reason: "no answer within " + this.requestTimeoutMs + " ms"}), this.requestTimeoutMs);
    ws.onerror = () => { if (ws.readyState !== 1) lost({code: 1006, reason: "could not connect"}); };
    ws.onclose = (e) => lost({code: e.code, reason: e.reason || ""});
  }

  _onHelloRefused(ws, f) {
    this._ws = null;
    try { ws.close(1000, "refused"); } catch (e) { /* closing anyway */ }
    const err = new ChatError(f.code, f.message, {request: "hello"});
    // UNAUTHORIZED is final. BAD_REQUEST for a valid name means "already connected to this node":
    // after a reconnect that is usually our own old connection not yet noticed as closed, and on a
    // page reload the old page's; retry for a while, then give up on the first connect.
    const nameInUse = f.code === ErrorCodes.BAD_REQUEST && isValidName(this.user);
    const retry = nameInUse && (this._everConnected || Date.now() - this._firstConnectStarted < this.nameInUseRetryMs);
    if (retry) {
      this._scheduleReconnect({code: 0, reason: f.message, sameUrl: true});
      return;
    }
    this._fail(err);
  }

  _fail(err) {
    clearTimeout(this._timer);
    this._failAll(err, true);
    if (this._rejectConnect) { this._rejectConnect(err); this._rejectConnect = null; }
    this._setState(States.FAILED, {error: err});
    this._emit("error", err);
  }

  _onWelcome(f) {
    this.node = f.node;
    this._attempt = 0;
    const first = !this._everConnected;
    this._everConnected = true;
    this._setState(States.CONNECTED);
    this._emit("welcome", {node: f.node, user: f.user, url: this.url, reconnected: !first});
    if (this._resolveConnect) { this._resolveConnect({node: f.node, user: f.user}); this._resolveConnect = null; this._rejectConnect = null; }
    const waiting = this._waitingForConnection;
    this._waitingForConnection = [];
    for (const w of waiting) this._transmit(w);
    for (const r of this._rooms.values()) {
      if (r.joined || r.rejoining) this._rejoin(r);
    }
  }

  _onDisconnect(info) {
    this.node = null;
    // in-flight requests (not sends: they are resent) may or may not have taken effect
    for (const [id, req] of this._requests) {
      if (req.type === "send") continue;
      clearTimeout(req.timer);
      this._requests.delete(id);
      req.reject(new ChatError(ErrorCodes.DISCONNECTED, "the connection dropped before the reply (code " + info.code + ")", {request: req.type}));
    }
    for (const s of this._sends.values()) s.sent = false;
    for (const r of this._rooms.values()) {
      if (r.joined) { r.joined = false; r.rejoining = true; }
    }
    if (!this._everConnected && this._connectAttempts !== undefined && --this._connectAttempts <= 0) {
      this._fail(new ChatError(ErrorCodes.CONNECT_FAILED, "cannot reach " + this.urls.join(", ") + describeClose(info)));
      return;
    }
    this._scheduleReconnect(info);
  }

  _scheduleReconnect(info) {
    if (this.state === States.CLOSED || this.state === States.FAILED) return;
    const ceiling = Math.min(this.maxDelayMs, this.minDelayMs * Math.pow(2, this._attempt));
    const delay = Math.round(ceiling / 2 + this.random() * ceiling / 2); // "equal jitter"
    this._attempt++;
    if (!info.sameUrl) this._urlIndex = (this._urlIndex + 1) % this.urls.length;
    this.node = null;
    this._setState(this._everConnected ? States.RECONNECTING : States.CONNECTING,
      {attempt: this._attempt, delayMs: delay, closeCode: info.code, reason: describeClose(info).trim()});
    clearTimeout(this._timer);
    this._timer = setTimeout(() => this._open(), delay);
  }

  // ------------------------------------------------------------------ frames

  _onFrame(f) {
    const req = f.id !== undefined ? this._requests.get(f.id) : undefined;
    if (req && (f.type === "error" || req.replyTypes.includes(f.type))) {
      this._requests.delete(f.id);
      clearTimeout(req.timer);
      if (f.type === "error") req.reject(new ChatError(f.code, f.message, {request: req.type, room: req.frame.room}));
      else req.resolve(req.onReply ? req.onReply(f) : f); // onReply runs before the frames that follow
      if (f.type !== "deleted") return; // a deleted reply also ends our membership, below
    }
    switch (f.type) {
      case "message": case "member_joined": case "member_left": this._onEvent(f); break;
      case "unavailable": {
        const r = this._rooms.get(f.room);
        if (r) r.available = false;
        this._emit("unavailable", {room: f.room, reason: f.reason});
        break;
      }
      case "available": {
        // the admin is back, or another node took the room over (failover, move): it names the
        // admin and epoch now
        const r = this._rooms.get(f.room);
        if (r) {
          r.available = true;
          if (f.admin) r.admin = f.admin;
        }
        if (r && r.joined) this._resend(f.room); // sends refused UNAVAILABLE while the admin was away
        const e = {room: f.room};
        if (f.admin !== undefined) e.admin = f.admin;
        if (f.epoch !== undefined) e.epoch = f.epoch;
        this._emit("available", e);
        break;
      }
      case "deleted": this._dropRoom(f.room, "deleted", {room: f.room, reason: f.reason || "deleted"}); break;
      case "lost": {
        const r = this._rooms.get(f.room);
        // a lost range after what we saw continues the log (its epoch is the room's now, which may
        // be newer than the last event's after a failover)
        if (r && f.to > r.seq && (f.epoch === r.epoch || f.from > r.seq)) { r.seq = f.to; r.epoch = f.epoch; }
        // with acks on the admin only (ADMIN_ONLY): entries from..to we already got were lost at
        // failover; the newer epoch's entries at those seqs follow: they continue the log
        const retracted = !!r && r.epoch !== null && f.from <= r.seq && f.epoch > r.epoch;
        if (retracted) r.seq = f.from - 1;
        const e = {room: f.room, from: f.from, to: f.to, epoch: f.epoch};
        if (retracted) e.retracted = true;
        this._emit("lost", e);
        break;
      }
      case "error": this._emit("error", new ChatError(f.code, f.message)); break;
      default: break; // replies to requests that timed out, and frame types added later
    }
  }

  _onEvent(f) {
    const r = this._rooms.get(f.room);
    if (!r) return;
    // seq 0: a REMOVED told by our own node, not an entry of the room's log
    const unsequenced = f.seq === 0;
    if (!unsequenced) {
      const rel = logRelation(r.epoch, r.seq, f.epoch, f.seq, false);
      if (rel === "seen") return; // seen already (resume overlap)
      if (rel === "restarted") {
        this._emit("reset", {room: f.room, epoch: f.epoch, previousEpoch: r.epoch, restarted: true});
      }
      // "continues" with another epoch: the same log at a new admin (failover, move): keep going
      r.epoch = f.epoch;
      r.seq = f.seq;
    }
    // events below our own join are history (asked for with `last`, or replayed on a resume)
    const live = unsequenced || (r.joinSeq !== null && f.seq >= r.joinSeq);
    if (f.type === "message") {
      this._emit("message", {room: f.room, seq: f.seq, epoch: f.epoch, user: f.user, text: f.text, id: f.id,
        ts: f.ts, time: f.ts !== undefined ? new Date(f.ts) : null, mine: f.user === this.user, live});
      return;
    }
    const ev = {room: f.room, seq: f.seq, epoch: f.epoch, user: f.user, ts: f.ts,
      time: f.ts !== undefined ? new Date(f.ts) : null, live};
    if (f.type === "member_joined") {
      if (live) { r.members.add(f.user); this._emit("presence", {room: f.room, members: sorted(r.members)}); }
      this._emit("member_joined", ev);
    } else {
      ev.reason = f.reason;
      if (live) { r.members.delete(f.user); this._emit("presence", {room: f.room, members: sorted(r.members)}); }
      this._emit("member_left", ev);
      if (live && f.user === this.user && f.reason !== "LEFT") {
        // the admin removed us (our node was unreachable for it): no longer a member
        this._dropRoom(f.room, "removed", {room: f.room, reason: f.reason});
      }
    }
  }

  /** Forgets a room after deletion or removal; its unacked sends fail. */
  _dropRoom(room, event, payload) {
    const r = this._rooms.get(room);
    if (!r) return;
    this._rooms.delete(room);
    clearTimeout(r.retryTimer);
    const code = event === "deleted" ? ErrorCodes.UNKNOWN_ROOM : ErrorCodes.NOT_MEMBER;
    this._failSends(room, new ChatError(code, "room '" + room + "' was " + event));
    this._emit(event, payload);
  }

  _failSends(room, err) {
    for (const [id, s] of this._sends) {
      if (room === null || s.room === room) {
        this._sends.delete(id);
        clearTimeout(s.deadline);
        const req = this._requests.get(id);
        if (req) { clearTimeout(req.timer); this._requests.delete(id); }
        s.reject(err);
      }
    }
  }

  _failAll(err, includingSends) {
    for (const req of this._requests.values()) { clearTimeout(req.timer); req.reject(err); }
    this._requests.clear();
    for (const w of this._waitingForConnection) { clearTimeout(w.timer); w.reject(err); }
    this._waitingForConnection = [];
    if (includingSends) this._failSends(null, err);
  }

  // ------------------------------------------------------------------ requests

  _request(frame, replyTypes, {timeoutMs = this.requestTimeoutMs, onReply} = {}) {
    if (this.state === States.CLOSED || this.state === States.FAILED) {
      return Promise.reject(new ChatError(ErrorCodes.CLOSED, "the client is " + this.state));
    }
    return new Promise((resolve, reject) => {
      if (frame.id === undefined) frame.id = "r" + (this._nextId++);
      const req = {frame, resolve, reject, type: frame.type, replyTypes, timeoutMs, onReply};
      req.timer = setTimeout(() => {
        this._requests.delete(frame.id);
        this._waitingForConnection = this._waitingForConnection.filter((w) => w !== req);
        reject(new ChatError(ErrorCodes.TIMEOUT, "no reply to " + frame.type + " within " + timeoutMs + " ms", {request: frame.type}));
      }, timeoutMs);
      if (this.state === States.CONNECTED && this._ws) this._transmit(req);
      else this._waitingForConnection.push(req);
    });
  }

  _transmit(req) {
    this._requests.set(req.frame.id, req);
    this._ws.send(JSON.stringify(req.frame));
  }

  /** Lists every room of the cluster: [{room, admin, members, available, epoch}]. Also emitted as "rooms". */
  async rooms() {
    const f = await this._request({type: "rooms"}, ["rooms"]);
    this._emit("rooms", f.rooms);
    return f.rooms;
  }

  /**
   * Creates a room on the connected node (which becomes its admin), owned by this user; with
   * {private: true} only the owner and the users it invites may join. Does not join. Resolves with
   * {room, admin, owner, private}.
   */
  async create(room, {private: isPrivate = false} = {}) {
    const frame = {type: "create", room};
    if (isPrivate) frame.private = true;
    const f = await this._request(frame, ["created"]);
    return {room: f.room, admin: f.admin, owner: f.owner, private: f.private === true};
  }

  /** Invites a user to a room this user owns (FORBIDDEN otherwise). */
  async invite(room, user) {
    await this._request({type: "invite", room, user}, ["invited"]);
    return {room, user};
  }

  /** Withdraws an invitation to a room this user owns (FORBIDDEN otherwise). */
  async uninvite(room, user) {
    await this._request({type: "uninvite", room, user}, ["uninvited"]);
    return {room, user};
  }

  /**
   * Joins a room. options.last = K asks for the K events before the join (they arrive as events
   * with live=false before the reply resolves... or right after it). Resolves with
   * {room, admin, seq, epoch, members, recovered}. The client rejoins it by itself after reconnects.
   */
  async join(room, {last} = {}) {
    if (this._rooms.has(room)) throw new ChatError(ErrorCodes.ALREADY_MEMBER, "already joined (or joining) room '" + room + "'");
    const r = {name: room, joined: false, rejoining: false, seq: 0, epoch: null, joinSeq: null,
      members: new Set(), admin: null, available: true, retryTimer: null, rejoinAttempt: 0, unknownCount: 0};
    this._rooms.set(room, r);
    const frame = {type: "join", room};
    if (last) frame.last = last;
    const started = Date.now();
    for (let attempt = 0; ; attempt++) {
      try {
        // the joined reply is applied at once: the history events right behind it need joinSeq
        const info = await this._request({...frame}, ["joined"],
          {onReply: (f) => (this._rooms.get(room) === r ? this._onJoined(r, f, false) : null)});
        if (info === null) throw new ChatError(ErrorCodes.NOT_MEMBER, "left room '" + room + "' while joining");
        return info;
      } catch (e) {
        // ALREADY_MEMBER right after a reload or reconnect: the old connection's membership is
        // still being removed; ask again for a short while
        const retry = e.code === ErrorCodes.ALREADY_MEMBER && this._rooms.get(room) === r
          && Date.now() - started < this.nameInUseRetryMs;
        if (retry) {
          await new Promise((res) => setTimeout(res, Math.min(this.maxDelayMs, this.minDelayMs * Math.pow(2, attempt))));
          continue;
        }
        if (this._rooms.get(room) === r && !r.joined) this._rooms.delete(room);
        throw e;
      }
    }
  }

  _onJoined(r, f, resumed) {
    r.joined = true;
    r.rejoining = false;
    r.rejoinAttempt = 0;
    r.unknownCount = 0;
    r.admin = f.admin;
    r.available = true;
    // our own join is after what we saw: the same log (with a new epoch after a failover or move:
    // keep every position, the resume delivers what came after it); not after it: the room's log
    // started again (deleted and created again, or its admin restarted without durable history):
    // forget the old positions or every new event would look seen
    const previousEpoch = r.epoch;
    const restarted = r.epoch !== null && logRelation(r.epoch, r.seq, f.epoch, f.seq, true) === "restarted";
    if (restarted) this._emit("reset", {room: r.name, epoch: f.epoch, previousEpoch, restarted: true});
    if (!resumed || restarted || r.epoch === null) {
      // nothing to resume from: everything before the join's own seq counts as seen, except the
      // history asked for with `last`, which arrives with lower seqs (tracked from 0)
      r.seq = 0;
      r.epoch = f.epoch;
    } // else r.epoch stays the epoch of the entry at r.seq: what a resume names, and what overlaps match

    r.joinSeq = f.seq;
    r.members = new Set(f.members);
    const info = {room: r.name, admin: f.admin, seq: f.seq, epoch: f.epoch, members: sorted(r.members),
      recovered: f.recovered !== false, resumed};
    this._emit("joined", info);
    this._emit("presence", {room: r.name, members: sorted(r.members)});
    if (resumed && f.recovered === false) this._emit("reset", {room: r.name, epoch: f.epoch, previousEpoch, recovered: false});
    this._resend(r.name);
    return info;
  }

  _rejoin(r) {
    const frame = {type: "join", room: r.name};
    if (r.epoch !== null) { frame.since = r.seq; frame.epoch = r.epoch; }
    this._request(frame, ["joined"], {onReply: (f) => { if (this._rooms.get(r.name) === r) this._onJoined(r, f, true); }}).then(
      () => {},
      (e) => {
        if (this._rooms.get(r.name) !== r) return;
        // UNKNOWN_ROOM: deleted, or (a new room) not yet in this node's directory: ask a few times
        if (e.code === ErrorCodes.UNKNOWN_ROOM && ++r.unknownCount > 5) {
          this._dropRoom(r.name, "deleted", {room: r.name, reason: "the room no longer exists"});
          return;
        }
        if (e.code === ErrorCodes.DISCONNECTED || e.code === ErrorCodes.CLOSED) return; // rejoined on the next welcome
        // ALREADY_MEMBER: our old membership (through a node that died) is not removed yet;
        // UNAVAILABLE: the admin is down; TIMEOUT: try again. Back off and retry.
        if (e.code === ErrorCodes.UNAVAILABLE) { r.available = false; this._emit("unavailable", {room: r.name, reason: e.detail}); }
        const ceiling = Math.min(this.maxDelayMs, this.minDelayMs * Math.pow(2, r.rejoinAttempt++));
        const delay = Math.round(ceiling / 2 + this.random() * ceiling / 2);
        this._emit("rejoining", {room: r.name, error: e, attempt: r.rejoinAttempt, delayMs: delay});
        clearTimeout(r.retryTimer);
        r.retryTimer = setTimeout(() => {
          if (this._rooms.get(r.name) === r && !r.joined && this.state === States.CONNECTED) this._rejoin(r);
        }, delay);
      });
  }

  /** Leaves a room. */
  async leave(room) {
    const r = this._rooms.get(room);
    if (r && !r.joined) {
      // not joined right now (reconnecting): just stop rejoining
      this._rooms.delete(room);
      clearTimeout(r.retryTimer);
      this._failSends(room, new ChatError(ErrorCodes.NOT_MEMBER, "left room '" + room + "'"));
      this._emit("left", {room});
      return {room};
    }
    await this._request({type: "leave", room}, ["left"]);
    if (this._rooms.get(room) === r) {
      this._rooms.delete(room);
      this._failSends(room, new ChatError(ErrorCodes.NOT_MEMBER, "left room '" + room + "'"));
    }
    this._emit("left", {room});
    return {room};
  }

  /** Deletes a room this user owns (FORBIDDEN otherwise; only through its admin node). */
  async delete(room) {
    await this._request({type: "delete", room}, ["deleted"]);
    return {room};
  }

  /**
   * One page of a room's stored chat messages, ascending: up to `limit` (default 50) with seq
   * below `before` (default: the newest). Pass the first returned seq as `before` for the next page.
   */
  async history(room, {before, limit = 50} = {}) {
    const frame = {type: "history", room, limit};
    if (before !== undefined && before !== null) frame.before = before;
    const f = await this._request(frame, ["history"]);
    return f.messages.map((m) => ({room: m.room, seq: m.seq, epoch: m.epoch, user: m.user, text: m.text, id: m.id,
      ts: m.ts, time: m.ts !== undefined ? new Date(m.ts) : null, mine: m.user === this.user, live: false}));
  }

  /**
   * Sends a chat message; resolves with the ack {room, seq, epoch, duplicate, id}. If the
   * connection drops before the ack, the message is resent with the same id once the room is
   * rejoined (exactly once thanks to the node's dedup window), for up to sendTimeoutMs; so is a
   * send refused UNAVAILABLE after it went out (its room's admin died or handed the room over with
   * it in flight: it may have been sequenced), once the room is available again (after a failover)
   * or after unavailableRetryMs. Rejects with a ChatError (TOO_LARGE, BAD_REQUEST, NOT_MEMBER,
   * RATE_LIMITED, UNAVAILABLE when the room was known to be unavailable before anything was sent,
   * TIMEOUT ...); then the message was not delivered, except for TIMEOUT, which may have been: send
   * again with the same options.id to find out.
   */
  send(room, text, {id} = {}) {
    if (this.state === States.CLOSED || this.state === States.FAILED) {
      return Promise.reject(new ChatError(ErrorCodes.CLOSED, "the client is " + this.state));
    }
    const r = this._rooms.get(room);
    if (!r) return Promise.reject(new ChatError(ErrorCodes.NOT_MEMBER, "not a member of room '" + room + "'"));
    if (r.joined && !r.available) return Promise.reject(new ChatError(ErrorCodes.UNAVAILABLE, "room '" + room + "' is unavailable (its admin node is down)"));
    return new Promise((resolve, reject) => {
      const s = {room, text, id: id || (this._idPrefix + "-" + (this._nextId++)), resolve, reject, sent: false, timeouts: 0};
      s.deadline = setTimeout(() => {
        if (this._sends.get(s.id) !== s) return;
        this._sends.delete(s.id);
        this._requests.delete(s.id);
        clearTimeout(s.retryTimer);
        reject(new ChatError(ErrorCodes.TIMEOUT, "no ack within " + this.sendTimeoutMs + " ms; it may or may not have been delivered", {request: "send", room, id: s.id}));
      }, this.sendTimeoutMs);
      this._sends.set(s.id, s);
      if (r.joined && this.state === States.CONNECTED) this._transmitSend(s);
    });
  }

  /** (Re)sends the unacked sends of a room, in the order they were made. */
  _resend(room) {
    for (const s of this._sends.values()) {
      if (s.room === room && !s.sent) this._transmitSend(s);
    }
  }

  _transmitSend(s) {
    s.sent = true;
    clearTimeout(s.retryTimer);
    const req = {frame: {type: "send", room: s.room, text: s.text, id: s.id}, type: "send", replyTypes: ["ack"],
      resolve: (f) => {
        if (this._sends.get(s.id) !== s) return;
        this._sends.delete(s.id);
        clearTimeout(s.deadline);
        s.resolve({room: f.room, seq: f.seq, epoch: f.epoch, duplicate: f.duplicate === true, id: s.id});
      },
      reject: (e) => {
        if (this._sends.get(s.id) !== s) return;
        if (e.code === ErrorCodes.TIMEOUT && s.timeouts++ < 3 && this.state === States.CONNECTED) {
          this._transmitSend(s); // the protocol says: retry with the same id
          return;
        }
        if (e.code === ErrorCodes.NOT_MEMBER && !this._rooms.get(s.room)?.joined) {
          s.sent = false; // raced with a reconnect: resent after the rejoin
          return;
        }
        // UNKNOWN_ROOM for a room we are still in: it reached the old admin just after a move
        if (e.code === ErrorCodes.UNAVAILABLE || (e.code === ErrorCodes.UNKNOWN_ROOM && this._rooms.get(s.room)?.joined)) {
          // the admin died or stepped down with it in flight, perhaps after sequencing it: keep it and
          // resend it with its id (exactly once through the dedup window) when the room is available
          // again ("available", or a rejoin), or after unavailableRetryMs if it still counts as available
          s.sent = false;
          s.retryTimer = setTimeout(() => {
            const r = this._rooms.get(s.room);
            if (this._sends.get(s.id) === s && !s.sent && r && r.joined && r.available && this.state === States.CONNECTED) {
              this._transmitSend(s);
            }
          }, this.unavailableRetryMs);
          return;
        }
        this._sends.delete(s.id);
        clearTimeout(s.deadline);
        s.reject(e);
      },
      timer: null};
    this._transmit(req);
  }

  // ------------------------------------------------------------------ state for UIs

  /** Rooms this client is in (or rejoining after a reconnect). */
  joinedRooms() {
    return [...this._rooms.values()].map((r) => ({room: r.name, joined: r.joined, available: r.available,
      admin: r.admin, seq: r.seq, epoch: r.epoch, members: sorted(r.members)}));
  }

  /** Current members of a joined room (sorted), or [] if not joined. */
  members(room) {
    const r = this._rooms.get(room);
    return r ? sorted(r.members) : [];
  }

  /** Number of sends not acked yet. */
  get pendingSends() {
    return this._sends.size;
  }
}

function sorted(set) {
  return [...set].sort();
}

const CLOSE_CODES = {1000: "closed normally", 1001: "the server went away", 1006: "connection lost",
  1008: "refused by the server", 1009: "message too big", 1011: "server error"};

/**
 * How an entry of a room's log relates to the last one seen, (seenEpoch, seenSeq) (seenEpoch null:
 * nothing seen yet). An event (isJoin false) is "seen" (same epoch, seq not after the last seen: a
 * resume overlap), "continues" (seq after the last seen, whatever its epoch: with a higher epoch the
 * same log at a new admin after a failover or move; with a lower one history from before it) or
 * "restarted" (another epoch and seq not after the last seen: the room's log started again). A join
 * (its `joined` seq) is "continues" when after the last seen, else "restarted".
 */
export function logRelation(seenEpoch, seenSeq, epoch, seq, isJoin = false) {
  if (seenEpoch === null || seenEpoch === undefined || seq > seenSeq) return "continues";
  return !isJoin && epoch === seenEpoch ? "seen" : "restarted";
}

/** A human-readable text for a WebSocket close code. */
export function describeCloseCode(code) {
  return CLOSE_CODES[code] || (code ? "closed (" + code + ")" : "could not connect");
}

/**
 * A human-readable text for an "available" event: "room R is available again – admin now N
 * (epoch E)", or without the admin when the gateway named none.
 */
export function describeAvailable(e) {
  return "room " + e.room + " is available again" + (e.admin ? " – admin now " + e.admin + (e.epoch !== undefined ? " (epoch " + e.epoch + ")" : "") : "");
}

function describeClose(info) {
  return info && info.code !== undefined ? " (" + describeCloseCode(info.code) + (info.reason ? ": " + info.reason : "") + ")" : "";
}
