/**
 * Connections spread over Shoal's threads. Every thread listens on the same
 * port with SO_REUSEPORT, and the kernel picks the thread of each new
 * connection (by a hash of its addresses and ports), so a test that wants
 * clients on different threads opens connections until it holds enough of
 * them on distinct threads, and closes the others.
 *
 * A connection's thread is the `io-thread` field of its CLIENT INFO line
 * (Redis 8's field; Shoal writes the index of the thread that owns the
 * connection). A server without that field (redis-server 7) has one thread
 * serving clients, reported here as thread 0, so the same scenario can run
 * against redis-server with `threads` = 1.
 */
import { expect } from 'vitest';
import { RawClient } from './raw-client.js';
import type { ServerHandle } from './servers.js';

export interface SpreadClient {
  client: RawClient;
  /** Index of the thread that owns the connection (io-thread). */
  thread: number;
  /** CLIENT ID of the connection. */
  id: number;
}

export interface SpreadOptions {
  host?: string;
  /** Connections opened at most, kept ones included (default 50 per wanted connection, at least 200). */
  maxAttempts?: number;
  /**
   * Throw when the connections held cover fewer distinct threads than
   * min(count, threads) once the attempts are used up (default true). With
   * false the best spread found is returned, and the caller asserts on it.
   */
  strict?: boolean;
  /** Opens one connection (default: TCP to host:port). */
  connect?: () => Promise<RawClient>;
}

/** The fields of a CLIENT INFO / CLIENT LIST line. */
export function parseClientLine(line: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of line.trim().split(' ')) {
    const eq = part.indexOf('=');
    if (eq > 0) out[part.slice(0, eq)] = part.slice(eq + 1);
  }
  return out;
}

/** The text of a bulk or verbatim reply (`$n\r\n...` or `=n\r\ntxt:...`). */
export function bulkText(raw: Buffer): string {
  const s = raw.toString('latin1');
  if (s[0] !== '$' && s[0] !== '=') throw new Error(`expected a bulk reply, got ${JSON.stringify(s.slice(0, 200))}`);
  const body = s.slice(s.indexOf('\r\n') + 2, s.length - 2);
  return s[0] === '=' ? body.slice(4) : body;
}

/** The CLIENT INFO fields of a connection (it must not be blocked or paused). */
export async function clientInfo(client: RawClient): Promise<Record<string, string>> {
  return parseClientLine(bulkText(await client.call('CLIENT', 'INFO')));
}

/** The thread owning a connection: `io-thread` of its CLIENT INFO (0 on a server without that field). */
export async function threadOf(client: RawClient): Promise<number> {
  const info = await clientInfo(client);
  if (info.id === undefined) throw new Error(`CLIENT INFO without an id: ${JSON.stringify(info)}`);
  return info['io-thread'] === undefined ? 0 : Number(info['io-thread']);
}

/**
 * Opens connections until it holds `count` of them covering as many of the
 * `threads` threads as possible (all of them when count ≥ threads, else
 * `count` distinct ones), spread as evenly as the kernel allows; surplus
 * connections are closed. Returns them in the order they were kept.
 */
export async function connectSpread(port: number, count: number, threads: number, opts: SpreadOptions = {}): Promise<SpreadClient[]> {
  if (count < 1 || threads < 1) throw new Error(`connectSpread: count ${count} and threads ${threads} must be positive`);
  const host = opts.host ?? '127.0.0.1';
  const open = opts.connect ?? (() => RawClient.connect(port, host));
  const maxAttempts = opts.maxAttempts ?? Math.max(200, 50 * count);
  const wantDistinct = Math.min(count, threads);
  const quota = Math.ceil(count / threads);
  const held: SpreadClient[] = [];
  const perThread = new Map<number, number>();
  const seen = new Map<number, number>();
  let attempts = 0;
  try {
    while (held.length < count && attempts < maxAttempts) {
      attempts++;
      const client = await open();
      const info = await clientInfo(client);
      const thread = info['io-thread'] === undefined ? 0 : Number(info['io-thread']);
      seen.set(thread, (seen.get(thread) ?? 0) + 1);
      const mine = perThread.get(thread) ?? 0;
      const missing = wantDistinct - perThread.size;
      const slotsLeft = count - held.length;
      // A new thread is always welcome; another connection on a thread already
      // held only while slots remain beyond those the missing threads need, and
      // within an even share.
      const keep = mine === 0 || (slotsLeft > missing && mine < quota);
      if (keep) {
        held.push({ client, thread, id: Number(info.id) });
        perThread.set(thread, mine + 1);
      } else {
        client.destroy();
      }
    }
    if (held.length < count) {
      // Out of attempts: fill up with whatever comes (coverage stays as found).
      while (held.length < count) {
        const client = await open();
        const info = await clientInfo(client);
        held.push({ client, thread: info['io-thread'] === undefined ? 0 : Number(info['io-thread']), id: Number(info.id) });
      }
    }
  } catch (e) {
    for (const h of held) h.client.destroy();
    throw e;
  }
  const distinct = new Set(held.map((h) => h.thread)).size;
  if (opts.strict !== false && distinct < wantDistinct) {
    for (const h of held) h.client.destroy();
    const dist = [...seen].sort((a, b) => a[0] - b[0]).map(([t, n]) => `thread ${t}: ${n}`).join(', ');
    throw new Error(`connectSpread: ${count} connections cover ${distinct} of ${threads} threads after ${attempts} attempts (connections seen by thread: ${dist})`);
  }
  return held;
}

