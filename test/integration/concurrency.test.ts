/**
 * Concurrency checker for transactions across shards: 16 clients per
 * scenario hammer Shoal (4 shards) with cross-shard transactions while other
 * clients continuously check invariants that only hold if every MULTI/EXEC,
 * MSET, MGET, RENAME ... is atomic and WATCH never misses a change:
 *
 *   bank    24 accounts spread over the shards; transfers done as
 *           WATCH a b / MGET a b / MULTI / DECRBY a x / INCRBY b x / EXEC
 *           (retried when EXEC is nil; a successful EXEC must return exactly
 *           the values read minus/plus x) or as plain MULTI/EXEC; checkers read
 *           all balances with MGET, MULTI/MGET/EXEC and MULTI/GET.../EXEC —
 *           the total must never change.
 *   mset    10 keys over every shard; writers set all 10 to one generation
 *           (MSET, MULTI/10×SET/EXEC, MULTI/MSET/EXEC); readers (MGET,
 *           MULTI/MGET/EXEC, MULTI/10×GET/EXEC) must always see 10 equal
 *           values, and never a generation of a writer older than one they saw.
 *   ring    a token key renamed around a ring of 8 keys on different shards
 *           (RENAME, RENAMENX, MULTI/COPY/DEL/EXEC, MULTI/RENAME/EXEC,
 *           WATCH ring/MGET ring/MULTI/RENAME/EXEC); observers (EXISTS of all,
 *           MGET of all, MULTI/8×EXISTS/DBSIZE/EXEC) must see exactly one.
 *
 * Clients are raw sockets (some in RESP3, some pipelining whole
 * transactions, some sending one command per round trip) and a few ioredis
 * connections. Each scenario runs until it has sent CONCURRENCY_OPS commands
 * (default 70,000, so > 200,000 in all). How long that takes is printed, never
 * asserted (a hang is caught by the test's timeout). Counts are printed; any
 * violation fails.
 *
 * Validate the checker with redis-server in Shoal's place:
 *   SHOAL_CMD=redis npx vitest run test/integration/concurrency.test.ts
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Rng, seedsFromEnv } from '../helpers/rng.js';
import { type Arg, type RawClient, type Reply, type ServerHandle, encodeReply, parseOne, printable, rawClient, resp, startShoal } from '../helpers/servers.js';
import { keysOnEveryShard, shardOf, shardsTouched, taggedKeysOnEveryShard } from '../helpers/shards.js';
import { threadOf } from '../helpers/threads.js';

const SHARDS = 4;
const BUDGET = Number(process.env.CONCURRENCY_OPS ?? 70_000);
/** A generous guard against a hang, not a speed requirement. */
const SCENARIO_TIMEOUT_MS = 240_000;
const REPLY_TIMEOUT_MS = 10_000;
const SEED = seedsFromEnv(1)[0]!;

// ---- bookkeeping --------------------------------------------------------------

class Scenario {
  commands = 0;
  readonly perCommand = new Map<string, number>();
  readonly events = new Map<string, number>();
  readonly violations: string[] = [];
  violationCount = 0;
  /** Clients per server thread (io-thread), and the thread the next client should land on. */
  readonly threads = new Map<number, number>();
  nextThread = 0;
  /** Why the scenario stopped early ('' while running or when the budget was reached). */
  stopped = '';
  readonly started = Date.now();
  elapsedMs = 0;

  constructor(
    readonly name: string,
    readonly budget: number,
  ) {}

  get done(): boolean {
    if (this.stopped) return true;
    return this.commands >= this.budget;
  }

  countCommands(cmds: readonly (readonly Arg[])[]): void {
    for (const c of cmds) {
      const name = String(c[0]).toUpperCase();
      this.perCommand.set(name, (this.perCommand.get(name) ?? 0) + 1);
    }
    this.commands += cmds.length;
  }

  event(kind: string, n = 1): void {
    this.events.set(kind, (this.events.get(kind) ?? 0) + n);
  }

  violation(msg: string): void {
    this.violationCount++;
    if (this.violations.length < 20) this.violations.push(msg);
  }

  fail(who: string, err: unknown): void {
    this.violation(`${who}: ${err instanceof Error ? err.message : String(err)}`);
    if (!this.stopped) this.stopped = `error in ${who}`;
  }

