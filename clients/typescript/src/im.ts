// The IM WebSocket client: connects with an IM token, reconnects with backoff, syncs after the
// last events it handled (the user's stream and each group's) so that nothing is lost or
// doubled, sends with an ack promise and a clientMsgId, pings, renews its token before it
// expires, and hands every event to typed callbacks. It uses only what browsers and React
// Native have (WebSocket, timers); Node passes the `ws` package's WebSocket.
import type {
  AckFrame, ClientFrame, ConversationUpdatedFrame, ErrorFrame, EventFrame, FriendDeletedFrame, FriendRequestFrame, GroupEventFrame, KickedFrame,
  Message, MessageEditedFrame, MessageFrame, MessageRevokedFrame, ReadFrame, ReadRequest, SendMessage, ServerFrame, SyncedFrame,
} from "./frames.ts";
import { EventStream } from "./stream.ts";
import { XuqmError } from "./http.ts";

/** The part of the WebSocket interface the client uses (browsers, React Native, `ws`). */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: any) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: any) => void) | null;
}
export type WebSocketConstructor = new (url: string) => WebSocketLike;

export interface Token {
  token: string;
  /** RFC 3339 time, Unix milliseconds or a Date. */
  expiresAt?: string | number | Date;
}

export interface IMOptions {
  /** The server's base URL (http(s)://host[:port]) or the socket's URL (ws(s)://host/ws/im). */
  url: string;
  /** The IM token (POST /api/im/auth/login or /api/demo/auth/refresh-im) and when it expires. */
  token: Token;
  /** Called before expiresAt (renewBeforeMs ahead) and after a TOKEN_EXPIRED kick; answers a new token. */
  renewToken?: () => Promise<Token>;
  renewBeforeMs?: number;
  /** Defaults to the global WebSocket; in Node pass `WebSocket` from the `ws` package. */
  WebSocket?: WebSocketConstructor;
  /** Where a previous session stopped (see position()), so that the first sync resumes there. */
  position?: Position;
  /** Reconnect delays: the first, doubling up to max, with jitter. */
  backoff?: { initialMs?: number; maxMs?: number };
  pingIntervalMs?: number;
  /** No frame for this long after a ping: the connection is taken as dead and reopened. */
  pongTimeoutMs?: number;
  /** A send not acked within this time (across reconnects) rejects. */
  ackTimeoutMs?: number;
  /** How long an early event waits for the gap before it to fill before the client syncs. */
  gapWaitMs?: number;
}

/** How far the client has handled each stream; persist it to resume after a restart. */
export interface Position {
  seq: number;
  groups: Record<string, number>;
}

export type IMState = "connecting" | "syncing" | "open" | "waiting" | "closed";

/** The callbacks of on(), by event name. */
export interface IMEvents {
  message: MessageFrame;
  "message.edited": MessageEditedFrame;
  "message.revoked": MessageRevokedFrame;
  read: ReadFrame;
  "conversation.updated": ConversationUpdatedFrame;
  "friend.request": FriendRequestFrame;
  "friend.deleted": FriendDeletedFrame;
  "group.event": GroupEventFrame;
  /** Every event above, in the order handed on. */
  event: EventFrame;
  kicked: KickedFrame;
  synced: SyncedFrame;
  state: IMState;
  /** An error frame that answers no request of this client (e.g. a failed read). */
  error: ErrorFrame;
  /** A group's events the socket could not replay: fetch them with its group history. */
  gap: { groupId: string; afterSeq: number; latestSeq: number };
  /** A new token from renewToken. */
  token: Token;
}

interface PendingSend {
  frame: { type: "send"; id: string; data: SendMessage };
  resolve: (m: Message) => void;
  reject: (e: Error) => void;
  timer: ReturnType<typeof setTimeout>;
}

const OPEN = 1;

function randomId(): string {
  const c = (globalThis as { crypto?: { randomUUID?: () => string } }).crypto;
  if (c?.randomUUID) return c.randomUUID();
  return Date.now().toString(36) + "-" + Math.random().toString(36).slice(2, 12);
}

function expiryMs(t: Token): number | undefined {
  if (t.expiresAt === undefined) return undefined;
  const ms = t.expiresAt instanceof Date ? t.expiresAt.getTime() : typeof t.expiresAt === "number" ? t.expiresAt : Date.parse(t.expiresAt);
  return Number.isFinite(ms) ? ms : undefined;
}

