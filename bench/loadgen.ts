/**
 * The Node load generator of the benchmarks (moved out of transactions.ts so
 * that threads.ts can drive the same mixes): pre-encoded operations sent
 * over raw sockets (no client library), P operations per write per
 * connection, every reply checked. The tests and the mixes (`cache`:
 * memtier_benchmark's SET:GET 1:10; `types`: an application mix over the
 * collection types) are described in transactions.ts's header.
 */
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import type { RawClient } from '../test/helpers/raw-client.js';
import { resp } from '../test/helpers/resp.js';
import { keysOnEveryShard } from '../test/helpers/shards.js';

export const TESTS = ['set', 'get', 'mset', 'mget', 'multi', 'cache', 'types'] as const;
export type TestName = (typeof TESTS)[number];

/** One pre-encoded op: its bytes, and the type byte expected for each of its replies. */
export interface Op {
  bytes: Buffer;
  expect: number[];
}

/** P ops glued into one write. */
export interface Batch {
  bytes: Buffer;
  expect: number[];
}

export interface RunResult {
  ops: number;
  elapsedMs: number;
  errors: number;
  firstError: string;
  latencies: number[];
}

// ---- workload ------------------------------------------------------------------

export interface Workload {
  singleKeys: string[];
  /** 10 keys each, every group touching every shard. */
  groups: string[][];
  /** 5 counter keys each, every group touching every shard (when shards ≥ 5, 5 different shards). */
  counterGroups: string[][];
  value: string;
}

export function makeWorkload(keyspace: number, groups: number, shards: number, dataSize: number): Workload {
  const singleKeys = Array.from({ length: keyspace }, (_, i) => `key:${i}`);
  const g: string[][] = [];
  const c: string[][] = [];
  for (let i = 0; i < groups; i++) {
    g.push(keysOnEveryShard(`grp:${i}:`, 10, shards));
    c.push(keysOnEveryShard(`ctr:${i}:`, 5, shards));
  }
  return { singleKeys, groups: g, counterGroups: c, value: 'x'.repeat(dataSize) };
}

const PLUS = 0x2b;
const DOLLAR = 0x24;
const STAR = 0x2a;
const COLON = 0x3a;

export function makeOps(test: TestName, w: Workload, count: number): Op[] {
  const ops: Op[] = [];
  // A fixed pseudo-random sequence, the same for both servers.
  let x = 0x9e3779b9;
  const rnd = (n: number) => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) % n;
  };
  for (let i = 0; i < count; i++) {
    switch (test) {
      case 'set':
        ops.push({ bytes: resp('SET', w.singleKeys[rnd(w.singleKeys.length)]!, w.value), expect: [PLUS] });
        break;
      case 'get':
        ops.push({ bytes: resp('GET', w.singleKeys[rnd(w.singleKeys.length)]!), expect: [DOLLAR] });
        break;
      case 'mset': {
        const keys = w.groups[rnd(w.groups.length)]!;
        ops.push({ bytes: resp('MSET', ...keys.flatMap((k) => [k, w.value])), expect: [PLUS] });
        break;
      }
      case 'mget':
        ops.push({ bytes: resp('MGET', ...w.groups[rnd(w.groups.length)]!), expect: [STAR] });
        break;
      case 'cache': {
        const k = w.singleKeys[rnd(w.singleKeys.length)]!;
        if (rnd(11) === 0) ops.push({ bytes: resp('SET', k, w.value), expect: [PLUS] });
        else ops.push({ bytes: resp('GET', k), expect: [DOLLAR] });
        break;
      }
      case 'types': {
        const obj = rnd(Math.max(1, Math.floor(w.singleKeys.length / 100)));
        const r = rnd(100);
        const field = `f${rnd(10)}`;
        const member = `m${rnd(1000)}`;
        if (r < 10) ops.push({ bytes: resp('HSET', `session:${obj}`, field, w.value.slice(0, 16)), expect: [COLON] });
        else if (r < 25) ops.push({ bytes: resp('HGET', `session:${obj}`, field), expect: [DOLLAR] });
        else if (r < 30) ops.push({ bytes: resp('HINCRBY', `session:${obj}`, 'hits', '1'), expect: [COLON] });
        else if (r < 45) ops.push({ bytes: resp('ZINCRBY', `board:${obj % 10}`, String(1 + rnd(5)), member), expect: [DOLLAR] });
        else if (r < 55) ops.push({ bytes: resp('ZREVRANGE', `board:${obj % 10}`, '0', '9', 'WITHSCORES'), expect: [STAR] });
        else if (r < 60) ops.push({ bytes: resp('ZSCORE', `board:${obj % 10}`, member), expect: [DOLLAR] });
        else if (r < 68) ops.push({ bytes: resp('SADD', `tags:${obj}`, `t${rnd(50)}`), expect: [COLON] });
        else if (r < 80) ops.push({ bytes: resp('SISMEMBER', `tags:${obj}`, `t${rnd(50)}`), expect: [COLON] });
        else if (r < 88) ops.push({ bytes: resp('LPUSH', `feed:${obj}`, w.value), expect: [COLON] });
        else if (r < 97) ops.push({ bytes: resp('LRANGE', `feed:${obj}`, '0', '9'), expect: [STAR] });
        else ops.push({ bytes: resp('LTRIM', `feed:${obj}`, '0', '99'), expect: [PLUS] });
        break;
      }
      case 'multi': {
        const keys = w.counterGroups[rnd(w.counterGroups.length)]!;
        ops.push({
          bytes: Buffer.concat([resp('MULTI'), ...keys.map((k) => resp('INCR', k)), resp('EXEC')]),
          expect: [PLUS, ...keys.map(() => PLUS), STAR],
        });
        break;
      }
    }
  }
  return ops;
}

