/**
 * Streams in RDB files and DUMP payloads (Redis's RDB_TYPE_STREAM_LISTPACKS,
 * _2 and _3): the node listpacks as they are, the stream's IDs and
 * counters, and each consumer group with its pending entries and
 * consumers. Shoal writes _2 (type 19), what Redis 7.0 writes, and reads
 * all three. Loading checks every node (a listpack whose entries are well
 * formed and in ID order), so a corrupt payload is refused, never stored.
 */
import { RdbCursor } from './rdb-cursor.js';
import { decodeListpack } from './listpack.js';
import { type GroupModel, RdbError, type StreamIdValue as StreamId, type StreamModel } from './rdb-value.js';
import { parseInt64 } from '../util/numbers.js';
import { copyBytes } from '../util/bytes.js';
import { estimateEntriesRead } from '../types/stream-lag.js';

const groupKey = (name: Uint8Array): string => Buffer.from(name.buffer, name.byteOffset, name.length).toString('latin1');
const fmt = (id: StreamId): string => `${id >> 64n}-${id & U64_MAX}`;

export const TYPE_STREAM_LISTPACKS = 15;
export const TYPE_STREAM_LISTPACKS_2 = 19;
export const TYPE_STREAM_LISTPACKS_3 = 21;

const U64_MAX = (1n << 64n) - 1n;
const FLAG_DELETED = 1;
const FLAG_SAMEFIELDS = 2;

class Out {
  buf = new Uint8Array(256);
  pos = 0;
  reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.pos + n));
    copyBytes(next, 0, this.buf, 0, this.pos);
    this.buf = next;
  }
  /** An RDB length (rdbSaveLen), up to 2^64 - 1. */
  len(n: number | bigint): void {
    this.reserve(9);
    const b = this.buf;
    const x = BigInt(n);
    if (x < 64n) b[this.pos++] = Number(x);
    else if (x < 16384n) {
      b[this.pos++] = 0x40 | Number(x >> 8n);
      b[this.pos++] = Number(x & 0xffn);
    } else if (x <= 0xffffffffn) {
      b[this.pos++] = 0x80;
      for (let i = 3; i >= 0; i--) b[this.pos++] = Number((x >> BigInt(8 * i)) & 0xffn);
    } else {
      b[this.pos++] = 0x81;
      for (let i = 7; i >= 0; i--) b[this.pos++] = Number((x >> BigInt(8 * i)) & 0xffn);
    }
  }
  str(u8: Uint8Array): void {
    this.len(u8.length);
    this.reserve(u8.length);
    copyBytes(this.buf, this.pos, u8, 0, u8.length);
    this.pos += u8.length;
  }
  /** A stream ID as 16 big-endian bytes (ms, seq). */
  rawId(id: StreamId): void {
    this.reserve(16);
    for (let i = 15; i >= 0; i--) this.buf[this.pos++] = Number((id >> BigInt(8 * i)) & 0xffn);
  }
  /** A millisecond time: int64 little endian (rdbSaveMillisecondTime). */
  ms(t: number): void {
    this.reserve(8);
    let x = BigInt.asUintN(64, BigInt(t));
    for (let i = 0; i < 8; i++) {
      this.buf[this.pos++] = Number(x & 0xffn);
      x >>= 8n;
    }
  }
}

const idBytes = (id: StreamId): Uint8Array => {
  const o = new Out();
  o.rawId(id);
  return o.buf.subarray(0, 16);
};

/** The body of an RDB_TYPE_STREAM_LISTPACKS_2 value (what follows the type byte). */
export function encodeStreamBody(m: StreamModel): Uint8Array {
  const o = new Out();
  o.len(m.nodes.length);
  for (const [master, lp] of m.nodes) {
    o.str(idBytes(master));
    o.str(lp);
  }
  o.len(m.length);
  o.len(m.lastId >> 64n);
  o.len(m.lastId & U64_MAX);
  o.len(m.firstId >> 64n);
  o.len(m.firstId & U64_MAX);
  o.len(m.maxDeletedId >> 64n);
  o.len(m.maxDeletedId & U64_MAX);
  o.len(m.entriesAdded);
  o.len(m.groups.length);
  for (const g of m.groups) {
    o.str(g.name);
    o.len(g.lastId >> 64n);
    o.len(g.lastId & U64_MAX);
    o.len(BigInt.asUintN(64, g.entriesRead));
    o.len(g.pel.length);
    for (const e of g.pel) {
      o.rawId(e.id);
      o.ms(e.deliveryTime);
      o.len(e.deliveryCount);
    }
    o.len(g.consumers.length);
    for (const c of g.consumers) {
      o.str(c.name);
      o.ms(c.seenTime);
      o.len(c.pel.length);
      for (const id of c.pel) o.rawId(id);
    }
  }
  return o.buf.subarray(0, o.pos);
}