export class IMClient {
  private opts: IMOptions;
  private token: Token;
  private ws: WebSocketLike | null = null;
  private stateNow: IMState = "closed";
  private stopped = true;
  private attempt = 0;
  private user: EventStream<EventFrame>;
  private groups = new Map<string, EventStream<EventFrame>>();
  private pending = new Map<string, PendingSend>();
  private pings = new Map<string, (rtt: number) => void>();
  private handlers = new Map<keyof IMEvents, Set<(arg: any) => void>>();
  private timers: Record<"reconnect" | "ping" | "pong" | "renew" | "gap", ReturnType<typeof setTimeout> | undefined> = {
    reconnect: undefined, ping: undefined, pong: undefined, renew: undefined, gap: undefined,
  };
  private frameCount = 0;
  /** A new socket re-sends the unacked messages once it has synced. */
  private resend = false;
  /** The last kick allows a reconnect (TOO_MANY_CONNECTIONS). */
  private mayRetryKick = false;
  /** Group seqs before the last sync, to see whether a sync still makes progress. */
  private groupRound: Map<string, number> | null = null;

  constructor(opts: IMOptions) {
    this.opts = opts;
    this.token = opts.token;
    this.user = new EventStream(opts.position?.seq ?? 0);
    for (const [g, s] of Object.entries(opts.position?.groups ?? {})) this.groups.set(g, new EventStream(s));
  }

  get state(): IMState {
    return this.stateNow;
  }

  /** How far the client has handled the user's stream and each group's. */
  position(): Position {
    const groups: Record<string, number> = {};
    for (const [g, s] of this.groups) if (s.seq !== undefined) groups[g] = s.seq;
    return { seq: this.user.seq ?? 0, groups };
  }

  on<K extends keyof IMEvents>(event: K, cb: (arg: IMEvents[K]) => void): () => void {
    let set = this.handlers.get(event);
    if (!set) this.handlers.set(event, (set = new Set()));
    set.add(cb);
    return () => set!.delete(cb);
  }

  /** Opens the socket; it stays open (reconnecting as needed) until close(). */
  connect(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.scheduleRenewal();
    this.open();
  }