export function makeBatches(ops: Op[], pipeline: number, count: number): Batch[] {
  const out: Batch[] = [];
  let k = 0;
  for (let i = 0; i < count; i++) {
    const parts: Buffer[] = [];
    const expect: number[] = [];
    for (let p = 0; p < pipeline; p++) {
      const op = ops[k++ % ops.length]!;
      parts.push(op.bytes);
      expect.push(...op.expect);
    }
    out.push({ bytes: Buffer.concat(parts), expect });
  }
  return out;
}

// ---- reply scanning ------------------------------------------------------------

let errorsInReply = 0;

function lineEnd(b: Buffer, from: number, end: number): number {
  for (let i = from; i + 1 < end; i++) if (b[i] === 13 && b[i + 1] === 10) return i;
  return -1;
}

function intAt(b: Buffer, from: number, to: number): number {
  let neg = false;
  let i = from;
  if (b[i] === 0x2d) {
    neg = true;
    i++;
  }
  let n = 0;
  for (; i < to; i++) n = n * 10 + (b[i]! - 48);
  return neg ? -n : n;
}

/** End offset of the complete reply at `pos`, or -1 if incomplete; counts errors inside it in errorsInReply. */
function scanReply(b: Buffer, pos: number, end: number): number {
  if (pos >= end) return -1;
  const t = b[pos]!;
  const le = lineEnd(b, pos + 1, end);
  if (le < 0) return -1;
  const next = le + 2;
  switch (t) {
    case 0x2d /* - */:
      errorsInReply++;
      return next;
    case 0x2b /* + */:
    case 0x3a /* : */:
    case 0x5f /* _ */:
    case 0x2c /* , */:
    case 0x23 /* # */:
    case 0x28 /* ( */:
      return next;
    case 0x24 /* $ */:
    case 0x3d /* = */:
    case 0x21 /* ! */: {
      if (t === 0x21) errorsInReply++;
      const n = intAt(b, pos + 1, le);
      if (n < 0) return next;
      return next + n + 2 <= end ? next + n + 2 : -1;
    }
    case 0x2a /* * */:
    case 0x7e /* ~ */:
    case 0x3e /* > */:
    case 0x25 /* % */: {
      let n = intAt(b, pos + 1, le);
      if (t === 0x25) n *= 2;
      let p = next;
      for (let i = 0; i < n; i++) {
        p = scanReply(b, p, end);
        if (p < 0) return -1;
      }
      return p;
    }
    default:
      throw new Error(`unexpected reply byte 0x${t.toString(16)}: ${b.subarray(pos, pos + 40).toString('latin1')}`);
  }
}