/** An RDB length up to 2^64 - 1, exactly. */
function len64(c: RdbCursor, what: string): bigint {
  const b = c.buf[c.pos];
  if (b === 0x81) {
    c.u8(what);
    c.need(8, what);
    let x = 0n;
    for (let i = 0; i < 8; i++) x = (x << 8n) | BigInt(c.buf[c.pos++]);
    return x;
  }
  return BigInt(c.length(what));
}

function rawId(c: RdbCursor, what: string): StreamId {
  c.need(16, what);
  let x = 0n;
  for (let i = 0; i < 16; i++) x = (x << 8n) | BigInt(c.buf[c.pos++]);
  return x;
}

function msTime(c: RdbCursor, what: string): number {
  c.need(8, what);
  let x = 0n;
  for (let i = 7; i >= 0; i--) x = (x << 8n) | BigInt(c.buf[c.pos + i]);
  c.pos += 8;
  return Number(BigInt.asIntN(64, x));
}

const toId = (ms: bigint, seq: bigint): StreamId => (ms << 64n) | seq;

/** Reads a stream value body of RDB type t (15, 19 or 21), checking every node. */
export function readStreamBody(c: RdbCursor, t: number): StreamModel {
  const nodes: Array<[StreamId, Uint8Array]> = [];
  const nn = c.count('stream nodes', 2);
  let prevLast = -1n;
  let live = 0;
  for (let i = 0; i < nn; i++) {
    const key = c.string('a stream node key');
    if (key.length !== 16) throw c.error('Stream node key entry is not the size of a stream ID');
    let master = 0n;
    for (let k = 0; k < 16; k++) master = (master << 8n) | BigInt(key[k]);
    const lp = c.string('a stream listpack');
    const [count, last] = checkNode(c, lp, master, prevLast);
    live += count;
    prevLast = last;
    nodes.push([master, lp]);
  }
  const length = c.length('the stream length');
  const lastMs = len64(c, 'the last ID');
  const lastSeq = len64(c, 'the last ID');
  const last = toId(lastMs, lastSeq);
  let first = 0n;
  let maxDel = 0n;
  let added = BigInt(length);
  if (t >= TYPE_STREAM_LISTPACKS_2) {
    first = toId(len64(c, 'the first ID'), len64(c, 'the first ID'));
    maxDel = toId(len64(c, 'the max deleted ID'), len64(c, 'the max deleted ID'));
    added = len64(c, 'entries added');
  }
  if (length !== live) throw c.error(`Stream length ${length} does not match its ${live} entries`);
  if (nn > 0 && prevLast > last) throw c.error('Stream last ID is below its entries');
  const model: StreamModel = { nodes, length, lastId: last, firstId: first, maxDeletedId: maxDel, entriesAdded: added, groups: [] };
  if (t === TYPE_STREAM_LISTPACKS) model.firstId = firstLive(model);
  const ng = c.count('stream groups', 2);
  const names = new Set<string>();
  for (let i = 0; i < ng; i++) {
    const name = c.string('a group name');
    if (names.has(groupKey(name))) throw c.error('Duplicated consumer group name');
    names.add(groupKey(name));
    const gLast = toId(len64(c, 'a group ID'), len64(c, 'a group ID'));
    let entriesRead = -1n;
    if (t >= TYPE_STREAM_LISTPACKS_2) entriesRead = BigInt.asIntN(64, len64(c, 'entries read'));
    else entriesRead = estimateEntriesRead(model, gLast);
    const np = c.count('pending entries', 17);
    const pel: GroupModel['pel'] = [];
    const seen = new Set<StreamId>();
    for (let k = 0; k < np; k++) {
      const id = rawId(c, 'a pending ID');
      if (seen.has(id)) throw c.error('Duplicated global PEL entry');
      seen.add(id);
      const deliveryTime = msTime(c, 'a delivery time');
      const deliveryCount = c.length('a delivery count');
      pel.push({ id, deliveryTime, deliveryCount });
    }
    const nc = c.count('consumers', 9);
    const consumers: GroupModel['consumers'] = [];
    for (let k = 0; k < nc; k++) {
      const cname = c.string('a consumer name');
      const seenTime = msTime(c, 'a seen time');
      if (t >= TYPE_STREAM_LISTPACKS_3) msTime(c, 'an active time');
      const ncp = c.count('consumer pending entries', 16);
      const ids: StreamId[] = [];
      for (let j = 0; j < ncp; j++) ids.push(rawId(c, 'a consumer pending ID'));
      consumers.push({ name: cname, seenTime, pel: ids });
    }
    model.groups.push({ name, lastId: gLast, entriesRead, pel, consumers });
  }
  return model;
}

