/**
 * MIGRATE host port key|"" destination-db timeout [COPY] [REPLACE]
 * [AUTH password | AUTH2 username password] [KEYS key ...]
 *
 * Under locks on its keys (wherever they live), each key is DUMPed with its
 * TTL, the payloads go to the target as one pipeline (AUTH, SELECT, then a
 * RESTORE per key, as Redis sends them), and the keys the target restored
 * are deleted here unless COPY. Redis holds the whole server while it
 * migrates; Shoal holds the keys. Each MIGRATE opens its own connection
 * (Redis caches them for 10 seconds).
 */
import net from 'node:net';
import type { Across } from './across.js';
import { bulkOrNull, bytes } from '../scheduler/transaction.js';

const OK = bytes('+OK\r\n');
const NOKEY = bytes('+NOKEY\r\n');
const err = (text: string): Uint8Array => bytes(`-${text}\r\n`);
const text = (a: Uint8Array): string => Buffer.from(a).toString('latin1');

interface MigrateArgs {
  host: string;
  port: number;
  db: number;
  timeoutMs: number;
  copy: boolean;
  replace: boolean;
  auth: Uint8Array[] | null;
  keys: Uint8Array[];
}

/** MIGRATE's arguments, checked in Redis's order; an error text when they are wrong. */
function parse(args: Uint8Array[]): MigrateArgs | string {
  let copy = false;
  let replace = false;
  let auth: Uint8Array[] | null = null;
  let first = 3;
  let count = 1;
  for (let j = 6; j < args.length; j++) {
    const opt = text(args[j]).toLowerCase();
    const more = args.length - j - 1;
    if (opt === 'copy') copy = true;
    else if (opt === 'replace') replace = true;
    else if (opt === 'auth') {
      if (more < 1) return 'ERR syntax error';
      auth = [bytes('AUTH'), args[++j]];
    } else if (opt === 'auth2') {
      if (more < 2) return 'ERR syntax error';
      auth = [bytes('AUTH'), args[j + 1], args[j + 2]];
      j += 2;
    } else if (opt === 'keys') {
      if (args[3].length !== 0) return 'ERR When using MIGRATE KEYS option, the key argument must be set to the empty string';
      first = j + 1;
      count = args.length - first;
      break;
    } else return 'ERR syntax error';
  }
  const db = Number(text(args[4]));
  let timeoutMs = Number(text(args[5]));
  if (!/^-?\d+$/.test(text(args[4])) || !/^-?\d+$/.test(text(args[5])) || !Number.isSafeInteger(db) || !Number.isSafeInteger(timeoutMs)) {
    return 'ERR value is not an integer or out of range';
  }
  if (timeoutMs <= 0) timeoutMs = 1000;
  return { host: text(args[1]), port: Number(text(args[2])), db, timeoutMs, copy, replace, auth, keys: args.slice(first, first + count) };
}

/** RESP for one command. */
function command(parts: Uint8Array[]): Uint8Array {
  const chunks: Uint8Array[] = [bytes(`*${parts.length}\r\n`)];
  for (const p of parts) chunks.push(bytes(`$${p.length}\r\n`), p, bytes('\r\n'));
  return Buffer.concat(chunks);
}

/**
 * Where the RESP reply at buf[off] ends, and its first line (what MIGRATE
 * reports of an error); null while it is incomplete.
 */
function nextReply(buf: Buffer, off: number): { text: string; end: number } | null {
  const eol = buf.indexOf('\r\n', off);
  if (eol < 0) return null;
  const line = buf.toString('latin1', off, eol);
  let end = eol + 2;
  if (line[0] === '$') {
    const n = Number(line.slice(1));
    if (n >= 0) end += n + 2;
  } else if (line[0] === '*') {
    const n = Number(line.slice(1));
    for (let i = 0; i < n; i++) {
      const r = nextReply(buf, end);
      if (r === null) return null;
      end = r.end;
    }
  }
  return end <= buf.length ? { text: line, end } : null;
}

/** Sends `request` to host:port and resolves with `count` replies (their first line for errors and statuses). */
function exchange(host: string, port: number, timeoutMs: number, request: Uint8Array, count: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    let stage = 'connecting to the client';
    const socket = net.connect({ host, port });
    let buf = Buffer.alloc(0);
    const fail = (): void => {
      socket.destroy();
      reject(new Error(stage === 'connecting to the client' ? 'IOERR error or timeout connecting to the client' : `IOERR error or timeout ${stage} to target instance`));
    };
    socket.setTimeout(timeoutMs, fail);
    socket.on('error', fail);
    socket.on('connect', () => {
      stage = 'writing';
      socket.write(request, () => (stage = 'reading'));
    });
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      const replies: string[] = [];
      let off = 0;
      while (replies.length < count) {
        const r = nextReply(buf, off);
        if (r === null) return;
        replies.push(r.text);
        off = r.end;
      }
      socket.destroy();
      resolve(replies);
    });
  });
}

export const migrateAcross: Across = async (job) => {
  const a = parse(job.args);
  if (typeof a === 'string') return err(a);
  const plan = job.plan();
  for (const k of a.keys) plan.add(job.db, k);
  return job.locked(plan, async (tx) => {
    const found: Array<{ key: Uint8Array; shard: number }> = [];
    const parts: Uint8Array[] = [];
    if (a.auth !== null) parts.push(command(a.auth));
    parts.push(command([bytes('SELECT'), bytes(String(a.db))]));
    for (const key of a.keys) {
      const shard = job.hops.shardOf(key);
      const payload = bulkOrNull(await tx.call(shard, 'dump', [key]));
      if (payload === null) continue;
      const pttl = Number(text(await tx.call(shard, 'pttl', [key])).slice(1).trim());
      const restore = [bytes('RESTORE'), key, bytes(String(pttl > 0 ? pttl : 0)), payload];
      if (a.replace) restore.push(bytes('REPLACE'));
      parts.push(command(restore));
      found.push({ key, shard });
    }
    if (found.length === 0) return NOKEY;
    let replies: string[];
    try {
      replies = await exchange(a.host, a.port, a.timeoutMs, Buffer.concat(parts), parts.length);
    } catch (e) {
      return err((e as Error).message);
    }
    const head = a.auth !== null ? 2 : 1;
    for (let i = 0; i < head; i++) if (replies[i].startsWith('-')) return err(`ERR Target instance replied with error: ${replies[i].slice(1)}`);
    let failure: string | null = null;
    for (let i = 0; i < found.length; i++) {
      const r = replies[head + i];
      if (r.startsWith('-')) failure ??= r.slice(1);
      else if (!a.copy) await tx.call(found[i].shard, 'del', [found[i].key]);
    }
    return failure === null ? OK : err(`ERR Target instance replied with error: ${failure}`);
  });
};