// ---- the load generator --------------------------------------------------------

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host: '127.0.0.1' });
    s.setNoDelay(true);
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
}

const STALL_MS = 15_000;

/** Drives `clients` connections for `durationMs`; each connection cycles through the batches from its own offset. */
export async function runLoad(port: number, clients: number, batches: Batch[], pipeline: number, durationMs: number): Promise<RunResult> {
  const sockets = await Promise.all(Array.from({ length: clients }, () => connect(port)));
  const result: RunResult = { ops: 0, elapsedMs: 0, errors: 0, firstError: '', latencies: [] };
  const t0 = performance.now();
  const stopAt = t0 + durationMs;
  let lastReply = t0;
  const error = (msg: string) => {
    result.errors++;
    if (!result.firstError) result.firstError = msg;
  };

  // A server that stops answering must not hang the benchmark.
  const watchdog = setTimeout(() => {
    error(`no reply for ${STALL_MS} ms after the end of the run`);
    for (const s of sockets) s.destroy();
  }, durationMs + STALL_MS);
  await Promise.all(
    sockets.map(
      (sock, ci) =>
        new Promise<void>((resolve) => {
          let next = Math.floor((ci * batches.length) / clients);
          let batch = batches[next]!;
          let replyIdx = 0;
          let sentAt = 0;
          let pending: Buffer | null = null;
          const send = () => {
            batch = batches[next++ % batches.length]!;
            replyIdx = 0;
            sentAt = performance.now();
            sock.write(batch.bytes);
          };
          const finish = () => {
            sock.removeAllListeners('data');
            sock.destroy();
            resolve();
          };
          sock.on('data', (chunk: Buffer) => {
            let b: Buffer = pending ? Buffer.concat([pending, chunk]) : chunk;
            pending = null;
            let pos = 0;
            for (;;) {
              errorsInReply = 0;
              let end: number;
              try {
                end = scanReply(b, pos, b.length);
              } catch (e) {
                error(String(e));
                finish();
                return;
              }
              if (end < 0) break;
              const expected = batch.expect[replyIdx];
              if (b[pos] !== expected) {
                error(`reply #${replyIdx} of a batch: expected '${String.fromCharCode(expected ?? 63)}', got ${b.subarray(pos, Math.min(end, pos + 80)).toString('latin1')}`);
              } else if (errorsInReply > 0) {
                error(`error inside reply: ${b.subarray(pos, Math.min(end, pos + 120)).toString('latin1')}`);
              }
              pos = end;
              if (++replyIdx === batch.expect.length) {
                const now = performance.now();
                result.ops += pipeline;
                result.latencies.push(now - sentAt);
                lastReply = now;
                if (now >= stopAt) {
                  finish();
                  return;
                }
                send();
              }
            }
            if (pos < b.length) pending = Buffer.from(b.subarray(pos));
          });
          sock.on('error', (e) => {
            error(`socket error: ${e.message}`);
            finish();
          });
          sock.on('close', () => resolve());
          send();
        }),
    ),
  );
  clearTimeout(watchdog);
  result.elapsedMs = lastReply - t0;
  return result;
}

// ---- setup ---------------------------------------------------------------------

/** SETs every key to `value`, by MSETs of 1000 keys; throws unless each replies +OK. */
export async function msetAll(client: RawClient, keys: Iterable<string>, value: string): Promise<void> {
  const pairs: string[] = [];
  const flush = async () => {
    if (pairs.length === 0) return;
    const r = await client.call('MSET', ...pairs);
    if (r.toString('latin1') !== '+OK\r\n') throw new Error(`prefill MSET failed: ${r.toString('latin1').slice(0, 200)}`);
    pairs.length = 0;
  };
  for (const k of keys) {
    pairs.push(k, value);
    if (pairs.length >= 2000) await flush();
  }
  await flush();
}

/** Sets every single key and group key of the workload, and deletes the MULTI counters. */
export async function prefill(client: RawClient, w: Workload): Promise<void> {
  await msetAll(client, [...w.singleKeys, ...w.groups.flat()], w.value);
  const del = w.counterGroups.flat();
  for (let i = 0; i < del.length; i += 1000) await client.call('DEL', ...del.slice(i, i + 1000));
}
