// Type declarations for chatmesh.js (the chatmesh WebSocket protocol v1 client).

/** Protocol error codes (io.chatmesh.ErrorCode) plus the client's own. */
export type ErrorCode =
  | "BAD_REQUEST" | "UNKNOWN_ROOM" | "ROOM_EXISTS" | "NOT_MEMBER" | "ALREADY_MEMBER" | "NOT_ADMIN"
  | "UNAVAILABLE" | "ABORTED" | "TOO_LARGE" | "RATE_LIMITED" | "UNAUTHORIZED" | "TIMEOUT" | "INTERNAL"
  /** not the room's owner (delete, invite), or a private room without an invitation (join) */
  | "FORBIDDEN"
  /** the connection dropped while the request was in flight (it may have taken effect) */
  | "DISCONNECTED"
  /** close() was called, or the client failed for good */
  | "CLOSED"
  /** no gateway could be reached on the first connect */
  | "CONNECT_FAILED";

export declare const ErrorCodes: Readonly<Record<ErrorCode, ErrorCode>>;

/** A failed request or connection, with the protocol's error code. */
export declare class ChatError extends Error {
  readonly name: "ChatError";
  readonly code: ErrorCode;
  /** the server's (or client's) human-readable explanation */
  readonly detail: string;
  /** the request type that failed, when a request failed */
  readonly request?: string;
  readonly room?: string;
}

export type ConnectionState = "idle" | "connecting" | "connected" | "reconnecting" | "closed" | "failed";
export declare const States: Readonly<Record<"IDLE" | "CONNECTING" | "CONNECTED" | "RECONNECTING" | "CLOSED" | "FAILED", ConnectionState>>;

export interface ClientOptions {
  /** one or several ws:// URLs (e.g. one per node); after a failure the next one is tried */
  urls: string | string[];
  /** the user name; with a token it must be the token's `sub` */
  user: string;
  /**
   * sent in hello: a signed JWT when the gateway requires one (its `sub` is the user). At the
   * token's expiry the gateway ends the connection (error UNAUTHORIZED "token expired", close 1008).
   */
  token?: string;
  /** a WHATWG WebSocket class; default globalThis.WebSocket */
  WebSocket?: new (url: string) => WebSocket;
  /** first reconnect delay ceiling, doubled per attempt (default 250) */
  minDelayMs?: number;
  /** cap of the reconnect delay (default 5000) */
  maxDelayMs?: number;
  /** how long a request waits for its reply (default 10000) */
  requestTimeoutMs?: number;
  /** how long an unacked send is kept for resending (default 60000) */
  sendTimeoutMs?: number;
  /** a send refused UNAVAILABLE in flight while its room still counts as available is resent with its id after this (default 2000) */
  unavailableRetryMs?: number;
  /** how long "already connected"/"already a member" is retried on a first connect or join (default 3000) */
  nameInUseRetryMs?: number;
  /** random source in [0, 1) for the jitter (tests) */
  random?: () => number;
}

export interface RoomInfo { room: string; admin: string; members: number; available: boolean; epoch: number; }
export interface JoinInfo {
  room: string; admin: string; seq: number; epoch: number; members: string[];
  /** false if the requested history could not all be delivered */
  recovered: boolean;
  /** true for the automatic rejoin after a reconnect */
  resumed: boolean;
}
export interface Message {
  room: string; seq: number; epoch: number; user: string; text: string; id?: string;
  /** milliseconds since 1970 on the admin's clock */
  ts?: number; time: Date | null;
  /** sent by this client's user */
  mine: boolean;
  /** false for history (asked for with `last`, replayed on a resume, or from history()) */
  live: boolean;
}
export interface MemberEvent {
  room: string; seq: number; epoch: number; user: string; ts?: number; time: Date | null; live: boolean;
  /** member_left only */
  reason?: "LEFT" | "NODE_FAILED" | "REMOVED";
}
export interface Ack { room: string; seq: number; epoch: number; duplicate: boolean; id: string; }
export interface StateEvent {
  state: ConnectionState; url: string | null; node: string | null;
  attempt?: number; delayMs?: number; closeCode?: number; reason?: string; error?: ChatError;
}

