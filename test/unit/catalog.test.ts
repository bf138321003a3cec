/**
 * The command catalog against the real thing: every entry (and subcommand) is
 * compared with what a redis-server 7.0 started here reports through COMMAND
 * INFO / COMMAND DOCS / COMMAND LIST / COMMAND GETKEYS.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { Redis } from 'ioredis';
import { CATALOG, NOT_IN_REDIS_70, findCommand, findSubcommand } from '../../src/commands/catalog.js';
import {
  commandCount,
  commandDocsEntry,
  commandDocsReply,
  commandInfoEntry,
  commandInfoReply,
  commandListNames,
  getKeysFromCommand,
  lookupCommandByFullName,
  type CommandListFilter,
} from '../../src/commands/introspection.js';
import type { CommandMeta } from '../../src/commands/catalog/meta.js';
import {
  NullArray,
  RespDouble,
  RespError,
  RespMap,
  RespSet,
  Simple,
  type RespValue,
} from '../../src/protocol/resp-value.js';

/** A RespValue as a RESP2 client (ioredis) sees it: sets and maps become arrays. */
function toResp2(v: RespValue): unknown {
  if (v === null || v instanceof NullArray) return null;
  if (typeof v === 'number' || typeof v === 'string') return v;
  if (typeof v === 'bigint') return Number(v);
  if (v instanceof Uint8Array) return Buffer.from(v).toString('utf8');
  if (Array.isArray(v)) return v.map(toResp2);
  if (v instanceof Simple) return v.text;
  if (v instanceof RespSet) return v.items.map(toResp2);
  if (v instanceof RespMap) return v.entries.flatMap(([k, x]) => [toResp2(k), toResp2(x)]);
  if (v instanceof RespDouble) return String(v.value);
  if (v instanceof RespError) return new Error(v.text);
  throw new Error('unexpected value');
}

