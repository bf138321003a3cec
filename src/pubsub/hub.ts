/**
 * Pub/sub on one thread: the subscriptions of this thread's connections,
 * and a directory of how many subscribers every other thread has per
 * channel, pattern and shard channel.
 *
 * The directory makes PUBLISH synchronous, as Redis's is: the publishing
 * thread counts the receivers everywhere without asking, delivers to its own
 * subscribers, and sends the message to each thread that has a receiver for
 * it (one frame per thread, in the order published, so a publisher's
 * messages arrive in order). That is what lets PUBLISH run as a shard
 * command — inside MULTI/EXEC and scripts — and keyspace events leave from
 * the shard where they happen.
 *
 * A thread announces its subscription changes to every other thread
 * (`announce`); SUBSCRIBE and UNSUBSCRIBE answer only once every thread has
 * applied them, so a PUBLISH made anywhere after the confirmation counts
 * the change. A message that reaches a thread whose subscriber has just
 * left is dropped there.
 */
import { globMatch } from '../util/glob.js';
import type { MessageBus } from '../shard/exec.js';
import { ReplyWriter } from '../protocol/reply-writer.js';
import { Notify } from '../util/keyspace-events.js';

export const enum SubKind {
  Channel = 0,
  Pattern = 1,
  Shard = 2,
  /** MONITOR: one unnamed channel whose messages are the lines, written as they are. */
  Monitor = 3,
}

/** The kinds a client subscribes to with (P|S)SUBSCRIBE. */
export type SubscriptionKind = SubKind.Channel | SubKind.Pattern | SubKind.Shard;

/** The confirmations' names, by kind: [subscribe, unsubscribe]. */
export const KIND_NAMES: readonly (readonly [string, string])[] = [
  ['subscribe', 'unsubscribe'],
  ['psubscribe', 'punsubscribe'],
  ['ssubscribe', 'sunsubscribe'],
];

/** What the hub needs of a connection. */
export interface Subscriber {
  readonly id: number;
  readonly resp: number;
  closed: boolean;
  /** Its channels, patterns and shard channels (latin1 names), or null before its first subscription. */
  subs: [Set<string>, Set<string>, Set<string>] | null;
  /** It ran MONITOR. */
  monitor: boolean;
}

/** What the hub needs of its thread. */
export interface HubHost {
  readonly index: number;
  readonly threads: number;
  /** Sends a message to thread t's subscribers (frames.ts OP_PUBLISH). */
  sendMessage(thread: number, kind: SubKind, channel: Uint8Array, message: Uint8Array): void;
  /** Tells every other thread of subscription changes; resolves once all applied them. */
  announce(change: DirectoryChange): Promise<void>;
  /** Writes a message to a subscriber (after the replies it is owed). */
  deliver(c: Subscriber, bytes: Uint8Array, len: number): void;
  /** Publishes a keyspace event once reply `seq` of connection `conn` is written (on that connection's thread; at once if it is gone). */
  afterReply(conn: number, seq: number, event: string, key: Uint8Array, db: number): void;
  /** The same for a MONITOR line. */
  monitorAfterReply(conn: number, seq: number, line: Uint8Array): void;
}

/** Subscription counts that changed on thread `from` (names latin1). */
export interface DirectoryChange {
  from: number;
  kind: SubKind;
  add: string[];
  remove: string[];
}

const EMPTY = new Uint8Array(0);
const latin1 = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.length).toString('latin1');
const bytesOf = (s: string): Buffer => Buffer.from(s, 'latin1');

export class PubSubHub implements MessageBus {
  /** This thread's subscribers, by kind and name. */
  private readonly local: Map<string, Set<Subscriber>>[] = [new Map(), new Map(), new Map(), new Map()];
  /** Other threads' subscriber counts: [kind][thread] name → count. */
  private readonly remote: Map<string, number>[][];
  /** Patterns as bytes, for matching (this thread's and the others'). */
  private readonly patternBytes = new Map<string, Uint8Array>();
  /** Writers for one message in each protocol (RESP2, RESP3), reused. */
  private readonly w2 = new ReplyWriter(1024);
  private readonly w3 = new ReplyWriter(1024);

