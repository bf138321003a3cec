/**
 * Reads RDB files of versions 1 to 11 (Redis 1.x to 7.2) and DUMP payloads
 * into RdbValues, whatever encoding each value was saved in.
 *
 * Input is untrusted (a file from anywhere, a RESTORE argument): every read
 * is bounds-checked, every count is checked against the bytes left before
 * anything is allocated for it, and the compact encodings are validated as
 * they are decoded. Anything wrong throws RdbError with the byte offset;
 * no other exception escapes (except from the caller's own callbacks).
 *
 * Values Redis would refuse to load are refused too (duplicate members,
 * NaN scores). Empty collections, which Redis skips with a warning, are
 * skipped by readRdb and refused by parseDumpPayload, as RESTORE does.
 * Sorted sets come out in ascending (score, member) order whatever order
 * the file has them in (Redis saves skiplists from the top down).
 */
import { Crc64 } from './crc64.js';
import { decodeIntset } from './intset.js';
import { decodeListpack } from './listpack.js';
import {
  OP_AUX,
  OP_EOF,
  OP_EXPIRETIME,
  OP_EXPIRETIME_MS,
  OP_FREQ,
  OP_FUNCTION,
  OP_FUNCTION2,
  OP_IDLE,
  OP_MODULE_AUX,
  OP_RESIZEDB,
  OP_SELECTDB,
  QUICKLIST_NODE_PACKED,
  QUICKLIST_NODE_PLAIN,
  RDB_MAX_READ_VERSION,
  TYPE_HASH_LISTPACK_EX,
  TYPE_HASH_METADATA,
  TYPE_HASH,
  TYPE_HASH_LISTPACK,
  TYPE_HASH_ZIPLIST,
  TYPE_HASH_ZIPMAP,
  TYPE_LIST,
  TYPE_LIST_QUICKLIST,
  TYPE_LIST_QUICKLIST_2,
  TYPE_LIST_ZIPLIST,
  TYPE_MODULE,
  TYPE_MODULE_2,
  TYPE_SET,
  TYPE_SET_INTSET,
  TYPE_SET_LISTPACK,
  TYPE_STREAM_LISTPACKS,
  TYPE_STREAM_LISTPACKS_2,
  TYPE_STREAM_LISTPACKS_3,
  TYPE_STRING,
  TYPE_ZSET,
  TYPE_ZSET_2,
  TYPE_ZSET_LISTPACK,
  TYPE_ZSET_ZIPLIST,
} from './rdb-format.js';
import { readStreamBody, skipStreamBody } from './rdb-stream.js';
import { RdbCursor } from './rdb-cursor.js';
import { RdbError, type RdbEntry, type RdbValue } from './rdb-value.js';
import { decodeZiplist } from './ziplist.js';
import { decodeZipmap } from './zipmap.js';
import { allDistinct } from './unique-bytes.js';
import { bytesCompare } from '../util/bytes.js';
import { parseDouble } from '../util/numbers.js';

/**
 * Reads a whole RDB file: onEntry gets every key (in file order), onAux
 * every AUX field. The checksum, at the end, is verified after the entries
 * have been handed over: on any error the caller must drop what it got.
 */
export function readRdb(
  buf: Uint8Array,
  onEntry: (e: RdbEntry) => void,
  onAux?: (key: string, value: Uint8Array) => void,
): { version: number } {
  const it = rdbEntries(buf, onAux);
  for (;;) {
    const r = it.next();
    if (r.done === true) return r.value;
    onEntry(r.value);
  }
}

/** Where rdbEntries has read up to (for progress reports). */
export interface RdbProgress {
  pos: number;
}

/**
 * readRdb as a generator: the keys one at a time, so a caller can stop
 * between them (loading yields to its event loop every few milliseconds).
 * Returns the version once EOF and the checksum are read.
 */