function flatToObject(flat: unknown[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (let i = 0; i < flat.length; i += 2) out[String(flat[i])] = flat[i + 1];
  return out;
}

/** Every catalog entry with its full name ("get", "client|getname"). */
const ENTRIES: Array<[string, CommandMeta]> = CATALOG.flatMap((meta): Array<[string, CommandMeta]> => [
  [meta.name, meta],
  ...(meta.subcommands ?? []).map((sub): [string, CommandMeta] => [`${meta.name}|${sub.name}`, sub]),
]);

/** Entries newer than Redis 7.0 (NOT_IN_REDIS_70): the 7.0 oracle does not describe them. */
const CHECKED = ENTRIES.filter(([fullName]) => !NOT_IN_REDIS_70.has(fullName));

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('catalog (no server)', () => {
  it('has unique, lower-case names', () => {
    const top = CATALOG.map((m) => m.name);
    expect(new Set(top).size).toBe(top.length);
    for (const meta of CATALOG) {
      expect(meta.name).toBe(meta.name.toLowerCase());
      const subs = (meta.subcommands ?? []).map((s) => s.name);
      expect(new Set(subs).size).toBe(subs.length);
      for (const s of subs) {
        expect(s).toBe(s.toLowerCase());
        expect(s).not.toContain('|');
      }
    }
  });

  it('finds commands and subcommands in any case', () => {
    expect(findCommand('GET')?.name).toBe('get');
    expect(findCommand('gEtEx')?.name).toBe('getex');
    expect(findCommand('nosuch')).toBeUndefined();
    const client = findCommand('Client')!;
    expect(findSubcommand(client, 'GETNAME')?.name).toBe('getname');
    expect(findSubcommand(client, 'no-such')).toBeUndefined();
    expect(findSubcommand(findCommand('get')!, 'x')).toBeUndefined();
    expect(lookupCommandByFullName('CLIENT|GetName')?.fullName).toBe('client|getname');
    expect(lookupCommandByFullName('get|x')).toBeUndefined();
    expect(lookupCommandByFullName('client|getname|x')).toBeUndefined();
    expect(commandCount()).toBe(CATALOG.length);
  });

  it('routes commands by their keys', () => {
    /**
     * Commands with keys that run on the connection's thread (WATCH registers them on their shards itself;
     * SSUBSCRIBE's "keys" are shard channels, flagged not_key).
     */
    const CONNECTION_WITH_KEYS = new Set(['watch', 'ssubscribe', 'sunsubscribe']);
    /** Keyless commands that run on the shard of the client's thread, so that MULTI/EXEC and scripts run them too. */
    const KEYLESS_ON_SHARD = new Set(['publish']);
    for (const [fullName, meta] of ENTRIES) {
      if (KEYLESS_ON_SHARD.has(fullName)) {
        expect(meta.keySpecs, fullName).toEqual([]);
        expect(meta.route, fullName).toBe('keys');
      } else if (CONNECTION_WITH_KEYS.has(fullName)) {
        expect(meta.keySpecs.length, fullName).toBeGreaterThan(0);
        expect(meta.route, fullName).toBe('connection');
      } else if (meta.keySpecs.length > 0) {
        expect(meta.route, fullName).toBe('keys');
      } else {
        expect(['connection', 'keyspace'], fullName).toContain(meta.route);
      }
    }
    for (const name of CONNECTION_WITH_KEYS) expect(findCommand(name), name).toBeDefined();
    for (const name of ['msetnx', 'mset', 'lcs', 'move', 'rename', 'copy']) expect(findCommand(name)!.route, name).toBe('keys');
    for (const name of ['dbsize', 'keys', 'flushall', 'swapdb', 'randomkey', 'scan']) expect(findCommand(name)!.route, name).toBe('keyspace');
    for (const name of ['info', 'multi', 'exec', 'discard', 'unwatch', 'ping']) expect(findCommand(name)!.route, name).toBe('connection');
  });

  it('uses RESP3 types for the COMMAND INFO fields', () => {
    const entry = commandInfoEntry(findCommand('set')!) as RespValue[];
    expect(entry[0]).toBe('set');
    expect(entry[2]).toBeInstanceOf(RespSet);
    expect((entry[2] as RespSet).items[0]).toEqual(new Simple('write'));
    expect((entry[6] as RespSet).items[0]).toEqual(new Simple('@write'));
    expect(entry[7]).toBeInstanceOf(RespSet);
    const specs = entry[8] as RespSet;
    expect(specs.items[0]).toBeInstanceOf(RespMap);
    expect(entry[9]).toEqual(new RespSet([]));
    const client = commandInfoEntry(findCommand('client')!) as RespValue[];
    expect(Array.isArray(client[9])).toBe(true);
    expect(((client[9] as RespValue[])[0] as RespValue[])[0]).toBe('client|id');
    expect(commandInfoReply(['get', 'nosuch'])).toEqual([commandInfoEntry(findCommand('get')!), null]);
    const docs = commandDocsReply(['get', 'nosuch', 'CLIENT|LIST']) as RespMap;
    expect(docs.entries.map(([k]) => k)).toEqual(['get', 'client|list']);
  });

  it('reports the GETKEYS errors', () => {
    const k = (...a: string[]) => getKeysFromCommand(a.map(enc));
    expect(k('nosuch', 'a')).toEqual(new RespError('ERR Invalid command specified'));
    expect(k('object', 'nosuch')).toEqual(new RespError('ERR Invalid command specified'));
    expect(k('ping', 'a')).toEqual(new RespError('ERR The command has no key arguments'));
    expect(k('get', 'a', 'b')).toEqual(new RespError('ERR Invalid number of arguments specified for command'));
    expect(k('mset', 'a', '1', 'b', '2')).toEqual([1, 3]);
    expect(k('object', 'freq', 'k')).toEqual([2]);
  });
});


/** Encodes a RespValue as RESP3 bytes, following the mapping in resp-value.ts. */
function encodeResp3(v: RespValue): string {
  if (v === null || v instanceof NullArray) return '_\r\n';
  if (typeof v === 'number' || typeof v === 'bigint') return `:${v}\r\n`;
  if (typeof v === 'string') return `$${Buffer.byteLength(v)}\r\n${v}\r\n`;
  if (v instanceof Uint8Array) return `$${v.length}\r\n${Buffer.from(v).toString('latin1')}\r\n`;
  if (Array.isArray(v)) return `*${v.length}\r\n${v.map(encodeResp3).join('')}`;
  if (v instanceof Simple) return `+${v.text}\r\n`;
  if (v instanceof RespError) return `-${v.text}\r\n`;
  if (v instanceof RespSet) return `~${v.items.length}\r\n${v.items.map(encodeResp3).join('')}`;
  if (v instanceof RespMap) {
    return `%${v.entries.length}\r\n${v.entries.map(([k, x]) => encodeResp3(k) + encodeResp3(x)).join('')}`;
  }
  if (v instanceof RespDouble) return `,${v.value}\r\n`;
  throw new Error('unexpected value');
}

/** End offset of the complete RESP3 value starting at `pos`, or -1 if incomplete. */
function resp3End(buf: Buffer, pos: number): number {
  const eol = buf.indexOf('\r\n', pos);
  if (eol < 0) return -1;
  const type = String.fromCharCode(buf[pos]!);
  const n = Number(buf.toString('latin1', pos + 1, eol));
  let p = eol + 2;
  if (type === '$' || type === '=' || type === '!') return n < 0 ? p : buf.length >= p + n + 2 ? p + n + 2 : -1;
  if ('*~>%|'.includes(type)) {
    const count = type === '%' || type === '|' ? n * 2 : n;
    for (let i = 0; i < count && p >= 0; i++) p = p < buf.length ? resp3End(buf, p) : -1;
    return p;
  }
  return p;
}

/** Sends HELLO 3 and then each command on a fresh connection; returns the raw replies after HELLO. */
async function rawResp3(port: number, commands: string[][]): Promise<string[]> {
  const sock = net.connect(port, '127.0.0.1');
  const all = [['HELLO', '3'], ...commands];
  const wire = all.map((a) => `*${a.length}\r\n${a.map((x) => `$${Buffer.byteLength(x)}\r\n${x}\r\n`).join('')}`);
  let buf = Buffer.alloc(0);
  const replies: string[] = [];
  await new Promise<void>((resolve, reject) => {
    sock.on('error', reject);
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      for (;;) {
        if (buf.length === 0) break;
        const end = resp3End(buf, 0);
        if (end < 0) break;
        replies.push(buf.toString('latin1', 0, end));
        buf = buf.subarray(end);
      }
      if (replies.length === all.length) resolve();
    });
    sock.write(wire.join(''));
  });
  sock.destroy();
  return replies.slice(1);
}