  constructor(private readonly host: HubHost) {
    this.remote = [0, 1, 2, 3].map(() => Array.from({ length: host.threads }, () => new Map<string, number>()));
  }

  // ---- publishing -------------------------------------------------------------------

  /** PUBLISH / SPUBLISH: delivers here and sends to the threads with receivers; returns the receivers everywhere. */
  publish(channel: Uint8Array, message: Uint8Array, shard: boolean): number {
    const kind = shard ? SubKind.Shard : SubKind.Channel;
    let total = this.deliverHere(kind, channel, message);
    const name = latin1(channel);
    for (let t = 0; t < this.host.threads; t++) {
      if (t === this.host.index) continue;
      let n = this.remote[kind][t].get(name) ?? 0;
      if (!shard) {
        for (const [pattern, count] of this.remote[SubKind.Pattern][t]) if (this.matches(pattern, channel)) n += count;
      }
      if (n > 0) {
        total += n;
        this.host.sendMessage(t, kind, channel, message);
      }
    }
    return total;
  }

  /** The classes notify-keyspace-events publishes (the thread sets it from its configuration). */
  notifyFlags = 0;

  notifyAfterReply(conn: number, seq: number, event: string, key: Uint8Array, db: number): void {
    this.host.afterReply(conn, seq, event, key, db);
  }

  monitorAfterReply(conn: number, seq: number, line: Uint8Array): void {
    this.host.monitorAfterReply(conn, seq, line);
  }

  /** A keyspace event: published as Redis publishes it (keyspace channel, then keyevent channel). */
  notify(event: string, key: Uint8Array, db: number): void {
    const eventBytes = Buffer.from(event);
    if (this.notifyFlags & Notify.Keyspace) this.publish(Buffer.concat([Buffer.from(`__keyspace@${db}__:`), key]), eventBytes, false);
    if (this.notifyFlags & Notify.Keyevent) this.publish(Buffer.from(`__keyevent@${db}__:${event}`), key, false);
  }

  /** A message another thread published: to this thread's subscribers. */
  receive(kind: SubKind, channel: Uint8Array, message: Uint8Array): void {
    this.deliverHere(kind, channel, message);
  }

  private deliverHere(kind: SubKind, channel: Uint8Array, message: Uint8Array): number {
    if (kind === SubKind.Monitor) {
      const monitors = this.local[SubKind.Monitor].get('');
      if (monitors !== undefined) for (const c of monitors) this.host.deliver(c, message, message.length);
      return 0;
    }
    let n = 0;
    const exact = this.local[kind].get(latin1(channel));
    if (exact !== undefined && exact.size > 0) {
      this.encode(kind === SubKind.Shard ? 'smessage' : 'message', null, channel, message);
      for (const c of exact) this.send(c);
      n += exact.size;
    }
    if (kind === SubKind.Channel) {
      for (const [pattern, subs] of this.local[SubKind.Pattern]) {
        if (!this.matches(pattern, channel)) continue;
        this.encode('pmessage', this.patternBytes.get(pattern)!, channel, message);
        for (const c of subs) this.send(c);
        n += subs.size;
      }
    }
    return n;
  }

  private encode(type: string, pattern: Uint8Array | null, channel: Uint8Array, message: Uint8Array): void {
    for (const w of [this.w2, this.w3]) {
      w.reset();
      w.resp3 = w === this.w3;
      w.push(pattern === null ? 3 : 4);
      w.bulkString(type);
      if (pattern !== null) w.bulkBytes(pattern);
      w.bulkBytes(channel);
      w.bulkBytes(message);
    }
  }

  private send(c: Subscriber): void {
    const w = c.resp === 3 ? this.w3 : this.w2;
    this.host.deliver(c, w.buf, w.len);
  }