function firstLive(m: StreamModel): StreamId {
  let first: StreamId | null = null;
  for (const [master, lp] of m.nodes) {
    walkNode(master, lp, (id) => {
      first = id;
      return true;
    });
    if (first !== null) return first;
  }
  return 0n;
}

/**
 * Calls `visit` with each live entry of a node listpack (checked already),
 * in ID order, with its fields and values in turn, until it returns true.
 */
function walkNode(master: StreamId, lp: Uint8Array, visit: (id: StreamId, fields: Uint8Array[]) => boolean | void): void {
  const el = decodeListpack(lp);
  const nmf = Number(num(el[2]));
  let p = 3 + nmf + 1;
  while (p < el.length) {
    const flags = Number(num(el[p]));
    const id = (BigInt.asUintN(64, (master >> 64n) + num(el[p + 1])) << 64n) | BigInt.asUintN(64, (master & U64_MAX) + num(el[p + 2]));
    const same = (flags & FLAG_SAMEFIELDS) !== 0;
    const nf = same ? nmf : Number(num(el[p + 3]));
    const at = same ? p + 3 : p + 4;
    if ((flags & FLAG_DELETED) === 0) {
      const fields: Uint8Array[] = [];
      for (let k = 0; k < nf; k++) {
        if (same) fields.push(el[3 + k]!, el[at + k]!);
        else fields.push(el[at + 2 * k]!, el[at + 2 * k + 1]!);
      }
      if (visit(id, fields) === true) return;
    }
    p = at + (same ? nf : 2 * nf) + 1;
  }
}

function num(b: Uint8Array | undefined): bigint {
  if (b === undefined) throw new RdbError('Stream listpack ends inside an entry', 0);
  const v = parseInt64(b, 0, b.length);
  if (v === null) throw new RdbError('Stream listpack holds a string where an integer belongs', 0);
  return BigInt(v);
}

/** Checks a node listpack: its master entry, every entry, IDs rising above `prevLast`; returns its live count and last ID. */
function checkNode(c: RdbCursor, lp: Uint8Array, master: StreamId, prevLast: StreamId): [number, StreamId] {
  let el: Uint8Array[];
  try {
    el = decodeListpack(lp);
    if (el.length === 0) throw new RdbError('Empty listpack inside stream', 0);
    const count = Number(num(el[0]));
    const deleted = Number(num(el[1]));
    const nmf = Number(num(el[2]));
    if (nmf < 0 || 3 + nmf >= el.length) throw new RdbError('Stream master entry is malformed', 0);
    if (num(el[3 + nmf]) !== 0n) throw new RdbError('Stream master entry has no terminator', 0);
    let p = 3 + nmf + 1;
    let live = 0;
    let dead = 0;
    let last = prevLast;
    while (p < el.length) {
      const flags = Number(num(el[p]));
      if (flags < 0 || flags > 3) throw new RdbError('Stream entry has unknown flags', 0);
      const ms = BigInt.asUintN(64, (master >> 64n) + num(el[p + 1]));
      const seq = BigInt.asUintN(64, (master & U64_MAX) + num(el[p + 2]));
      const id = (ms << 64n) | seq;
      if (id <= last) throw new RdbError('Stream entry IDs are not in order', 0);
      last = id;
      let nf: number;
      let elems: number;
      if (flags & FLAG_SAMEFIELDS) {
        nf = nmf;
        elems = nf;
      } else {
        nf = Number(num(el[p + 3]));
        if (nf < 0) throw new RdbError('Stream entry has a negative field count', 0);
        elems = nf * 2 + 1;
      }
      const lpCount = p + 3 + elems;
      if (lpCount >= el.length) throw new RdbError('Stream entry runs past its listpack', 0);
      if (Number(num(el[lpCount])) !== (flags & FLAG_SAMEFIELDS ? nf + 3 : nf * 2 + 4)) throw new RdbError('Stream entry lp-count is wrong', 0);
      if (flags & FLAG_DELETED) dead++;
      else live++;
      p = lpCount + 1;
    }
    if (live !== count || dead !== deleted) throw new RdbError('Stream master entry counts do not match its entries', 0);
    if (live + dead === 0) throw new RdbError('Empty stream node', 0);
    return [live, last];
  } catch (e) {
    if (e instanceof RdbError) throw c.error(e.message);
    throw e;
  }
}