export function* rdbEntries(
  buf: Uint8Array,
  onAux?: (key: string, value: Uint8Array) => void,
  progress?: RdbProgress,
  /** Keys it returns false for are stepped over without decoding their values (another thread's keys). */
  want?: (key: Uint8Array) => boolean,
  /** Each function library's code (RDB_OPCODE_FUNCTION2, Redis 7). */
  onFunction?: (code: Uint8Array) => void,
): Generator<RdbEntry, { version: number }, void> {
  const c = new RdbCursor(buf, 0);
  c.need(9, 'the RDB header');
  if (!(buf[0] === 0x52 && buf[1] === 0x45 && buf[2] === 0x44 && buf[3] === 0x49 && buf[4] === 0x53)) {
    throw new RdbError('Wrong signature: not an RDB file (it does not start with "REDIS")', 0);
  }
  let version = 0;
  for (let i = 5; i < 9; i++) {
    const d = buf[i] - 0x30;
    if (d < 0 || d > 9) throw new RdbError('Wrong signature: the RDB version is not four digits', i);
    version = version * 10 + d;
  }
  if (version < 1 || version > RDB_MAX_READ_VERSION) throw new RdbError(`Can't handle RDB format version ${version}`, 5);
  c.pos = 9;

  let db = 0;
  let expireAt = -1;
  let idle = -1;
  let freq = -1;
  for (;;) {
    const at = c.pos;
    const t = c.u8('a value type or opcode');
    switch (t) {
      case OP_EXPIRETIME: {
        // Seconds, as a little-endian int32 (RDB versions before 3).
        c.need(4, 'an expire time');
        const b = buf;
        const p = c.pos;
        expireAt = (b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24)) * 1000;
        c.pos += 4;
        break;
      }
      case OP_EXPIRETIME_MS:
        expireAt = c.i64le('an expire time');
        break;
      case OP_FREQ:
        freq = c.u8('an LFU frequency');
        break;
      case OP_IDLE:
        idle = c.length('an LRU idle time');
        break;
      case OP_SELECTDB:
        db = c.length('a db number');
        break;
      case OP_RESIZEDB:
        c.length('a db size');
        c.length('an expires size');
        break;
      case OP_AUX: {
        const key = c.text('an AUX field name');
        const value = c.string('an AUX field value');
        onAux?.(key, value);
        break;
      }
      case OP_MODULE_AUX:
        throw new RdbError(`The RDB file holds module data (MODULE_AUX), which Shoal does not support (at offset ${at})`, at);
      case OP_FUNCTION2:
        onFunction?.(c.string('a function library'));
        break;
      case OP_FUNCTION:
        // The format of Redis 7.0's release candidates, never in a released file.
        throw new RdbError(`The RDB file holds functions in the pre-release format (RDB_OPCODE_FUNCTION), which Shoal does not read (at offset ${at})`, at);
      case OP_EOF: {
        if (version >= 5) {
          c.need(8, 'the checksum');
          const p = c.pos;
          let stored = 0;
          for (let i = 0; i < 8; i++) stored |= buf[p + i];
          // A zero checksum means the file was saved with rdbchecksum no.
          if (stored !== 0 && !new Crc64().update(buf, 0, p).matchesLE(buf, p)) {
            throw new RdbError(`Wrong RDB checksum (at offset ${p})`, p);
          }
        }
        return { version };
      }
      default: {
        const key = c.string('a key');
        if (want !== undefined && !want(key) && skipValue(c, t)) {
          if (progress !== undefined) progress.pos = c.pos;
          expireAt = -1;
          idle = -1;
          freq = -1;
          continue;
        }
        const value = readValue(c, t, at);
        if (progress !== undefined) progress.pos = c.pos;
        if (value !== null) yield { db, key, value, expireAt, idle, freq };
        expireAt = -1;
        idle = -1;
        freq = -1;
      }
    }
  }
}

const DUMP_FOOTER_ERROR = 'DUMP payload version or checksum are wrong';

/**
 * The value of a DUMP payload (what RESTORE takes): the footer must name
 * an RDB version this reader knows and hold the CRC-64 of the rest, and
 * the body must parse exactly up to the footer.
 */
/** Checks a DUMP-style payload's footer (version, CRC-64); the length of its body. */
function payloadBody(buf: Uint8Array): number {
  const len = buf.length;
  if (len < 10) throw new RdbError(DUMP_FOOTER_ERROR, 0);
  const version = buf[len - 10] | (buf[len - 9] << 8);
  if (version > RDB_MAX_READ_VERSION) throw new RdbError(DUMP_FOOTER_ERROR, len - 10);
  if (!new Crc64().update(buf, 0, len - 8).matchesLE(buf, len - 8)) throw new RdbError(DUMP_FOOTER_ERROR, len - 8);
  return len - 10;
}

/** FUNCTION RESTORE's payload: the libraries' code, in order. */
export function parseFunctionsPayload(buf: Uint8Array): Uint8Array[] {
  const c = new RdbCursor(buf, 0, payloadBody(buf));
  const codes: Uint8Array[] = [];
  while (c.pos < c.end) {
    if (c.u8('an opcode') !== OP_FUNCTION2) throw new RdbError('given type is not a function', c.pos - 1);
    codes.push(c.string('a function library'));
  }
  return codes;
}