  /** Closes the socket for good; pending sends reject. */
  close(): void {
    this.stopped = true;
    for (const t of Object.values(this.timers)) if (t) clearTimeout(t);
    this.ws?.close(1000, "closed by the client");
    this.ws = null;
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(new XuqmError(0, "the IM client was closed before the message was acked"));
    }
    this.pending.clear();
    this.setState("closed");
  }

  /**
   * Sends a message; resolves with the stored message when the server acks it. A clientMsgId is
   * chosen when none is given, and the send is repeated with it after a reconnect, so that the
   * message is stored once.
   */
  send(message: SendMessage): Promise<Message> {
    const data = { ...message, clientMsgId: message.clientMsgId ?? randomId() };
    const frame = { type: "send" as const, id: randomId().slice(0, 64), data };
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(frame.id);
        reject(new XuqmError(0, `no ack for message ${data.clientMsgId} within ${this.opts.ackTimeoutMs ?? 30000} ms`));
      }, this.opts.ackTimeoutMs ?? 30000);
      this.pending.set(frame.id, { frame, resolve, reject, timer });
      if (this.stateNow === "open") this.write(frame);
    });
  }

  /** Marks a conversation read (up to seq, or all); the `read` event follows. */
  markRead(read: ReadRequest): void {
    this.write({ type: "read", data: read });
  }

  /** Pings the server; resolves with the round trip in milliseconds. */
  ping(): Promise<number> {
    const id = "p-" + randomId().slice(0, 30);
    const start = Date.now();
    return new Promise((resolve) => {
      this.pings.set(id, () => resolve(Date.now() - start));
      this.write({ type: "ping", id });
    });
  }

  // ---- connection ---------------------------------------------------------------------------

  private socketURL(): string {
    const u = new URL(this.opts.url);
    if (u.protocol === "http:") u.protocol = "ws:";
    if (u.protocol === "https:") u.protocol = "wss:";
    if (!u.pathname.endsWith("/ws/im")) u.pathname = u.pathname.replace(/\/+$/, "") + "/ws/im";
    u.search = "?token=" + encodeURIComponent(this.token.token);
    return u.toString();
  }

  private async open(): Promise<void> {
    if (this.stopped) return;
    const exp = expiryMs(this.token);
    if (exp !== undefined && exp <= Date.now() + 1000 && this.opts.renewToken) {
      if (!(await this.renew())) return this.reconnectLater();
    }
    const Ctor = this.opts.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    if (!Ctor) throw new Error("no WebSocket: pass one as the WebSocket option");
    this.setState("connecting");
    const ws = new Ctor(this.socketURL());
    this.ws = ws;
    ws.onopen = () => {
      if (this.ws !== ws) return;
      this.setState("syncing");
      this.resend = true;
      this.syncNow();
      this.keepAlive();
    };
    ws.onmessage = (ev) => {
      if (this.ws !== ws) return;
      this.frameCount++;
      let frame: ServerFrame;
      try {
        frame = JSON.parse(String(ev.data));
      } catch {
        return;
      }
      this.handle(frame);
    };
    ws.onerror = () => {}; // onclose follows
    ws.onclose = (ev) => {
      if (this.ws !== ws) return;
      this.ws = null;
      if (this.timers.ping) clearTimeout(this.timers.ping);
      if (this.timers.pong) clearTimeout(this.timers.pong);
      if (!this.stopped) this.reconnectLater(ev.code);
    };
  }

  private reconnectLater(code?: number): void {
    if (this.stopped) return;
    // 1008 after a kick is final unless a new token can be had, or the kick said to come back.
    const retry = this.mayRetryKick;
    this.mayRetryKick = false;
    if (code === 1008 && !this.opts.renewToken && !retry) {
      this.stopped = true;
      this.setState("closed");
      return;
    }
    this.setState("waiting");
    if (retry) this.attempt = Math.max(this.attempt, 3);
    const initial = this.opts.backoff?.initialMs ?? 500;
    const maxMs = this.opts.backoff?.maxMs ?? 30000;
    const delay = Math.min(maxMs, initial * 2 ** this.attempt) * (0.5 + Math.random() / 2);
    this.attempt++;
    this.timers.reconnect = setTimeout(() => void this.open(), delay);
  }

  /** Closes the current socket so that the next one opens at once (tests, a token change). */
  reconnect(): void {
    this.attempt = 0;
    this.ws?.close(4000, "reconnecting");
  }

  private keepAlive(): void {
    const interval = this.opts.pingIntervalMs ?? 25000;
    this.timers.ping = setTimeout(() => {
      const seen = this.frameCount;
      this.write({ type: "ping" });
      this.timers.pong = setTimeout(() => {
        if (this.frameCount === seen) this.ws?.close(4001, "no pong");
      }, this.opts.pongTimeoutMs ?? 10000);
      this.keepAlive();
    }, interval);
  }

  private write(frame: ClientFrame): boolean {
    if (!this.ws || this.ws.readyState !== OPEN) return false;
    this.ws.send(JSON.stringify(frame));
    return true;
  }

  private syncNow(groupsOnly?: string[]): void {
    const groups = [...this.groups]
      .filter(([g, s]) => s.seq !== undefined && (!groupsOnly || groupsOnly.includes(g)))
      .map(([groupId, s]) => ({ groupId, afterSeq: s.seq! }));
    this.groupRound = new Map(groups.map((g) => [g.groupId, g.afterSeq]));
    this.write({ type: "sync", afterSeq: this.user.seq ?? 0, ...(groups.length ? { groups } : {}) });
  }

  private setState(s: IMState): void {
    if (s === this.stateNow) return;
    this.stateNow = s;
    this.emit("state", s);
  }

  private emit<K extends keyof IMEvents>(event: K, arg: IMEvents[K]): void {
    for (const cb of this.handlers.get(event) ?? []) {
      try {
        cb(arg);
      } catch (e) {
        // A failing callback must not stop the stream; report it where a developer looks.
        console.error(`IM ${String(event)} callback failed`, e);
      }
    }
  }

  // ---- frames -------------------------------------------------------------------------------

  private handle(frame: ServerFrame): void {
    switch (frame.type) {
      case "ack": return this.acked(frame);
      case "error": return this.failed(frame);
      case "pong":
        if (frame.id && this.pings.has(frame.id)) {
          this.pings.get(frame.id)!(0);
          this.pings.delete(frame.id);
        }
        return;
      case "synced": return this.synced(frame);
      case "kicked": return this.kicked(frame);
      default: return this.event(frame);
    }
  }

  private event(frame: EventFrame): void {
    let ready: EventFrame[];
    if (frame.groupId !== undefined && frame.groupSeq !== undefined) {
      let s = this.groups.get(frame.groupId);
      if (!s) this.groups.set(frame.groupId, (s = new EventStream()));
      ready = s.accept(frame.groupSeq, frame);
    } else if (frame.seq !== undefined) {
      ready = this.user.accept(frame.seq, frame);
    } else {
      ready = [frame];
    }
    for (const f of ready) {
      this.emit(f.type, f as never);
      this.emit("event", f);
    }
    this.watchGaps();
  }

  // An early event that waits too long means something live was missed: ask for it.
  private watchGaps(): void {
    const waiting = this.user.waiting || [...this.groups.values()].some((s) => s.waiting);
    if (!waiting || this.timers.gap || this.stateNow !== "open") return;
    this.timers.gap = setTimeout(() => {
      this.timers.gap = undefined;
      if (this.stateNow === "open" && (this.user.waiting || [...this.groups.values()].some((s) => s.waiting))) {
        this.setState("syncing");
        this.syncNow();
      }
    }, this.opts.gapWaitMs ?? 1000);
  }

  private synced(frame: SyncedFrame): void {
    for (const f of this.user.settle(frame.seq)) {
      this.emit(f.type, f as never);
      this.emit("event", f);
    }
    const behind: string[] = [];
    if (frame.groups) {
      const listed = new Set(frame.groups.map((g) => g.groupId));
      for (const g of this.groups.keys()) if (!listed.has(g)) this.groups.delete(g); // no longer a member
      for (const { groupId, seq } of frame.groups) {
        const s = this.groups.get(groupId);
        if (!s || s.seq === undefined) {
          // A group new to this client: its past is the app's to load from group history.
          this.groups.set(groupId, new EventStream(seq));
          continue;
        }
        if (s.seq >= seq) continue;
        const before = this.groupRound?.get(groupId);
        if (before !== undefined && s.seq > before) {
          behind.push(groupId); // the sync was bounded: ask for the rest
        } else {
          const afterSeq = s.seq;
          for (const f of s.settle(seq)) {
            this.emit(f.type, f as never);
            this.emit("event", f);
          }
          this.emit("gap", { groupId, afterSeq, latestSeq: seq });
        }
      }
    }
    this.emit("synced", frame);
    if (behind.length) return this.syncNow(behind);
    this.attempt = 0;
    this.setState("open");
    if (this.resend) for (const p of this.pending.values()) this.write(p.frame);
    this.resend = false;
    this.watchGaps();
  }

  private acked(frame: AckFrame): void {
    const p = this.pending.get(frame.id);
    if (!p) return;
    clearTimeout(p.timer);
    this.pending.delete(frame.id);
    p.resolve(frame.data);
  }

  private failed(frame: ErrorFrame): void {
    const p = frame.id ? this.pending.get(frame.id) : undefined;
    if (!p) return this.emit("error", frame);
    clearTimeout(p.timer);
    this.pending.delete(frame.id!);
    p.reject(new XuqmError(frame.data.code, frame.data.message));
  }

  private kicked(frame: KickedFrame): void {
    this.emit("kicked", frame);
    if (frame.data.reason === "TOKEN_EXPIRED" && this.opts.renewToken) {
      void this.renew(); // the 1008 close follows; open() then uses the new token
      return;
    }
    if (frame.data.reason === "TOO_MANY_CONNECTIONS") {
      // The user opened more sockets than the server allows and this was the oldest: it may
      // come back, after the backoff, so that two live devices do not push each other out.
      this.mayRetryKick = true;
      return;
    }
    this.stopped = true;
    this.ws?.close(1000, "kicked");
    this.setState("closed");
  }

  // ---- token --------------------------------------------------------------------------------

  private scheduleRenewal(): void {
    if (this.timers.renew) clearTimeout(this.timers.renew);
    const exp = expiryMs(this.token);
    if (exp === undefined || !this.opts.renewToken || this.stopped) return;
    const lead = Math.min(this.opts.renewBeforeMs ?? 60000, (exp - Date.now()) / 10);
    const wait = Math.max(0, exp - Date.now() - lead);
    // setTimeout holds at most 2^31-1 ms; check again later for very long-lived tokens.
    this.timers.renew = setTimeout(async () => {
      if (Date.now() < exp - lead - 1000) return this.scheduleRenewal();
      if (await this.renew()) this.reconnect(); // reopen with the new token; sync covers the switch
    }, Math.min(wait, 2 ** 31 - 1));
  }

  private renewing: Promise<boolean> | null = null;

  private renew(): Promise<boolean> {
    if (!this.opts.renewToken) return Promise.resolve(false);
    this.renewing ??= this.opts.renewToken().then(
      (t) => {
        this.token = t;
        this.emit("token", t);
        this.scheduleRenewal();
        return true;
      },
      () => {
        // Try again a little later; the connection keeps working until the token expires.
        if (!this.stopped) this.timers.renew = setTimeout(() => void this.renew(), 5000);
        return false;
      },
    ).finally(() => (this.renewing = null));
    return this.renewing;
  }
}