/** Calls `visit` with each live entry of the model's nodes, in ID order (for DEBUG DIGEST). */
export function forEachEntry(m: StreamModel, visit: (id: StreamId, fields: Uint8Array[]) => void): void {
  for (const [master, lp] of m.nodes) walkNode(master, lp, visit);
}

/**
 * The commands that make the stream again, as Redis's AOF rewrite writes
 * them (rewriteStreamObject): an XADD per entry (or XADD MAXLEN 0 for an
 * empty stream), XSETID with the counters, then each group with
 * XGROUP CREATE, its pending entries as XCLAIM … JUSTID FORCE, and its
 * consumers without pending entries as XGROUP CREATECONSUMER.
 */
export function streamAsCommands(key: Uint8Array, m: StreamModel): (Uint8Array | string)[][] {
  const out: (Uint8Array | string)[][] = [];
  if (m.length > 0) forEachEntry(m, (id, fields) => out.push(['XADD', key, fmt(id), ...fields]));
  else out.push(['XADD', key, 'MAXLEN', '0', '0-1', 'x', 'y']);
  out.push(['XSETID', key, fmt(m.lastId), 'ENTRIESADDED', String(m.entriesAdded), 'MAXDELETEDID', fmt(m.maxDeletedId)]);
  for (const g of m.groups) {
    out.push(['XGROUP', 'CREATE', key, g.name, fmt(g.lastId), 'ENTRIESREAD', String(g.entriesRead)]);
    const pel = new Map(g.pel.map((e) => [e.id, e]));
    for (const c of g.consumers) {
      if (c.pel.length === 0) {
        out.push(['XGROUP', 'CREATECONSUMER', key, g.name, c.name]);
        continue;
      }
      for (const id of c.pel) {
        const e = pel.get(id)!;
        out.push(['XCLAIM', key, g.name, c.name, '0', fmt(id), 'TIME', String(e.deliveryTime), 'RETRYCOUNT', String(e.deliveryCount), 'JUSTID', 'FORCE']);
      }
    }
  }
  return out;
}

/** Steps over a stream value body of type t without decoding its nodes. */
export function skipStreamBody(c: RdbCursor, t: number): void {
  const nn = c.count('stream nodes', 2);
  for (let i = 0; i < nn; i++) {
    c.skipString('a stream node key');
    c.skipString('a stream listpack');
  }
  const counters = t >= TYPE_STREAM_LISTPACKS_2 ? 8 : 3;
  for (let i = 0; i < counters; i++) len64(c, 'a stream counter');
  const ng = c.count('stream groups', 2);
  for (let i = 0; i < ng; i++) {
    c.skipString('a group name');
    len64(c, 'a group ID');
    len64(c, 'a group ID');
    if (t >= TYPE_STREAM_LISTPACKS_2) len64(c, 'entries read');
    const np = c.count('pending entries', 17);
    for (let k = 0; k < np; k++) {
      c.need(24, 'a pending entry');
      c.pos += 24;
      c.length('a delivery count');
    }
    const nc = c.count('consumers', 9);
    for (let k = 0; k < nc; k++) {
      c.skipString('a consumer name');
      const times = t >= TYPE_STREAM_LISTPACKS_3 ? 16 : 8;
      c.need(times, 'consumer times');
      c.pos += times;
      const ncp = c.count('consumer pending entries', 16);
      c.need(ncp * 16, 'consumer pending IDs');
      c.pos += ncp * 16;
    }
  }
}