/** A RESP3 reply as a tree that keeps the wire types (for shape comparisons). */
type Typed = { t: string; v: string | number | Typed[] };

function parseResp3(buf: Buffer, pos = 0): [Typed, number] {
  const eol = buf.indexOf('\r\n', pos);
  const t = String.fromCharCode(buf[pos]!);
  const line = buf.toString('latin1', pos + 1, eol);
  let p = eol + 2;
  if (t === '$') return [{ t, v: buf.toString('latin1', p, p + Number(line)) }, p + Number(line) + 2];
  if (t === ':') return [{ t, v: Number(line) }, p];
  if (t === '*' || t === '~' || t === '%') {
    const items: Typed[] = [];
    const count = t === '%' ? Number(line) * 2 : Number(line);
    for (let i = 0; i < count; i++) {
      const [item, next] = parseResp3(buf, p);
      items.push(item);
      p = next;
    }
    return [{ t, v: items }, p];
  }
  return [{ t, v: line }, p];
}

/**
 * A COMMAND DOCS map with the prose (Shoal's own words) blanked and the
 * "arguments" entry dropped; subcommands limited to `keep`.
 */
function docsSkeleton(docs: Typed, keep: Set<string>): Typed {
  const items = docs.v as Typed[];
  const out: Typed[] = [];
  for (let i = 0; i < items.length; i += 2) {
    const key = items[i]!.v as string;
    let value = items[i + 1]!;
    if (key === 'arguments') continue;
    if (key === 'summary' || key === 'complexity' || key === 'replaced_by') value = { t: '$', v: '<text>' };
    if (key === 'history') {
      value = { t: value.t, v: (value.v as Typed[]).map((e) => ({ t: e.t, v: [(e.v as Typed[])[0]!, { t: '$', v: '<text>' }] })) };
    }
    if (key === 'subcommands') {
      const subs = value.v as Typed[];
      const kept: Typed[] = [];
      for (let j = 0; j < subs.length; j += 2) {
        if (keep.has(subs[j]!.v as string)) kept.push(subs[j]!, docsSkeleton(subs[j + 1]!, keep));
      }
      const pairs: Array<[Typed, Typed]> = [];
      for (let j = 0; j < kept.length; j += 2) pairs.push([kept[j]!, kept[j + 1]!]);
      pairs.sort((a, b) => String(a[0].v).localeCompare(String(b[0].v)));
      value = { t: value.t, v: pairs.flat() };
    }
    out.push(items[i]!, value);
  }
  return { t: docs.t, v: out };
}