  report(): void {
    const secs = this.elapsedMs / 1000;
    const lines = [
      `[concurrency] ${this.name}: ${this.commands} commands in ${secs.toFixed(2)} s (${Math.round(this.commands / secs)} commands/s), seed ${SEED}` +
        (this.stopped ? ` — stopped early: ${this.stopped}` : ''),
      `  commands: ${[...this.perCommand].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k}=${v}`).join(' ')}`,
      `  clients by thread: ${[...this.threads].sort((a, b) => a[0] - b[0]).map(([t, n]) => `thread ${t}: ${n}`).join(', ')}`,
      ...[...this.events].sort().map(([k, v]) => `  ${k}: ${v}`),
      `  violations: ${this.violationCount}`,
      ...this.violations.map((v) => `    ! ${v}`),
    ];
    console.log(lines.join('\n'));
  }
}

// ---- clients --------------------------------------------------------------------

/** A raw connection that counts what it sends and parses what it gets. */
class Conn {
  private constructor(
    readonly raw: RawClient,
    readonly sc: Scenario,
  ) {}

  static async open(port: number, sc: Scenario, resp3 = false): Promise<Conn> {
    const c = new Conn(await onNextThread(() => rawClient(port), async (r) => threadOf(r), (r) => r.destroy(), sc), sc);
    if (resp3) {
      const hello = await c.raw.call('HELLO', '3');
      if (hello[0] !== 0x25 /* % */) throw new Error(`HELLO 3 failed: ${printable(hello)}`);
    }
    return c;
  }

  /** Sends all commands in one write, returns their parsed replies. */
  async pipe(cmds: Arg[][]): Promise<Reply[]> {
    this.sc.countCommands(cmds);
    await this.raw.write(Buffer.concat(cmds.map((c) => resp(...c))));
    const raws = await this.raw.readReplies(cmds.length, REPLY_TIMEOUT_MS);
    return raws.map((r) => parseOne(r));
  }

  /** Sends the commands one round trip at a time. */
  async oneByOne(cmds: Arg[][]): Promise<Reply[]> {
    const out: Reply[] = [];
    for (const c of cmds) out.push(...(await this.pipe([c])));
    return out;
  }

  async call(...args: Arg[]): Promise<Reply> {
    return (await this.pipe([args]))[0]!;
  }

  close(): void {
    this.raw.destroy();
  }
}

function show(r: Reply | undefined): string {
  return r === undefined ? '(none)' : printable(encodeReply(r), 200);
}

function isNull(r: Reply): boolean {
  return r.type === 'null' || ((r.type === 'bulk' || r.type === 'array') && r.value === null);
}

function isSimple(r: Reply, value: string): boolean {
  return r.type === 'simple' && r.value === value;
}

function isError(r: Reply, prefix: string): boolean {
  return r.type === 'error' && r.value.startsWith(prefix);
}

/** Integer reply as a number (NaN otherwise). */
function int(r: Reply | undefined): number {
  return r?.type === 'integer' ? Number(r.value) : NaN;
}

/** Bulk string as text; null for nil; undefined for anything else. */
function text(r: Reply | undefined): string | null | undefined {
  if (r === undefined) return undefined;
  if (isNull(r)) return null;
  return r.type === 'bulk' && r.value ? r.value.toString('latin1') : undefined;
}

/** Array elements (undefined if not a non-nil array). */
function items(r: Reply | undefined): Reply[] | undefined {
  return r?.type === 'array' && r.value ? r.value : undefined;
}

/** Checks the replies to MULTI and the queued commands of a transaction, returns the EXEC reply. */
function execReply(sc: Scenario, who: string, tx: Arg[][], replies: Reply[]): Reply {
  if (!isSimple(replies[0]!, 'OK')) sc.violation(`${who}: MULTI → ${show(replies[0])}`);
  for (let i = 1; i < tx.length - 1; i++) {
    if (!isSimple(replies[i]!, 'QUEUED')) sc.violation(`${who}: ${String(tx[i]![0])} in MULTI → ${show(replies[i])}`);
  }
  return replies[replies.length - 1]!;
}

async function openIoredis(port: number, sc: Scenario): Promise<Redis> {
  const open = async (): Promise<Redis> => {
    const r = new Redis({ port, host: '127.0.0.1', lazyConnect: true, enableAutoPipelining: false, maxRetriesPerRequest: 0, retryStrategy: () => null, commandTimeout: REPLY_TIMEOUT_MS });
    await r.connect();
    return r;
  };
  const thread = async (r: Redis): Promise<number> => Number(/io-thread=(\d+)/.exec(String(await r.client('INFO')))?.[1] ?? 0);
  return onNextThread(open, thread, (r) => r.disconnect(), sc);
}

/**
 * Opens connections until one lands on the scenario's next thread (round
 * robin over the server's threads), closing the others, so every scenario's
 * clients are spread over all threads (the kernel picks a connection's
 * thread; see test/helpers/threads.ts). Bounded: after 200 tries it keeps
 * whatever came, and the scenario's thread check reports it.
 */
async function onNextThread<T>(open: () => Promise<T>, threadOfConn: (c: T) => Promise<number>, close: (c: T) => void, sc: Scenario): Promise<T> {
  const want = sc.nextThread++ % SHARDS;
  for (let attempt = 0; ; attempt++) {
    const c = await open();
    const t = await threadOfConn(c);
    if (t === want || attempt >= 200) {
      sc.threads.set(t, (sc.threads.get(t) ?? 0) + 1);
      return c;
    }
    close(c);
  }
}

interface Worker {
  name: string;
  /** One iteration (one logical operation, retries included). */
  step: () => Promise<void>;
}

async function runWorkers(sc: Scenario, workers: Worker[]): Promise<void> {
  await Promise.all(
    workers.map(async (w) => {
      try {
        while (!sc.done) await w.step();
      } catch (e) {
        sc.fail(w.name, e);
      }
    }),
  );
  sc.elapsedMs = Date.now() - sc.started;
}

// ---- the suite --------------------------------------------------------------------

let shoal: ServerHandle;
const toClose: Array<{ close(): void } | Redis> = [];
const scenarios: Scenario[] = [];

async function conn(sc: Scenario, resp3 = false): Promise<Conn> {
  const c = await Conn.open(shoal.port, sc, resp3);
  toClose.push(c);
  return c;
}

async function ioredis(sc: Scenario): Promise<Redis> {
  const r = await openIoredis(shoal.port, sc);
  toClose.push(r);
  return r;
}

beforeAll(async () => {
  shoal = await startShoal({ shards: SHARDS });
});

afterAll(async () => {
  for (const c of toClose) {
    if (c instanceof Redis) c.disconnect();
    else c.close();
  }
  await shoal?.stop();
});

function finish(sc: Scenario): void {
  scenarios.push(sc);
  sc.report();
  expect(sc.violations, `${sc.name}: violations`).toEqual([]);
  expect(sc.violationCount).toBe(0);
  expect(sc.stopped, `${sc.name} stopped early`).toBe('');
  // Clients on every thread: bugs in routing and ordering across threads only show there.
  expect([...sc.threads.keys()].sort(), `${sc.name}: threads of its clients`).toEqual(Array.from({ length: SHARDS }, (_, i) => i));
  if (shoal.exited) throw new Error(`${shoal.name} exited:\n${shoal.output().slice(-3000)}`);
}

describe(`concurrent transactions on ${SHARDS} shards (16 clients per scenario)`, () => {
  it('bank transfers keep the total balance constant (WATCH/MULTI/EXEC, MULTI/EXEC and scripts)', async () => {
    const sc = new Scenario('bank', BUDGET);
    const accounts = keysOnEveryShard('acct:', 24, SHARDS);
    expect(shardsTouched(accounts, SHARDS)).toBe(SHARDS);
    const INITIAL = 1000;
    const TOTAL = INITIAL * accounts.length;
    const admin = await conn(sc);
    expect(show(await admin.call('FLUSHALL'))).toBe('"+OK\\r\\n"');
    expect(show(await admin.call('MSET', ...accounts.flatMap((a) => [a, String(INITIAL)])))).toBe('"+OK\\r\\n"');

    let seed = SEED;
    const pair = (rng: Rng): [string, string] => {
      const i = rng.int(accounts.length);
      let j = rng.int(accounts.length - 1);
      if (j >= i) j++;
      return [accounts[i]!, accounts[j]!];
    };
    const crossShard = (a: string, b: string) => sc.event(shardOf(a) === shardOf(b) ? 'transfers within one shard (any kind)' : 'transfers across shards (any kind)');

    /** WATCH a b, MGET a b, MULTI/DECRBY/INCRBY/EXEC, retried on nil. */
    const watchTransfer = async (name: string, resp3: boolean, pipelined: boolean): Promise<Worker> => {
      const c = await conn(sc, resp3);
      const rng = new Rng(seed++);
      return {
        name,
        step: async () => {
          const [a, b] = pair(rng);
          while (!sc.done) {
            const w = await c.call('WATCH', a, b);
            if (!isSimple(w, 'OK')) sc.violation(`${name}: WATCH → ${show(w)}`);
            const got = items(await c.call('MGET', a, b));
            const va = Number(text(got?.[0]));
            const vb = Number(text(got?.[1]));
            if (!Number.isInteger(va) || !Number.isInteger(vb)) sc.violation(`${name}: MGET ${a} ${b} → ${got?.map(show).join(' ')}`);
            if (!(va > 0)) {
              await c.call('UNWATCH');
              sc.event('bank: WATCH transfers skipped (empty account)');
              return;
            }
            const x = 1 + rng.int(Math.min(va, 50));
            const tx: Arg[][] = [['MULTI'], ['DECRBY', a, x], ['INCRBY', b, x], ['EXEC']];
            const exec = execReply(sc, name, tx, pipelined ? await c.pipe(tx) : await c.oneByOne(tx));
            if (isNull(exec)) {
              sc.event('bank: WATCH retries (EXEC nil)');
              continue;
            }
            const r = items(exec);
            if (!r || int(r[0]) !== va - x || int(r[1]) !== vb + x) {
              sc.violation(`${name}: WATCH ${a} ${b} read ${va},${vb}; moved ${x}; EXEC → ${show(exec)} (expected [${va - x}, ${vb + x}])`);
            }
            sc.event('bank: transfers with WATCH (raw)');
            crossShard(a, b);
            return;
          }
        },
      };
    };

    /** The same with ioredis (watch / mget / multi().exec(), which gives null when aborted). */
    const ioredisWatchTransfer = async (name: string): Promise<Worker> => {
      const r = await ioredis(sc);
      const rng = new Rng(seed++);
      return {
        name,
        step: async () => {
          const [a, b] = pair(rng);
          while (!sc.done) {
            sc.countCommands([['WATCH'], ['MGET']]);
            await r.watch(a, b);
            const [sa, sb] = await r.mget(a, b);
            const va = Number(sa);
            const vb = Number(sb);
            if (!(va > 0)) {
              sc.countCommands([['UNWATCH']]);
              await r.unwatch();
              sc.event('bank: WATCH transfers skipped (empty account)');
              return;
            }
            const x = 1 + rng.int(Math.min(va, 50));
            sc.countCommands([['MULTI'], ['DECRBY'], ['INCRBY'], ['EXEC']]);
            const res = await r.multi().decrby(a, x).incrby(b, x).exec();
            if (res === null) {
              sc.event('bank: WATCH retries (EXEC nil)');
              continue;
            }
            if (res.length !== 2 || res[0]![0] || res[1]![0] || res[0]![1] !== va - x || res[1]![1] !== vb + x) {
              sc.violation(`${name}: WATCH ${a} ${b} read ${va},${vb}; moved ${x}; EXEC → ${JSON.stringify(res)}`);
            }
            sc.event('bank: transfers with WATCH (ioredis)');
            crossShard(a, b);
            return;
          }
        },
      };
    };

    /** MULTI/DECRBY/INCRBY/EXEC without WATCH: EXEC must never be nil. */
    const plainTransfer = async (name: string, pipelined: boolean): Promise<Worker> => {
      const c = await conn(sc);
      const rng = new Rng(seed++);
      return {
        name,
        step: async () => {
          const [a, b] = pair(rng);
          const x = 1 + rng.int(50);
          const tx: Arg[][] = [['MULTI'], ['DECRBY', a, x], ['INCRBY', b, x], ['EXEC']];
          const exec = execReply(sc, name, tx, pipelined ? await c.pipe(tx) : await c.oneByOne(tx));
          const r = items(exec);
          if (!r || r.length !== 2 || !Number.isInteger(int(r[0])) || !Number.isInteger(int(r[1]))) sc.violation(`${name}: EXEC → ${show(exec)}`);
          sc.event('bank: transfers with plain MULTI');
          crossShard(a, b);
        },
      };
    };

    /** A script that moves an amount between two accounts (on any shards): refuses to overdraw, so the total is its invariant. */
    const MOVE = "local n = tonumber(redis.call('GET', KEYS[1])) local x = tonumber(ARGV[1]) if n < x then return 0 end redis.call('DECRBY', KEYS[1], x) redis.call('INCRBY', KEYS[2], x) return 1";
    const scriptTransfer = async (name: string, evalsha: boolean): Promise<Worker> => {
      const c = await conn(sc);
      const rng = new Rng(seed++);
      const sha = text(await c.call('SCRIPT', 'LOAD', MOVE)) ?? '';
      return {
        name,
        step: async () => {
          const [a, b] = pair(rng);
          const x = 1 + rng.int(50);
          const r = evalsha ? await c.call('EVALSHA', sha, 2, a, b, x) : await c.call('EVAL', MOVE, 2, a, b, x);
          if (int(r) !== 0 && int(r) !== 1) sc.violation(`${name}: ${evalsha ? 'EVALSHA' : 'EVAL'} → ${show(r)}`);
          sc.event('bank: transfers by script');
          crossShard(a, b);
        },
      };
    };

    const sumOf = (vals: Reply[] | undefined): number => (vals ? vals.reduce((s, v) => s + Number(text(v)), 0) : NaN);
    const SUM = "local t = 0 for i, k in ipairs(KEYS) do t = t + tonumber(redis.call('GET', k)) end return t";
    const checker = async (name: string, how: 'MGET' | 'MULTI MGET' | 'MULTI GETs' | 'script', resp3 = false): Promise<Worker> => {
      const c = await conn(sc, resp3);
      return {
        name,
        step: async () => {
          let sum: number;
          let shown: string;
          if (how === 'MGET') {
            const r = await c.call('MGET', ...accounts);
            sum = sumOf(items(r));
            shown = show(r);
          } else if (how === 'script') {
            // A script over every account: it holds every shard, so it sees one instant.
            const r = await c.call('EVAL', SUM, accounts.length, ...accounts);
            sum = Number(int(r));
            shown = show(r);
          } else {
            const tx: Arg[][] = how === 'MULTI MGET' ? [['MULTI'], ['MGET', ...accounts], ['EXEC']] : [['MULTI'], ...accounts.map((a) => ['GET', a]), ['EXEC']];
            const exec = execReply(sc, name, tx, await c.pipe(tx));
            sum = how === 'MULTI MGET' ? sumOf(items(items(exec)?.[0])) : sumOf(items(exec));
            shown = show(exec);
          }
          sc.event(`bank: balance checks (${how})`);
          if (sum !== TOTAL) sc.violation(`${name}: total ${sum} ≠ ${TOTAL}: ${shown}`);
        },
      };
    };

    const workers = await Promise.all([
      watchTransfer('watch-1 (pipelined EXEC)', false, true),
      watchTransfer('watch-2 (pipelined EXEC)', false, true),
      watchTransfer('watch-3 (pipelined EXEC)', false, true),
      watchTransfer('watch-4 (one by one)', false, false),
      watchTransfer('watch-5 (RESP3, pipelined EXEC)', true, true),
      ioredisWatchTransfer('watch-6 (ioredis)'),
      ioredisWatchTransfer('watch-7 (ioredis)'),
      plainTransfer('multi-1 (pipelined)', true),
      plainTransfer('multi-2 (pipelined)', true),
      plainTransfer('multi-3 (one by one)', false),
      plainTransfer('multi-4 (one by one)', false),
      checker('check-1', 'MGET'),
      checker('check-2', 'MGET', true),
      checker('check-3', 'MULTI MGET'),
      checker('check-4', 'MULTI MGET', true),
      checker('check-5', 'MULTI GETs'),
      scriptTransfer('script-1 (EVALSHA)', true),
      scriptTransfer('script-2 (EVAL)', false),
      checker('check-6', 'script'),
    ]);
    await runWorkers(sc, workers);
    const final = sumOf(items(await admin.call('MGET', ...accounts)));
    if (final !== TOTAL) sc.violation(`final total ${final} ≠ ${TOTAL}`);
    finish(sc);
  }, SCENARIO_TIMEOUT_MS);

  it('MSET / MGET across shards: readers never see half a write or an older generation', async () => {
    const sc = new Scenario('mset', BUDGET);
    const keys = keysOnEveryShard('snap:k', 10, SHARDS);
    expect(shardsTouched(keys, SHARDS)).toBe(SHARDS);
    const admin = await conn(sc);
    expect(show(await admin.call('FLUSHALL'))).toBe('"+OK\\r\\n"');
    expect(show(await admin.call('MSET', ...keys.flatMap((k) => [k, 'init:0'])))).toBe('"+OK\\r\\n"');

    const writer = async (id: string, how: 'MSET' | 'MULTI SETs' | 'MULTI MSET'): Promise<Worker> => {
      const c = await conn(sc);
      let seq = 0;
      return {
        name: `writer ${id}`,
        step: async () => {
          const v = `${id}:${++seq}`;
          if (how === 'MSET') {
            const r = await c.call('MSET', ...keys.flatMap((k) => [k, v]));
            if (!isSimple(r, 'OK')) sc.violation(`writer ${id}: MSET → ${show(r)}`);
          } else {
            const tx: Arg[][] = how === 'MULTI SETs' ? [['MULTI'], ...keys.map((k) => ['SET', k, v]), ['EXEC']] : [['MULTI'], ['MSET', ...keys.flatMap((k) => [k, v])], ['EXEC']];
            // MULTI/MSET/EXEC goes one command per round trip, the other pipelined.
            const exec = execReply(sc, `writer ${id}`, tx, how === 'MULTI MSET' ? await c.oneByOne(tx) : await c.pipe(tx));
            const r = items(exec);
            if (!r || r.length !== tx.length - 2 || !r.every((x) => isSimple(x, 'OK'))) sc.violation(`writer ${id}: EXEC → ${show(exec)}`);
          }
          sc.event(`mset: writes (${how})`);
        },
      };
    };

    const reader = async (id: string, how: 'MGET' | 'MULTI MGET' | 'MULTI GETs', resp3 = false): Promise<Worker> => {
      const c = await conn(sc, resp3);
      const lastSeen = new Map<string, number>();
      return {
        name: `reader ${id}`,
        step: async () => {
          let vals: Reply[] | undefined;
          let shown: string;
          if (how === 'MGET') {
            const r = await c.call('MGET', ...keys);
            vals = items(r);
            shown = show(r);
          } else {
            const tx: Arg[][] = how === 'MULTI MGET' ? [['MULTI'], ['MGET', ...keys], ['EXEC']] : [['MULTI'], ...keys.map((k) => ['GET', k]), ['EXEC']];
            const exec = execReply(sc, `reader ${id}`, tx, await c.pipe(tx));
            vals = how === 'MULTI MGET' ? items(items(exec)?.[0]) : items(exec);
            shown = show(exec);
          }
          sc.event(`mset: reads (${how})`);
          const texts = vals?.map(text);
          const first = texts?.[0];
          if (!texts || texts.length !== keys.length || typeof first !== 'string' || !texts.every((t) => t === first)) {
            sc.violation(`reader ${id} (${how}): mixed or missing values: ${shown}`);
            return;
          }
          const [w, s] = first.split(':');
          const n = Number(s);
          const prev = lastSeen.get(w!) ?? -1;
          if (n < prev) sc.violation(`reader ${id} (${how}): saw ${w}:${prev}, later ${first} (stale read)`);
          lastSeen.set(w!, n);
          if (n !== prev) sc.event('mset: reads that saw a new generation');
        },
      };
    };

    const workers = await Promise.all([
      writer('w1', 'MSET'),
      writer('w2', 'MSET'),
      writer('w3', 'MULTI SETs'),
      writer('w4', 'MULTI MSET'),
      reader('r1', 'MGET'),
      reader('r2', 'MGET'),
      reader('r3', 'MGET'),
      reader('r4', 'MGET'),
      reader('r5', 'MGET', true),
      reader('r6', 'MGET', true),
      reader('r7', 'MULTI MGET'),
      reader('r8', 'MULTI MGET'),
      reader('r9', 'MULTI MGET', true),
      reader('r10', 'MULTI GETs'),
      reader('r11', 'MULTI GETs'),
      reader('r12', 'MULTI GETs', true),
    ]);
    await runWorkers(sc, workers);
    const final = items(await admin.call('MGET', ...keys))?.map(text);
    if (!final || !final.every((v) => v === final[0])) sc.violation(`final values differ: ${JSON.stringify(final)}`);
    finish(sc);
  }, SCENARIO_TIMEOUT_MS);

  it('RENAME chains around a ring of keys on different shards: exactly one key exists at any time', async () => {
    const sc = new Scenario('ring', BUDGET);
    // P[i] (plain) and T[i] (hash-tagged) live on shard i; consecutive ring keys are on different shards.
    const P = keysOnEveryShard('ring:', SHARDS, SHARDS);
    const T = taggedKeysOnEveryShard('tok', ':ring', SHARDS, SHARDS);
    const ring = [P[0]!, T[1]!, P[2]!, T[3]!, P[1]!, T[0]!, P[3]!, T[2]!];
    for (let i = 0; i < ring.length; i++) expect(shardOf(ring[i]!)).not.toBe(shardOf(ring[(i + 1) % ring.length]!));
    expect(shardsTouched(ring)).toBe(SHARDS);
    const N = ring.length;
    const TOKEN = 'the-token';
    const admin = await conn(sc);
    expect(show(await admin.call('FLUSHALL'))).toBe('"+OK\\r\\n"');
    expect(show(await admin.call('SET', ring[0]!, TOKEN, 'EX', '3600'))).toBe('"+OK\\r\\n"');

    let seed = SEED + 1000;
    type MoveKind = 'RENAME' | 'RENAMENX' | 'MULTI COPY DEL' | 'MULTI RENAME' | 'WATCH RENAME';
    const mover = async (name: string, kind: MoveKind, resp3 = false): Promise<Worker> => {
      const c = await conn(sc, resp3);
      const rng = new Rng(seed++);
      let pos = rng.int(N);
      const moved = () => {
        sc.event(`ring: moves (${kind})`);
        pos = (pos + 1) % N;
      };
      const missed = () => {
        sc.event(`ring: misses, token elsewhere (${kind})`);
        pos = rng.int(N);
      };
      return {
        name,
        step: async () => {
          const from = ring[pos]!;
          const to = ring[(pos + 1) % N]!;
          switch (kind) {
            case 'RENAME': {
              const r = await c.call('RENAME', from, to);
              if (isSimple(r, 'OK')) moved();
              else if (isError(r, 'ERR no such key')) missed();
              else sc.violation(`${name}: RENAME ${from} ${to} → ${show(r)}`);
              break;
            }
            case 'RENAMENX': {
              const r = await c.call('RENAMENX', from, to);
              if (int(r) === 1) moved();
              else if (isError(r, 'ERR no such key')) missed();
              else sc.violation(`${name}: RENAMENX ${from} ${to} → ${show(r)} (destination exists: two tokens?)`);
              break;
            }
            case 'MULTI COPY DEL': {
              const tx: Arg[][] = [['MULTI'], ['COPY', from, to], ['DEL', from], ['EXEC']];
              const exec = execReply(sc, name, tx, await c.pipe(tx));
              const r = items(exec);
              if (r && int(r[0]) === 1 && int(r[1]) === 1) moved();
              else if (r && int(r[0]) === 0 && int(r[1]) === 0) missed();
              else sc.violation(`${name}: MULTI COPY ${from} ${to} / DEL ${from} → ${show(exec)}`);
              break;
            }
            case 'MULTI RENAME': {
              const tx: Arg[][] = [['MULTI'], ['RENAME', from, to], ['EXEC']];
              const exec = execReply(sc, name, tx, await c.oneByOne(tx));
              const r = items(exec);
              if (r && r.length === 1 && isSimple(r[0]!, 'OK')) moved();
              else if (r && r.length === 1 && isError(r[0]!, 'ERR no such key')) missed();
              else sc.violation(`${name}: MULTI RENAME ${from} ${to} → ${show(exec)}`);
              break;
            }
            case 'WATCH RENAME': {
              // WATCH the whole ring and read it in one write, then move the token from
              // where it was seen: any move in between must abort the EXEC.
              const [w, m] = await c.pipe([['WATCH', ...ring], ['MGET', ...ring]]);
              if (!isSimple(w!, 'OK')) sc.violation(`${name}: WATCH → ${show(w)}`);
              const at = items(m)?.findIndex((v) => !isNull(v)) ?? -1;
              if (at < 0) {
                sc.violation(`${name}: MGET of the ring found no token: ${show(m)}`);
                await c.call('UNWATCH');
                break;
              }
              const tx: Arg[][] = [['MULTI'], ['RENAME', ring[at]!, ring[(at + 1) % N]!], ['EXEC']];
              const exec = execReply(sc, name, tx, await c.pipe(tx));
              const r = items(exec);
              if (isNull(exec)) sc.event('ring: WATCH retries (EXEC nil)');
              else if (r && r.length === 1 && isSimple(r[0]!, 'OK')) sc.event(`ring: moves (${kind})`);
              else sc.violation(`${name}: WATCH ring, MGET saw ${ring[at]}, MULTI RENAME ${ring[at]} ${ring[(at + 1) % N]} → ${show(exec)} (WATCH missed a change?)`);
              break;
            }
          }
        },
      };
    };

    const observer = async (name: string, how: 'EXISTS' | 'MGET' | 'MULTI EXISTS DBSIZE', resp3 = false): Promise<Worker> => {
      const c = await conn(sc, resp3);
      return {
        name,
        step: async () => {
          sc.event(`ring: observations (${how})`);
          if (how === 'EXISTS') {
            const r = await c.call('EXISTS', ...ring);
            if (int(r) !== 1) sc.violation(`${name}: EXISTS of the ring → ${show(r)}`);
          } else if (how === 'MGET') {
            const r = await c.call('MGET', ...ring);
            const vals = items(r)?.map(text);
            const present = vals?.filter((v) => v !== null) ?? [];
            if (!vals || vals.length !== N || present.length !== 1 || present[0] !== TOKEN) sc.violation(`${name}: MGET of the ring → ${show(r)}`);
          } else {
            const tx: Arg[][] = [['MULTI'], ...ring.map((k) => ['EXISTS', k]), ['DBSIZE'], ['EXEC']];
            const exec = execReply(sc, name, tx, await c.pipe(tx));
            const r = items(exec);
            const sum = r ? r.slice(0, N).reduce((s, x) => s + int(x), 0) : NaN;
            if (sum !== 1 || int(r?.[N]) !== 1) sc.violation(`${name}: MULTI EXISTS×${N} DBSIZE EXEC → ${show(exec)}`);
          }
        },
      };
    };

    const workers = await Promise.all([
      mover('move-1', 'RENAME'),
      mover('move-2', 'RENAME'),
      mover('move-3', 'RENAME', true),
      mover('move-4', 'RENAMENX'),
      mover('move-5', 'RENAMENX', true),
      mover('move-6', 'MULTI COPY DEL'),
      mover('move-7', 'MULTI RENAME'),
      mover('move-8', 'WATCH RENAME'),
      observer('look-1', 'EXISTS'),
      observer('look-2', 'EXISTS'),
      observer('look-3', 'EXISTS', true),
      observer('look-4', 'MGET'),
      observer('look-5', 'MGET', true),
      observer('look-6', 'MULTI EXISTS DBSIZE'),
      observer('look-7', 'MULTI EXISTS DBSIZE'),
      observer('look-8', 'MULTI EXISTS DBSIZE', true),
    ]);
    await runWorkers(sc, workers);
    // The token survived, once, with its value and its TTL (RENAME and COPY keep TTLs).
    const vals = items(await admin.call('MGET', ...ring))?.map(text) ?? [];
    const where = vals.flatMap((v, i) => (v === null ? [] : [i]));
    if (where.length !== 1 || vals[where[0]!] !== TOKEN) sc.violation(`final ring: ${JSON.stringify(vals)}`);
    else {
      const ttl = int(await admin.call('TTL', ring[where[0]!]!));
      if (!(ttl > 0 && ttl <= 3600)) sc.violation(`final token ${ring[where[0]!]} has TTL ${ttl}, expected (0, 3600]`);
    }
    finish(sc);
  }, SCENARIO_TIMEOUT_MS);

  it('did at least 200,000 operations in all', () => {
    const total = scenarios.reduce((s, sc) => s + sc.commands, 0);
    console.log(`[concurrency] total: ${total} commands over ${scenarios.length} scenarios, ${scenarios.reduce((s, sc) => s + sc.violationCount, 0)} violations`);
    expect(scenarios.length).toBe(3);
    expect(total).toBeGreaterThanOrEqual(200_000);
  });
});