/** Distinct thread indexes of some spread clients. */
export function threadsOf(clients: readonly SpreadClient[]): number[] {
  return [...new Set(clients.map((c) => c.thread))].sort((a, b) => a - b);
}

/**
 * Hands out spread clients by thread, so a scenario can put its roles on
 * the threads it wants (waiters on threads 0, 1 and 2, the key's shard on
 * thread 3 ...). On a server with fewer threads than a scenario names (one
 * for redis-server), thread t maps to t mod threads, so the same scenario
 * runs there with every role on its one thread.
 */
export class ThreadPool {
  private readonly free: SpreadClient[];

  constructor(
    /** Every client of the pool, taken or not. */
    readonly clients: readonly SpreadClient[],
    readonly threads: number,
  ) {
    this.free = [...clients];
  }

  /** An unused client on `thread` (mod the server's threads); throws when there is none left. */
  take(thread: number): SpreadClient {
    const t = thread % this.threads;
    const i = this.free.findIndex((c) => c.thread === t);
    if (i < 0) throw new Error(`ThreadPool: no client left on thread ${t}`);
    return this.free.splice(i, 1)[0];
  }

  /** Every client on `thread` (mod the server's threads) not taken yet. */
  takeAll(thread: number): SpreadClient[] {
    const t = thread % this.threads;
    const mine = this.free.filter((c) => c.thread === t);
    for (const c of mine) this.free.splice(this.free.indexOf(c), 1);
    return mine;
  }

  /** Returns a taken client to the pool. */
  giveBack(c: SpreadClient): void {
    this.free.unshift(c);
  }

  /** Every client not taken yet. */
  rest(): SpreadClient[] {
    return this.free.splice(0);
  }
}

/** connectSpread with `perThread` connections on each of the `threads` threads, as a ThreadPool. */
export async function threadPool(port: number, threads: number, perThread: number, opts: SpreadOptions = {}): Promise<ThreadPool> {
  const clients = await connectSpread(port, threads * perThread, threads, opts);
  const counts = new Map<number, number>();
  for (const c of clients) counts.set(c.thread, (counts.get(c.thread) ?? 0) + 1);
  for (let t = 0; t < threads; t++) {
    if (counts.get(t) !== perThread) {
      for (const c of clients) c.client.destroy();
      throw new Error(`threadPool: wanted ${perThread} connections on each of ${threads} threads, got ${JSON.stringify([...counts])}`);
    }
  }
  return new ThreadPool(clients, threads);
}

/**
 * A client of any library (`make`) that landed on thread `want`: connects
 * again until the kernel puts one there (`info` answers CLIENT INFO; a
 * server without `io-thread` counts as one thread).
 */
export async function connectOnThread<C>(make: () => C, info: (c: C) => Promise<string>, close: (c: C) => void, want: number, maxAttempts = 200): Promise<C> {
  for (let attempt = 1; ; attempt++) {
    const c = make();
    const thread = parseClientLine((await info(c)).trim())['io-thread'];
    if (thread === undefined || Number(thread) === want) return c;
    close(c);
    if (attempt >= maxAttempts) throw new Error(`connectOnThread: no connection landed on thread ${want} in ${maxAttempts} attempts`);
  }
}

/**
 * A connect function that puts each new connection on the next of
 * `threads` threads, round robin (opening and closing connections until the
 * kernel places one there), so that a test's clients — waiters, writers,
 * watchers — sit on different threads. A server without `io-thread`
 * (redis-server) counts as one thread, and a connection that must AUTH first
 * cannot be asked: those are taken as they come.
 */
export function spreadConnector(threads: number, maxAttempts = 200): (port: number) => Promise<RawClient> {
  let next = 0;
  return async (port) => {
    const want = next++ % threads;
    for (let attempt = 1; ; attempt++) {
      const client = await RawClient.connect(port, '127.0.0.1');
      const reply = await client.call('CLIENT', 'INFO');
      // Before AUTH (requirepass) a connection cannot be asked: taken as it comes.
      if (reply[0] === 0x2d /* - */) return client;
      const info = parseClientLine(bulkText(reply));
      if (info['io-thread'] === undefined || Number(info['io-thread']) === want) return client;
      client.destroy();
      if (attempt >= maxAttempts) throw new Error(`spreadConnector: no connection landed on thread ${want} in ${maxAttempts} attempts`);
    }
  };
}

/**
 * Runs a scenario on redis-server (threads = 1), closes the connections it
 * left (`opened`), then runs it on Shoal with `threads` threads and expects
 * the same transcript: what the scenario pushed to `out`. A failure inside a
 * scenario is reported with the transcript so far. Resolves Redis's.
 */
export async function sameTranscript(
  redis: ServerHandle,
  shoal: ServerHandle,
  threads: number,
  opened: RawClient[],
  scenario: (port: number, threads: number, out: unknown[]) => Promise<void>,
): Promise<unknown[]> {
  const run = async (server: ServerHandle, n: number): Promise<unknown[]> => {
    const out: unknown[] = [];
    try {
      await scenario(server.port, n, out);
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      throw new Error(`${server.name}: ${msg}\ntranscript so far:\n${out.map((x) => JSON.stringify(x)).join('\n')}`, { cause: e });
    }
    return out;
  };
  const want = await run(redis, 1);
  for (const c of opened.splice(0)) c.destroy();
  const got = await run(shoal, threads);
  expect(got).toEqual(want);
  return want;
}
