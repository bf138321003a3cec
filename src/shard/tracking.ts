/**
 * Client-side caching on a shard (Redis's tracking.c, per shard): which
 * clients read which of this shard's keys (the default mode), and which
 * clients want every key under some prefixes (BCAST). A key written,
 * expired or deleted is invalidated once per command: each client that
 * read it hears of it once (and is forgotten for it), each BCAST client
 * whose prefix matches hears of it every time. A client that asked NOLOOP
 * does not hear of its own writes. Clients are named by their connection
 * key (frames.ts connKey); their thread checks the connection is still
 * theirs and still tracking before it writes anything.
 */
export interface TrackingSink {
  /** Tells a client (by connection key) that keys changed; null: everything (FLUSHALL / FLUSHDB). */
  invalidate(conn: number, keys: Uint8Array[] | null): void;
}

const latin1 = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.length).toString('latin1');

export class TrackingTable {
  /** Key (latin1, any database, as Redis's table) → reading clients → NOLOOP. */
  private readonly readers = new Map<string, Map<number, boolean>>();
  /** Prefix → BCAST clients → NOLOOP. */
  private readonly prefixes = new Map<string, Map<number, boolean>>();
  /** Keys changed by the running command (or expiry step), invalidated when it ends. */
  private readonly changed = new Set<string>();
  /** Entries kept at most (tracking-table-max-keys, this shard's share). */
  maxKeys = 1_000_000;

  constructor(private readonly sink: TrackingSink) {}

  /** Whether anything is tracked here (the keyspace hook costs nothing otherwise). */
  get active(): boolean {
    return this.readers.size > 0 || this.prefixes.size > 0;
  }

  get keys(): number {
    return this.readers.size;
  }

  get items(): number {
    let n = 0;
    for (const m of this.readers.values()) n += m.size;
    return n;
  }

  get prefixCount(): number {
    return this.prefixes.size;
  }

  /** A tracking client read a key. */
  remember(key: Uint8Array, conn: number, noloop: boolean): void {
    const k = latin1(key);
    let m = this.readers.get(k);
    if (m === undefined) {
      if (this.maxKeys > 0 && this.readers.size >= this.maxKeys) this.evictOne();
      this.readers.set(k, (m = new Map()));
    }
    m.set(conn, noloop);
  }

  /** The table is full: a key goes, its readers told as if it changed (Redis evicts at random; the oldest here). */
  private evictOne(): void {
    const first = this.readers.keys().next();
    if (first.done === true) return;
    const m = this.readers.get(first.value)!;
    this.readers.delete(first.value);
    const key = Buffer.from(first.value, 'latin1');
    for (const conn of m.keys()) this.sink.invalidate(conn, [key]);
  }

  /** A BCAST client's prefixes (its whole keyspace with the empty prefix), or their removal. */
  broadcast(conn: number, prefixes: string[], noloop: boolean, on: boolean): void {
    for (const p of prefixes) {
      let m = this.prefixes.get(p);
      if (on) {
        if (m === undefined) this.prefixes.set(p, (m = new Map()));
        m.set(conn, noloop);
      } else if (m !== undefined) {
        m.delete(conn);
        if (m.size === 0) this.prefixes.delete(p);
      }
    }
  }

  /** A key changed (the keyspace's hook): invalidated once the command ends. */
  keyChanged(key: Uint8Array): void {
    this.changed.add(latin1(key));
  }

  /** The command (by `writer`, 0 for none: expiry) ended: its changed keys are invalidated. */
  flushChanged(writer: number): void {
    if (this.changed.size === 0) return;
    for (const k of this.changed) {
      const key = Buffer.from(k, 'latin1');
      const m = this.readers.get(k);
      if (m !== undefined) {
        this.readers.delete(k);
        for (const [conn, noloop] of m) if (!(noloop && conn === writer)) this.sink.invalidate(conn, [key]);
      }
      for (const [prefix, clients] of this.prefixes) {
        if (!k.startsWith(prefix)) continue;
        for (const [conn, noloop] of clients) if (!(noloop && conn === writer)) this.sink.invalidate(conn, [key]);
      }
    }
    this.changed.clear();
  }

  /** FLUSHALL / FLUSHDB: the readers' table goes (their clients are told by their threads). */
  flushed(): void {
    this.readers.clear();
    this.changed.clear();
  }
}