export function parseDumpPayload(buf: Uint8Array): RdbValue {
  const c = new RdbCursor(buf, 0, payloadBody(buf));
  let value: RdbValue | null;
  try {
    const t = c.u8('the value type');
    value = readValue(c, t, 0);
  } catch (e) {
    if (e instanceof UnsupportedError) throw e;
    if (e instanceof RdbError) throw new RdbError('Bad data format', e.offset);
    throw e;
  }
  if (value === null || c.pos !== c.end) throw new RdbError('Bad data format', c.pos);
  return value;
}

/** A value of a type Shoal cannot hold (streams, modules): not corruption, so parseDumpPayload passes its message on. */
class UnsupportedError extends RdbError {}

/** The value of type `t` at the cursor; null for an empty collection. `at` is where its type byte was. */
/**
 * Steps over a value of type t without decoding it; false for the types it
 * does not know how to step over (those are read, and refused, by readValue).
 * The thread that owns the key decodes it fully, so every value of a file
 * is still checked by one thread.
 */
function skipValue(c: RdbCursor, t: number): boolean {
  switch (t) {
    case TYPE_STRING:
    case TYPE_HASH_ZIPMAP:
    case TYPE_LIST_ZIPLIST:
    case TYPE_SET_INTSET:
    case TYPE_ZSET_ZIPLIST:
    case TYPE_HASH_ZIPLIST:
    case TYPE_HASH_LISTPACK:
    case TYPE_ZSET_LISTPACK:
    case TYPE_SET_LISTPACK:
      c.skipString('a value');
      return true;
    case TYPE_LIST:
    case TYPE_SET:
    case TYPE_LIST_QUICKLIST: {
      const n = c.count('elements', 1);
      for (let i = 0; i < n; i++) c.skipString('an element');
      return true;
    }
    case TYPE_LIST_QUICKLIST_2: {
      const n = c.count('quicklist nodes', 2);
      for (let i = 0; i < n; i++) {
        c.length('a quicklist node container');
        c.skipString('a quicklist node');
      }
      return true;
    }
    case TYPE_HASH: {
      const n = c.count('hash fields', 2);
      for (let i = 0; i < 2 * n; i++) c.skipString('a hash field or value');
      return true;
    }
    case TYPE_HASH_METADATA: {
      c.i64le('the earliest field expire time');
      const n = c.count('hash fields', 3);
      for (let i = 0; i < n; i++) {
        c.length('a hash field TTL');
        c.skipString('a hash field');
        c.skipString('a hash value');
      }
      return true;
    }
    case TYPE_HASH_LISTPACK_EX:
      c.i64le('the earliest field expire time');
      c.skipString('a value');
      return true;
    case TYPE_ZSET: {
      const n = c.count('sorted set members', 2);
      for (let i = 0; i < n; i++) {
        c.skipString('a sorted set member');
        const len = c.u8('a score length');
        if (len < 253) {
          c.need(len, 'a score');
          c.pos += len;
        }
      }
      return true;
    }
    case TYPE_STREAM_LISTPACKS:
    case TYPE_STREAM_LISTPACKS_2:
    case TYPE_STREAM_LISTPACKS_3:
      skipStreamBody(c, t);
      return true;
    case TYPE_ZSET_2: {
      const n = c.count('sorted set members', 9);
      for (let i = 0; i < n; i++) {
        c.skipString('a sorted set member');
        c.need(8, 'a score');
        c.pos += 8;
      }
      return true;
    }
    default:
      return false;
  }
}