export interface EventMap {
  state: StateEvent;
  welcome: { node: string; user: string; url: string; reconnected: boolean };
  rooms: RoomInfo[];
  message: Message;
  member_joined: MemberEvent;
  member_left: MemberEvent;
  presence: { room: string; members: string[] };
  joined: JoinInfo;
  left: { room: string };
  /** the admin removed this user (its node was unreachable); join again to come back */
  removed: { room: string; reason: string };
  deleted: { room: string; reason: string };
  unavailable: { room: string; reason?: string };
  /** the room takes requests again: its admin is back, or another node took it over (failover, move); admin and epoch name the admin now */
  available: { room: string; admin?: string; epoch?: number };
  /**
   * from..to could not be delivered; retracted=true (rooms with acks on the admin only): the events
   * from..to already delivered were lost at failover, and the newer epoch's events at those seqs follow
   */
  lost: { room: string; from: number; to: number; epoch: number; retracted?: boolean };
  /**
   * restarted=true: the room's log started again (an event or join with a seq not after the last
   * one seen, and another epoch: the room was deleted and created again, or its admin restarted
   * without history): clear what you show. recovered=false: a resume could not deliver everything
   * missed: reload what you show. A higher epoch whose seq continues the log (failover, move) is
   * no reset.
   */
  reset: { room: string; epoch: number; previousEpoch: number | null; recovered?: boolean; restarted?: boolean };
  rejoining: { room: string; error: ChatError; attempt: number; delayMs: number };
  error: ChatError;
}

export declare class ChatClient {
  constructor(options: ClientOptions);
  readonly state: ConnectionState;
  /** id of the node currently connected to, or null */
  readonly node: string | null;
  readonly url: string | null;
  readonly user: string;
  /** number of sends not acked yet */
  readonly pendingSends: number;

  on<K extends keyof EventMap>(type: K, listener: (payload: EventMap[K]) => void): () => void;
  on(type: "*", listener: (type: keyof EventMap, payload: unknown) => void): () => void;

  connect(options?: { connectAttempts?: number }): Promise<{ node: string; user: string }>;
  close(): void;
  rooms(): Promise<RoomInfo[]>;
  create(room: string, options?: { private?: boolean }): Promise<{ room: string; admin: string; owner: string; private: boolean }>;
  invite(room: string, user: string): Promise<{ room: string; user: string }>;
  uninvite(room: string, user: string): Promise<{ room: string; user: string }>;
  join(room: string, options?: { last?: number }): Promise<JoinInfo>;
  leave(room: string): Promise<{ room: string }>;
  delete(room: string): Promise<{ room: string }>;
  history(room: string, options?: { before?: number; limit?: number }): Promise<Message[]>;
  send(room: string, text: string, options?: { id?: string }): Promise<Ack>;
  joinedRooms(): Array<{ room: string; joined: boolean; available: boolean; admin: string | null; seq: number; epoch: number | null; members: string[] }>;
  members(room: string): string[];
}

export declare function isValidName(name: string): boolean;
export declare function describeCloseCode(code: number): string;
/**
 * How an entry (epoch, seq) relates to the last one seen of a room's log (seenEpoch null: none):
 * "seen" (same epoch, seq not after it), "continues" (seq after it, whatever the epoch: a higher
 * epoch is the same log at a new admin), "restarted" (another epoch, or a join, with a seq not after it).
 */
export declare function logRelation(seenEpoch: number | null, seenSeq: number, epoch: number, seq: number, isJoin?: boolean): "seen" | "continues" | "restarted";
/** "room R is available again – admin now N (epoch E)" for an "available" event */
export declare function describeAvailable(event: { room: string; admin?: string; epoch?: number }): string;