  private matches(pattern: string, channel: Uint8Array): boolean {
    const p = this.patternBytes.get(pattern)!;
    return globMatch(p, 0, p.length, channel, 0, channel.length, false);
  }

  // ---- subscribing ------------------------------------------------------------------

  /**
   * SUBSCRIBE, PSUBSCRIBE, SSUBSCRIBE: the confirmations (written into `w`)
   * and a promise that resolves once every thread knows.
   */
  subscribe(c: Subscriber, kind: SubscriptionKind, names: Uint8Array[], w: ReplyWriter): Promise<void> {
    const subs = (c.subs ??= [new Set(), new Set(), new Set()]);
    const add: string[] = [];
    for (const b of names) {
      const name = latin1(b);
      if (!subs[kind].has(name)) {
        subs[kind].add(name);
        let set = this.local[kind].get(name);
        if (set === undefined) {
          this.local[kind].set(name, (set = new Set()));
          if (kind === SubKind.Pattern) this.notePattern(name);
        }
        set.add(c);
        add.push(name);
      }
      this.confirm(w, KIND_NAMES[kind][0], b, countFor(c, kind));
    }
    return add.length === 0 ? Promise.resolve() : this.host.announce({ from: this.host.index, kind, add, remove: [] });
  }

  /** UNSUBSCRIBE, PUNSUBSCRIBE, SUNSUBSCRIBE (`names` null: all of that kind). */
  unsubscribe(c: Subscriber, kind: SubscriptionKind, names: Uint8Array[] | null, w: ReplyWriter): Promise<void> {
    const mine = c.subs?.[kind];
    const list = names ?? [...(mine ?? [])].map(bytesOf);
    if (list.length === 0) {
      // Nothing to leave: one confirmation with a null name, as Redis answers.
      w.push(3);
      w.bulkString(KIND_NAMES[kind][1]);
      w.nullBulk();
      w.int(countFor(c, kind));
      return Promise.resolve();
    }
    const remove: string[] = [];
    for (const b of list) {
      const name = latin1(b);
      if (mine !== undefined && mine.delete(name)) {
        this.leaveLocal(c, kind, name);
        remove.push(name);
      }
      this.confirm(w, KIND_NAMES[kind][1], b, countFor(c, kind));
    }
    return remove.length === 0 ? Promise.resolve() : this.host.announce({ from: this.host.index, kind, add: [], remove });
  }

  // ---- MONITOR --------------------------------------------------------------------------

  /** Monitors on any thread (every command then makes its line). */
  monitoring = false;

  /** MONITOR: the connection gets every command's line from now on (once every thread knows). */
  addMonitor(c: Subscriber): Promise<void> {
    if (c.monitor) return Promise.resolve();
    c.monitor = true;
    return this.joinLocal(c, SubKind.Monitor, '');
  }

  /** A command's MONITOR line, for the monitors of every thread. */
  monitorLine(line: Uint8Array): void {
    this.deliverHere(SubKind.Monitor, EMPTY, line);
    for (let t = 0; t < this.host.threads; t++) {
      if (t !== this.host.index && this.remote[SubKind.Monitor][t].size > 0) this.host.sendMessage(t, SubKind.Monitor, EMPTY, line);
    }
  }

  private updateMonitoring(): void {
    this.monitoring = this.local[SubKind.Monitor].size > 0 || this.remote[SubKind.Monitor].some((m) => m.size > 0);
  }

  private joinLocal(c: Subscriber, kind: SubKind, name: string): Promise<void> {
    let set = this.local[kind].get(name);
    if (set === undefined) this.local[kind].set(name, (set = new Set()));
    set.add(c);
    if (kind === SubKind.Monitor) this.updateMonitoring();
    return this.host.announce({ from: this.host.index, kind, add: [name], remove: [] });
  }