function readValue(c: RdbCursor, t: number, at: number): RdbValue | null {
  switch (t) {
    case TYPE_STRING:
      return { type: 'string', value: c.string('a string value') };

    case TYPE_LIST: {
      const n = c.count('list elements', 1);
      const items: Uint8Array[] = [];
      for (let i = 0; i < n; i++) items.push(c.string('a list element'));
      return items.length > 0 ? { type: 'list', items } : null;
    }
    case TYPE_LIST_ZIPLIST: {
      const items = blob(c, 'ziplist', decodeZiplist);
      return items.length > 0 ? { type: 'list', items } : null;
    }
    case TYPE_LIST_QUICKLIST:
    case TYPE_LIST_QUICKLIST_2: {
      const n = c.count('quicklist nodes', 1);
      const items: Uint8Array[] = [];
      for (let i = 0; i < n; i++) {
        let container = QUICKLIST_NODE_PACKED;
        if (t === TYPE_LIST_QUICKLIST_2) {
          const cat = c.pos;
          container = c.length('a quicklist node container');
          if (container !== QUICKLIST_NODE_PLAIN && container !== QUICKLIST_NODE_PACKED) {
            throw c.error(`Unknown quicklist node container ${container}`, cat);
          }
        }
        if (container === QUICKLIST_NODE_PLAIN) {
          items.push(c.string('a plain quicklist node'));
          continue;
        }
        // Empty nodes are skipped, as Redis does.
        const node = blob(c, t === TYPE_LIST_QUICKLIST ? 'ziplist' : 'listpack', t === TYPE_LIST_QUICKLIST ? decodeZiplist : decodeListpack);
        for (const it of node) items.push(it);
      }
      return items.length > 0 ? { type: 'list', items } : null;
    }

    case TYPE_SET: {
      const bat = c.pos;
      const n = c.count('set members', 1);
      const members: Uint8Array[] = [];
      for (let i = 0; i < n; i++) members.push(c.string('a set member'));
      return setFromMembers(c, members, bat);
    }
    case TYPE_SET_INTSET: {
      const members = blob(c, 'intset', decodeIntset);
      return members.length > 0 ? { type: 'set', members } : null;
    }
    case TYPE_SET_LISTPACK: {
      const bat = c.pos;
      return setFromMembers(c, blob(c, 'listpack', decodeListpack), bat);
    }

    case TYPE_HASH: {
      const bat = c.pos;
      const n = c.count('hash fields', 2);
      const pairs: Array<[Uint8Array, Uint8Array]> = [];
      for (let i = 0; i < n; i++) {
        const f = c.string('a hash field');
        pairs.push([f, c.string('a hash value')]);
      }
      return hashFromPairs(c, pairs, bat);
    }
    case TYPE_HASH_ZIPMAP: {
      const bat = c.pos;
      const pairs = blob(c, 'zipmap', decodeZipmap);
      return hashFromPairs(c, pairs, bat);
    }
    case TYPE_HASH_ZIPLIST:
    case TYPE_HASH_LISTPACK: {
      const bat = c.pos;
      const flat = t === TYPE_HASH_ZIPLIST ? blob(c, 'ziplist', decodeZiplist) : blob(c, 'listpack', decodeListpack);
      if (flat.length % 2 !== 0) throw c.error('A hash blob holds an odd number of elements', bat);
      const pairs: Array<[Uint8Array, Uint8Array]> = [];
      for (let i = 0; i < flat.length; i += 2) pairs.push([flat[i], flat[i + 1]]);
      return hashFromPairs(c, pairs, bat);
    }

    case TYPE_HASH_METADATA: {
      const bat = c.pos;
      const min = c.i64le('the earliest field expire time');
      const n = c.count('hash fields', 3);
      const pairs: Array<[Uint8Array, Uint8Array]> = [];
      const ttls: number[] = [];
      for (let i = 0; i < n; i++) {
        const ttl = c.length('a hash field TTL');
        const f = c.string('a hash field');
        pairs.push([f, c.string('a hash value')]);
        ttls.push(ttl === 0 ? 0 : ttl + min - 1);
      }
      return hashFromPairs(c, pairs, bat, ttls);
    }
    case TYPE_HASH_LISTPACK_EX: {
      const bat = c.pos;
      c.i64le('the earliest field expire time');
      const flat = blob(c, 'listpack', decodeListpack);
      if (flat.length % 3 !== 0) throw c.error('A hash blob with field TTLs does not hold triplets', bat);
      const pairs: Array<[Uint8Array, Uint8Array]> = [];
      const ttls: number[] = [];
      for (let i = 0; i < flat.length; i += 3) {
        pairs.push([flat[i], flat[i + 1]]);
        const ttl = Number(Buffer.from(flat[i + 2]).toString('latin1'));
        if (!Number.isSafeInteger(ttl) || ttl < 0) throw c.error('A hash field TTL is not a time', bat);
        ttls.push(ttl);
      }
      return hashFromPairs(c, pairs, bat, ttls);
    }

    case TYPE_ZSET:
    case TYPE_ZSET_2: {
      const n = c.count('sorted set members', t === TYPE_ZSET ? 2 : 9);
      const entries: Array<[Uint8Array, number]> = [];
      for (let i = 0; i < n; i++) {
        const m = c.string('a sorted set member');
        const sat = c.pos;
        const score = t === TYPE_ZSET ? textScore(c) : c.f64le('a score');
        if (score !== score) throw c.error('Sorted set with a NaN score', sat);
        entries.push([m, score]);
      }
      return zsetFromEntries(c, entries, at);
    }
    case TYPE_ZSET_ZIPLIST:
    case TYPE_ZSET_LISTPACK: {
      const bat = c.pos;
      const flat = t === TYPE_ZSET_ZIPLIST ? blob(c, 'ziplist', decodeZiplist) : blob(c, 'listpack', decodeListpack);
      if (flat.length % 2 !== 0) throw c.error('A sorted set blob holds an odd number of elements', bat);
      const entries: Array<[Uint8Array, number]> = [];
      for (let i = 0; i < flat.length; i += 2) {
        const s = flat[i + 1];
        const score = parseDouble(s, 0, s.length);
        if (score === null) throw c.error('A sorted set blob holds a score that is not a number', bat);
        entries.push([flat[i], score]);
      }
      return zsetFromEntries(c, entries, bat);
    }

    case TYPE_MODULE:
    case TYPE_MODULE_2:
      throw new UnsupportedError(`The RDB data holds a module value (type ${t}), which Shoal does not support (at offset ${at})`, at);
    case TYPE_STREAM_LISTPACKS:
    case TYPE_STREAM_LISTPACKS_2:
    case TYPE_STREAM_LISTPACKS_3:
      return { type: 'stream', stream: readStreamBody(c, t) };
    default:
      throw c.error(`Unknown RDB value type ${t}`, at);
  }
}