const HAVE_REDIS = spawnSync('redis-server', ['--version']).status === 0;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

describe.skipIf(!HAVE_REDIS)('catalog against redis-server 7.0', () => {
  let server: ChildProcess | undefined;
  let client: Redis;
  let port = 0;

  beforeAll(async () => {
    port = await freePort();
    server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: 'ignore',
    });
    client = new Redis({ port, host: '127.0.0.1', lazyConnect: true, retryStrategy: () => 50 });
    client.on('error', () => {}); // connection refused until the server listens
    const deadline = Date.now() + 20_000;
    for (;;) {
      try {
        if (client.status === 'wait') await client.connect();
        if ((await client.ping()) === 'PONG') break;
      } catch {
        // not up yet
      }
      if (Date.now() > deadline) throw new Error('redis-server did not start');
      await new Promise((r) => setTimeout(r, 50));
    }
    const info = String(await client.call('INFO', 'server'));
    expect(info).toMatch(/redis_version:7\.0\./);
  });

  afterAll(async () => {
    client?.disconnect();
    if (server && server.exitCode === null) {
      const exited = new Promise((r) => server!.once('exit', r));
      server.kill('SIGTERM');
      await exited;
    }
  });

  it('COMMAND INFO has the same RESP3 bytes as Redis for every plain command', async () => {
    // Containers are left out: Redis lists subcommands Shoal does not have.
    const leaves = CHECKED.filter(([, meta]) => !meta.subcommands);
    const replies = await rawResp3(port, leaves.map(([fullName]) => ['COMMAND', 'INFO', fullName]));
    leaves.forEach(([fullName, meta], i) => {
      expect(encodeResp3([commandInfoEntry(meta, fullName)]), fullName).toBe(replies[i]);
    });
    const [unknown] = await rawResp3(port, [['COMMAND', 'INFO', 'get', 'nosuch']]);
    expect(encodeResp3(commandInfoReply(['get', 'nosuch']))).toBe(unknown);
  });

  it('COMMAND DOCS has the same RESP3 shape as Redis', async () => {
    const keep = new Set(CHECKED.map(([n]) => n));
    const replies = await rawResp3(port, CHECKED.map(([fullName]) => ['COMMAND', 'DOCS', fullName]));
    CHECKED.forEach(([fullName, meta], i) => {
      const [theirs] = parseResp3(Buffer.from(replies[i]!, 'latin1'));
      const [ours] = parseResp3(Buffer.from(encodeResp3(new RespMap([[fullName, commandDocsEntry(meta, fullName)]])), 'latin1'));
      const skeleton = (m: Typed): Typed => {
        const [name, docs] = m.v as Typed[];
        return { t: m.t, v: [name!, docsSkeleton(docs!, keep)] };
      };
      expect(skeleton(ours), fullName).toEqual(skeleton(theirs));
    });
  });

  it.each(CHECKED)('COMMAND INFO %s', async (fullName, meta) => {
    const reply = (await client.call('COMMAND', 'INFO', fullName)) as unknown[][];
    const theirs = reply[0]!;
    expect(theirs, `redis does not know ${fullName}`).not.toBeNull();
    const ours = toResp2(commandInfoEntry(meta, fullName)) as unknown[];
    // name, arity, flags, first key, last key, step, ACL categories, tips, key specs
    expect(ours.slice(0, 9)).toEqual(theirs.slice(0, 9));
    // subcommands: ours are a subset of Redis's (Shoal implements only some).
    const theirSubs = (theirs[9] as unknown[][]).map((e) => e[0]);
    const ourSubs = (ours[9] as unknown[][]).map((e) => e[0]).filter((n) => !NOT_IN_REDIS_70.has(String(n)));
    if (meta.subcommands) {
      for (const n of ourSubs) expect(theirSubs).toContain(n);
    } else {
      expect(theirSubs).toEqual([]);
      expect(ourSubs).toEqual([]);
    }
  });

  it.each(CHECKED)('COMMAND DOCS %s', async (fullName, meta) => {
    const reply = (await client.call('COMMAND', 'DOCS', fullName)) as unknown[];
    expect(reply[0]).toBe(fullName);
    const theirs = flatToObject(reply[1] as unknown[]);
    const ours = flatToObject(toResp2(commandDocsEntry(meta, fullName)) as unknown[]);
    // Facts must match; summary / complexity / history text are Shoal's own words.
    expect(ours.since).toBe(theirs.since);
    expect(ours.group).toBe(theirs.group);
    expect(ours.doc_flags).toEqual(theirs.doc_flags);
    expect(ours.deprecated_since).toEqual(theirs.deprecated_since);
    expect('replaced_by' in ours).toBe('replaced_by' in theirs);
    const versions = (h: unknown) => ((h as unknown[][] | undefined) ?? []).map((e) => e[0]);
    expect(versions(ours.history)).toEqual(versions(theirs.history));
    expect('subcommands' in ours).toBe('subcommands' in theirs);
    expect(typeof ours.summary).toBe('string');
    expect(typeof ours.complexity).toBe(typeof theirs.complexity);
    // Same field order as Redis, "arguments" apart (Shoal leaves it out).
    const order = (o: Record<string, unknown>) => Object.keys(o).filter((k) => k in ours && k in theirs);
    expect(order(ours)).toEqual(order(theirs));
  });

  it('COMMAND LIST filters like Redis', async () => {
    const known = new Set(CHECKED.map(([n]) => n));
    const filters: Array<[string[], CommandListFilter]> = [
      [[], {}],
      [['FILTERBY', 'ACLCAT', 'string'], { aclcat: 'string' }],
      [['FILTERBY', 'ACLCAT', 'KEYSPACE'], { aclcat: 'KEYSPACE' }],
      [['FILTERBY', 'ACLCAT', 'connection'], { aclcat: 'connection' }],
      [['FILTERBY', 'ACLCAT', 'dangerous'], { aclcat: 'dangerous' }],
      [['FILTERBY', 'ACLCAT', 'transaction'], { aclcat: 'transaction' }],
      [['FILTERBY', 'ACLCAT', 'nosuch'], { aclcat: 'nosuch' }],
      [['FILTERBY', 'PATTERN', 'client|*'], { pattern: 'client|*' }],
      [['FILTERBY', 'PATTERN', '*EX*'], { pattern: '*EX*' }],
      [['FILTERBY', 'PATTERN', 'g?t*'], { pattern: 'g?t*' }],
      [['FILTERBY', 'PATTERN', '[a-f]*'], { pattern: '[a-f]*' }],
      [['FILTERBY', 'PATTERN', 'config|[^g]*'], { pattern: 'config|[^g]*' }],
      [['FILTERBY', 'PATTERN', 'object\\|*'], { pattern: 'object\\|*' }],
      [['FILTERBY', 'MODULE', 'x'], { module: 'x' }],
    ];
    for (const [args, filter] of filters) {
      const theirs = ((await client.call('COMMAND', 'LIST', ...args)) as string[]).filter((n) => known.has(n));
      const ours = commandListNames(filter).filter((n) => known.has(n));
      expect(ours.sort(), args.join(' ')).toEqual(theirs.sort());
    }
  });

  it('COMMAND GETKEYS agrees with Redis', async () => {
    const lines: string[][] = [
      ['GET', 'k'],
      ['get', 'k', 'extra'],
      ['SET', 'k', 'v', 'GET'],
      ['SET', 'k', 'v', 'EX', '10'],
      ['MSET', 'a', '1', 'b', '2'],
      ['MSET', 'a', 'b', 'c'],
      ['MSETNX', 'a', '1', 'b', '2'],
      ['MGET', 'a', 'b', 'c'],
      ['DEL', 'a', 'b'],
      ['EXISTS', 'a'],
      ['TOUCH', 'a', 'b', 'c'],
      ['UNLINK', 'x'],
      ['LCS', 'a', 'b', 'IDX', 'LEN'],
      ['LCS', 'a'],
      ['BITOP', 'AND', 'd', 'a', 'b'],
      ['BITOP', 'NOT', 'd'],
      ['BITFIELD', 'k', 'GET', 'u8', '0'],
      ['BITFIELD_RO', 'k'],
      ['SETBIT', 'k', '7', '1'],
      ['LMPOP', '2', 'a', 'b', 'LEFT', 'COUNT', '3'],
      ['LMPOP', '2', 'a', 'LEFT'],
      ['LMPOP', '3', 'a', 'LEFT'],
      ['LMPOP', '0', 'a', 'LEFT'],
      ['LMPOP', '-1', 'a', 'LEFT'],
      ['LMPOP', 'x', 'a', 'LEFT'],
      ['LMPOP', '9223372036854775807', 'a', 'LEFT'],
      ['LMOVE', 'a', 'b', 'LEFT', 'RIGHT'],
      ['RPOPLPUSH', 'a', 'b'],
      ['LPUSH', 'a', 'x', 'y'],
      ['SORT', 'k'],
      ['SORT', 'k', 'LIMIT', '0', '1', 'STORE', 'd', 'GET', 'x'],
      ['SORT', 'k', 'STORE'],
      ['SORT', 'k', 'BY', 'store', 'STORE', 'd'],
      ['SORT_RO', 'k', 'GET', '#'],
      ['ZUNIONSTORE', 'd', '2', 'a', 'b', 'WEIGHTS', '1', '2'],
      ['ZINTERCARD', '2', 'a', 'b', 'LIMIT', '1'],
      ['SINTERCARD', '2', 'a', 'b'],
      ['BZMPOP', '1', '2', 'a', 'b', 'MIN'],
      ['SMOVE', 'a', 'b', 'm'],
      ['HSET', 'h', 'f', 'v'],
      ['GETEX', 'k', 'PERSIST'],
      ['EXPIRE', 'k', '10', 'NX'],
      ['RENAME', 'a', 'b'],
      ['RENAMENX', 'a', 'b'],
      ['COPY', 'a', 'b', 'DB', '1', 'REPLACE'],
      ['COPY', 'a'],
      ['MOVE', 'k', '1'],
      ['WATCH', 'a', 'b', 'c'],
      ['MULTI', 'x'],
      ['EXEC', 'x'],
      ['UNWATCH', 'x'],
      ['OBJECT', 'ENCODING', 'k'],
      ['object', 'freq'],
      ['OBJECT', 'HELP'],
      ['OBJECT', 'nosuch'],
      ['MEMORY', 'USAGE', 'k', 'SAMPLES', '5'],
      ['MEMORY', 'HELP'],
      ['CONFIG', 'GET', 'x'],
      ['CLIENT', 'LIST'],
      ['KEYS', '*'],
      ['PING', 'x'],
      ['nosuch', 'a'],
    ];
    for (const line of lines) {
      const ours = getKeysFromCommand(line.map(enc));
      let theirs: string[] | Error;
      try {
        theirs = (await client.call('COMMAND', 'GETKEYS', ...line)) as string[];
      } catch (e) {
        theirs = e as Error;
      }
      const what = line.join(' ');
      if (ours instanceof RespError) {
        expect(theirs, what).toBeInstanceOf(Error);
        expect((theirs as Error).message, what).toBe(ours.text);
      } else {
        expect(theirs, what).not.toBeInstanceOf(Error);
        expect(ours.map((i) => line[i]), what).toEqual(theirs);
      }
    }
  });
});