  /** A connection closed or was RESET: every subscription goes (RESET waits for the announcements). */
  dropAll(c: Subscriber): Promise<void> {
    if (c.monitor) {
      c.monitor = false;
      this.leaveLocal(c, SubKind.Monitor, '');
      void this.host.announce({ from: this.host.index, kind: SubKind.Monitor, add: [], remove: [''] });
    }
    const subs = c.subs;
    if (subs === null) return Promise.resolve();
    c.subs = null;
    const done: Promise<void>[] = [];
    for (const kind of [SubKind.Channel, SubKind.Pattern, SubKind.Shard] as const) {
      const remove = [...subs[kind]];
      if (remove.length === 0) continue;
      for (const name of remove) this.leaveLocal(c, kind, name);
      done.push(this.host.announce({ from: this.host.index, kind, add: [], remove }));
    }
    return Promise.all(done).then(() => undefined);
  }

  private leaveLocal(c: Subscriber, kind: SubKind, name: string): void {
    const set = this.local[kind].get(name);
    if (set === undefined) return;
    set.delete(c);
    if (set.size === 0) {
      this.local[kind].delete(name);
      if (kind === SubKind.Pattern) this.forgetPattern(name);
      if (kind === SubKind.Monitor) this.updateMonitoring();
    }
  }

  private confirm(w: ReplyWriter, type: string, name: Uint8Array, count: number): void {
    w.push(3);
    w.bulkString(type);
    w.bulkBytes(name);
    w.int(count);
  }

  /** Another thread's announcement. */
  apply(change: DirectoryChange): void {
    if (change.from === this.host.index) return;
    const m = this.remote[change.kind][change.from];
    for (const name of change.add) {
      const n = m.get(name) ?? 0;
      m.set(name, n + 1);
      if (n === 0 && change.kind === SubKind.Pattern) this.notePattern(name);
    }
    for (const name of change.remove) {
      const n = (m.get(name) ?? 0) - 1;
      if (n > 0) m.set(name, n);
      else {
        m.delete(name);
        if (change.kind === SubKind.Pattern) this.forgetPattern(name);
      }
    }
    if (change.kind === SubKind.Monitor) this.updateMonitoring();
  }

  private notePattern(name: string): void {
    if (!this.patternBytes.has(name)) this.patternBytes.set(name, bytesOf(name));
  }

  private forgetPattern(name: string): void {
    if (this.local[SubKind.Pattern].has(name)) return;
    for (const m of this.remote[SubKind.Pattern]) if (m.has(name)) return;
    this.patternBytes.delete(name);
  }

  // ---- PUBSUB -----------------------------------------------------------------------

  /** Subscribers of a channel (or shard channel) on every thread, patterns not counted. */
  numsub(kind: SubKind, name: Uint8Array): number {
    const key = latin1(name);
    let n = this.local[kind].get(key)?.size ?? 0;
    for (const m of this.remote[kind]) n += m.get(key) ?? 0;
    return n;
  }

  /** Names with subscribers anywhere (channels, patterns or shard channels), optionally matching a pattern. */
  names(kind: SubKind, pattern: Uint8Array | null): Buffer[] {
    const all = new Set<string>(this.local[kind].keys());
    for (const m of this.remote[kind]) for (const k of m.keys()) all.add(k);
    const out: Buffer[] = [];
    for (const name of all) {
      const b = bytesOf(name);
      if (pattern === null || globMatch(pattern, 0, pattern.length, b, 0, b.length, false)) out.push(b);
    }
    return out;
  }

  /** Subscriptions of this thread's connections: [channels, patterns, shard channels] (INFO adds the threads up). */
  localCounts(): [number, number, number] {
    return [this.local[0].size, this.local[1].size, this.local[2].size];
  }
}

/** The count a confirmation carries: channels and patterns together, shard channels apart (Redis 7). */
export function countFor(c: Subscriber, kind: SubscriptionKind): number {
  const s = c.subs;
  if (s === null) return 0;
  return kind === SubKind.Shard ? s[2].size : s[0].size + s[1].size;
}

/** Whether a connection is in subscribed mode (RESP2 then allows only a few commands). */
export function isSubscribed(c: Subscriber): boolean {
  const s = c.subs;
  return s !== null && s[0].size + s[1].size + s[2].size > 0;
}