/** Reads an RDB string holding an encoded blob and decodes it; errors name the blob and its offset in the input. */
function blob<T>(c: RdbCursor, what: string, decode: (b: Uint8Array) => T): T {
  const at = c.pos;
  const b = c.string(`a ${what}`);
  try {
    return decode(b);
  } catch (e) {
    if (e instanceof RdbError) throw new RdbError(`${e.message}, in the ${what} at offset ${at}`, at);
    throw e;
  }
}

/** A ZSET (type 3) score: length byte, then ASCII; 253, 254, 255 stand for nan, inf, -inf. */
function textScore(c: RdbCursor): number {
  const at = c.pos;
  const n = c.u8('a score length');
  if (n === 253) return NaN;
  if (n === 254) return Infinity;
  if (n === 255) return -Infinity;
  c.need(n, 'a score');
  const v = parseDouble(c.buf, c.pos, n);
  if (v === null) throw c.error('A sorted set score is not a number', at);
  c.pos += n;
  return v;
}

const itself = (b: Uint8Array): Uint8Array => b;
const first = <T>(t: [Uint8Array, T]): Uint8Array => t[0];

function setFromMembers(c: RdbCursor, members: Uint8Array[], at: number): RdbValue | null {
  if (!allDistinct(members, itself)) throw c.error('Duplicate set members detected', at);
  return members.length > 0 ? { type: 'set', members } : null;
}

function hashFromPairs(c: RdbCursor, pairs: Array<[Uint8Array, Uint8Array]>, at: number, ttls?: number[]): RdbValue | null {
  if (!allDistinct(pairs, first)) throw c.error('Duplicate hash fields detected', at);
  if (pairs.length === 0) return null;
  return ttls !== undefined && ttls.some((t) => t !== 0) ? { type: 'hash', pairs, ttls } : { type: 'hash', pairs };
}

const byScore = (a: [Uint8Array, number], b: [Uint8Array, number]): number =>
  a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : bytesCompare(a[0], 0, a[0].length, b[0], 0, b[0].length);

/** Checks members unique and puts the entries in ascending order (reversing a skiplist saved top down). */
function zsetFromEntries(c: RdbCursor, entries: Array<[Uint8Array, number]>, at: number): RdbValue | null {
  if (entries.length === 0) return null;
  if (!allDistinct(entries, first)) throw c.error('Duplicate sorted set members detected', at);
  let asc = true;
  let desc = true;
  for (let i = 1; i < entries.length && (asc || desc); i++) {
    const d = byScore(entries[i - 1], entries[i]);
    if (d > 0) asc = false;
    else desc = false;
  }
  if (!asc) {
    if (desc) entries.reverse();
    else entries.sort(byScore);
  }
  return { type: 'zset', entries };
}
