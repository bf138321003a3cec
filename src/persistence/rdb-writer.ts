/**
 * Writes RDB files (and DUMP payloads) as Redis 7.0 writes them, RDB
 * version 10, so that redis-server and redis-check-rdb accept them and a
 * file written here loads the same as one written by Redis:
 *
 *   strings   integers of up to 11 bytes that fit in int32 → int-encoded;
 *             longer than 20 bytes → LZF when compression is on and it saves
 *             at least 4 bytes; else raw (rdbSaveRawString)
 *   list      LIST_QUICKLIST_2: listpack nodes, split by list-max-listpack-size;
 *             an element too big for any node goes alone in a PLAIN node (the
 *             rule of Redis 7.2: 7.0 keeps elements under 1 GiB packed, but
 *             loads PLAIN nodes of any size)
 *   set       SET_INTSET when every member is an integer and there are few,
 *             else SET
 *   hash      HASH_LISTPACK within hash-max-listpack-*, else HASH; a hash
 *             with field TTLs is HASH_METADATA, Redis 7.4's type (7.0
 *             cannot load it; 7.4 and later load it whatever the version)
 *   zset      ZSET_LISTPACK within zset-max-listpack-*, else ZSET_2
 *             (members from the highest score down, as Redis saves a skiplist)
 *
 * Bytes accumulate in a buffer that take() hands over, so a caller can
 * stream a large snapshot to a file; the CRC-64 runs over them as they go.
 */
import { Crc64 } from './crc64.js';
import { encodeIntset } from './intset.js';
import { ListpackBuilder, listpackEntrySize } from './listpack.js';
import { lzfCompress } from './lzf.js';
import {
  ENC_INT16,
  ENC_INT32,
  ENC_INT8,
  ENC_LZF,
  OP_AUX,
  OP_EOF,
  OP_FUNCTION2,
  OP_EXPIRETIME_MS,
  OP_RESIZEDB,
  OP_SELECTDB,
  QUICKLIST_NODE_PACKED,
  QUICKLIST_NODE_PLAIN,
  RDB_VERSION,
  TYPE_HASH,
  TYPE_HASH_LISTPACK,
  TYPE_HASH_METADATA,
  TYPE_LIST_QUICKLIST_2,
  TYPE_SET,
  TYPE_SET_INTSET,
  TYPE_STRING,
  TYPE_ZSET_2,
  TYPE_ZSET_LISTPACK,
  writeLength,
} from './rdb-format.js';
import { DEFAULT_LIMITS, type EncodingLimits, type RdbValue } from './rdb-value.js';
import { ascii } from './rdb-cursor.js';
import { TYPE_STREAM_LISTPACKS_2, encodeStreamBody } from './rdb-stream.js';
import { copyBytes } from '../util/bytes.js';
import { formatDouble17g, parseInt64 } from '../util/numbers.js';

export interface RdbWriterOptions {
  /** rdbcompression: LZF-compress strings longer than 20 bytes when it pays. */
  compress: boolean;
  /** rdbchecksum: end the file with its CRC-64 (else 8 zero bytes). */
  checksum: boolean;
  limits: EncodingLimits;
}

/** What encodeValue and dumpPayload need: the value encodings only. */
export type ValueEncodingOptions = Pick<RdbWriterOptions, 'compress' | 'limits'>;

/** Node sizes for list-max-listpack-size -1..-5 (quicklist's optimization_level). */
const NODE_BYTES = [4096, 8192, 16384, 32768, 65536];
/** With a count limit, nodes still stay within this many bytes (SIZE_SAFETY_LIMIT). */
const SAFETY_BYTES = 8192;
/** With a count limit, only elements this large go in PLAIN nodes (packed_threshold). */
const PACKED_THRESHOLD = 1 << 30;
const INITIAL_CAPACITY = 64 * 1024;
const EMPTY = new Uint8Array(0);
// Scratch for binary doubles: one DataView for all of them, not one per score.
const F64_BYTES = new Uint8Array(8);
const F64_VIEW = new DataView(F64_BYTES.buffer);

/** Where bigEntry's elements go. */
export interface ElementSink {
  element(u8: Uint8Array, off: number, len: number): void;
  score(x: number): void;
}

export class RdbWriter {
  private buf: Uint8Array;
  private pos = 0;
  /** Bytes of buf already added to the CRC. */
  private crcPos = 0;
  private readonly crc = new Crc64();
  private readonly compress: boolean;
  private readonly checksum: boolean;
  private readonly limits: EncodingLimits;
  private readonly capacity: number;

  constructor(opts: RdbWriterOptions, capacity = INITIAL_CAPACITY) {
    this.compress = opts.compress;
    this.checksum = opts.checksum;
    this.limits = opts.limits;
    this.capacity = capacity;
    this.buf = new Uint8Array(capacity);
  }

  /** Bytes buffered and not yet taken. */
  get pending(): number {
    return this.pos;
  }

  /** The bytes written since the last take(); the writer starts a fresh buffer. */
  take(): Uint8Array {
    this.updateCrc();
    const out = this.buf.subarray(0, this.pos);
    // The caller owns those bytes now; the next write allocates afresh.
    this.buf = EMPTY;
    this.pos = 0;
    this.crcPos = 0;
    return out;
  }

  /** "REDIS" and the version as four digits. */
  header(version = RDB_VERSION): this {
    const s = 'REDIS' + String(version).padStart(4, '0');
    this.reserve(s.length);
    for (let i = 0; i < s.length; i++) this.buf[this.pos++] = s.charCodeAt(i);
    return this;
  }

  /** An AUX field. Integers go in as their decimal digits, which int-encodes them as Redis does (redis-bits, ctime ...). */
  aux(key: string, value: string | number): this {
    this.byte(OP_AUX);
    const k = Buffer.from(key, 'utf8');
    this.string(k, 0, k.length);
    const v = Buffer.from(typeof value === 'number' ? String(value) : value, 'utf8');
    this.string(v, 0, v.length);
    return this;
  }

  /** A function library (RDB_OPCODE_FUNCTION2 and its code), as Redis 7 writes it before the keys. */
  functionLibrary(code: Uint8Array): this {
    this.byte(OP_FUNCTION2);
    this.string(code, 0, code.length);
    return this;
  }

  selectDb(db: number): this {
    this.byte(OP_SELECTDB);
    this.length(db);
    return this;
  }

  /** The sizes of the db's main and expires tables (hints for the loader). */
  resizeDb(keys: number, expires: number): this {
    this.byte(OP_RESIZEDB);
    this.length(keys);
    this.length(expires);
    return this;
  }

  /**
   * One key: its expiry (ms since the epoch, when >= 0), type, name and
   * value. The value must be what Redis could hold: no duplicate set
   * members or hash fields, sorted-set entries in ascending (score, member)
   * order, and not an empty collection (Redis skips those on load).
   */
  entry(key: Uint8Array, value: RdbValue, expireAt: number): this {
    this.expire(expireAt);
    const typeAt = this.pos;
    this.byte(0); // the type, known once the value is written
    this.string(key, 0, key.length);
    const type = this.value(value); // may move buf: read it after
    this.buf[typeAt] = type;
    return this;
  }

  /**
   * An entry written element by element from wherever the elements live
   * (no arrays of them), for a collection too big for the compact
   * encodings — the caller checks the limits: `kind` 'set' writes SET,
   * 'hash' HASH (field, value, field, value …), 'zset' ZSET_2 (member then
   * score, from the highest score down, as Redis writes it). `each` must
   * give exactly `count` elements (pairs for hashes and sorted sets).
   */
  bigEntry(key: Uint8Array, expireAt: number, kind: 'set' | 'hash' | 'zset', count: number, each: (sink: ElementSink) => void): this {
    this.expire(expireAt);
    this.byte(kind === 'set' ? TYPE_SET : kind === 'hash' ? TYPE_HASH : TYPE_ZSET_2);
    this.string(key, 0, key.length);
    this.length(count);
    each(this.sink);
    return this;
  }

  private readonly sink: ElementSink = {
    element: (u8, off, len) => this.string(u8, off, len),
    score: (x) => this.binaryDouble(x),
  };

  private expire(expireAt: number): void {
    if (expireAt < 0) return;
    this.byte(OP_EXPIRETIME_MS);
    this.u64le(expireAt);
  }

  /** A non-negative safe integer as 8 little-endian bytes (Redis's rdbSaveMillisecondTime). */
  private u64le(expireAt: number): void {
    this.reserve(8);
    const lo = expireAt >>> 0;
    const hi = Math.floor(expireAt / 0x100000000);
    const b = this.buf;
    const p = this.pos;
    for (let i = 0; i < 4; i++) b[p + i] = lo >>> (8 * i);
    for (let i = 0; i < 4; i++) b[p + 4 + i] = hi >>> (8 * i);
    this.pos += 8;
  }

  private binaryDouble(x: number): void {
    this.reserve(8);
    F64_VIEW.setFloat64(0, x, true);
    copyBytes(this.buf, this.pos, F64_BYTES, 0, 8);
    this.pos += 8;
  }

  /** EOF and the checksum: the file is complete. */
  finish(): this {
    this.byte(OP_EOF);
    this.updateCrc();
    this.reserve(8);
    if (this.checksum) this.crc.writeLE(this.buf, this.pos);
    else this.buf.fill(0, this.pos, this.pos + 8);
    this.pos += 8;
    this.crcPos = this.pos;
    return this;
  }

  /** Writes a value's body (what follows the key); returns its type byte. */
  value(v: RdbValue): number {
    switch (v.type) {
      case 'string':
        this.string(v.value, 0, v.value.length);
        return TYPE_STRING;
      case 'list':
        this.list(v.items);
        return TYPE_LIST_QUICKLIST_2;
      case 'set':
        return this.set(v.members);
      case 'hash':
        return v.ttls !== undefined && v.ttls.some((t) => t !== 0) ? this.hashWithTtls(v.pairs, v.ttls) : this.hash(v.pairs);
      case 'zset':
        return this.zset(v.entries);
      case 'stream':
        this.append(encodeStreamBody(v.stream));
        return TYPE_STREAM_LISTPACKS_2;
    }
  }

  private list(items: readonly Uint8Array[]): void {
    const fill = this.limits.listMaxListpackSize;
    // Negative fill limits a node's bytes; otherwise its count (and bytes, to SAFETY_BYTES).
    const maxBytes = fill < 0 ? NODE_BYTES[Math.min(-fill, NODE_BYTES.length) - 1] : SAFETY_BYTES;
    const maxCount = fill < 0 ? Infinity : fill;
    const plainOver = fill < 0 ? maxBytes : PACKED_THRESHOLD;
    const nodes: Array<{ plain: boolean; data: Uint8Array }> = [];
    let lp: ListpackBuilder | null = null;
    for (const item of items) {
      if (item.length > plainOver) {
        if (lp) nodes.push({ plain: false, data: lp.finish() });
        lp = null;
        nodes.push({ plain: true, data: item });
        continue;
      }
      if (lp && (lp.count + 1 > maxCount || lp.size + listpackEntrySize(item) > maxBytes)) {
        nodes.push({ plain: false, data: lp.finish() });
        lp = null;
      }
      lp ??= new ListpackBuilder();
      lp.add(item);
    }
    if (lp) nodes.push({ plain: false, data: lp.finish() });
    this.length(nodes.length);
    for (const n of nodes) {
      this.length(n.plain ? QUICKLIST_NODE_PLAIN : QUICKLIST_NODE_PACKED);
      this.string(n.data, 0, n.data.length);
    }
  }

  private set(members: readonly Uint8Array[]): number {
    if (members.length <= this.limits.setMaxIntsetEntries) {
      const ints: Array<number | bigint> = [];
      for (const m of members) {
        const v = parseInt64(m, 0, m.length);
        if (v === null) break;
        ints.push(v);
      }
      if (ints.length === members.length) {
        const blob = encodeIntset(ints);
        this.string(blob, 0, blob.length);
        return TYPE_SET_INTSET;
      }
    }
    this.length(members.length);
    for (const m of members) this.string(m, 0, m.length);
    return TYPE_SET;
  }

  private hash(pairs: ReadonlyArray<readonly [Uint8Array, Uint8Array]>): number {
    const maxLen = this.limits.hashMaxListpackValue;
    let packed = pairs.length <= this.limits.hashMaxListpackEntries;
    for (let i = 0; packed && i < pairs.length; i++) {
      if (pairs[i][0].length > maxLen || pairs[i][1].length > maxLen) packed = false;
    }
    if (packed) {
      const lp = new ListpackBuilder();
      for (const [f, v] of pairs) lp.add(f).add(v);
      const blob = lp.finish();
      this.string(blob, 0, blob.length);
      return TYPE_HASH_LISTPACK;
    }
    this.length(pairs.length);
    for (const [f, v] of pairs) {
      this.string(f, 0, f.length);
      this.string(v, 0, v.length);
    }
    return TYPE_HASH;
  }

  /** HASH_METADATA: the earliest expire-at, then per field its TTL as at - min + 1 (0: none), field and value. */
  private hashWithTtls(pairs: ReadonlyArray<readonly [Uint8Array, Uint8Array]>, ttls: readonly number[]): number {
    let min = Infinity;
    for (const t of ttls) if (t !== 0 && t < min) min = t;
    this.u64le(min);
    this.length(pairs.length);
    for (let i = 0; i < pairs.length; i++) {
      const [f, v] = pairs[i];
      this.length(ttls[i] === 0 ? 0 : ttls[i] - min + 1);
      this.string(f, 0, f.length);
      this.string(v, 0, v.length);
    }
    return TYPE_HASH_METADATA;
  }

  private zset(entries: ReadonlyArray<readonly [Uint8Array, number]>): number {
    const maxLen = this.limits.zsetMaxListpackValue;
    let packed = entries.length <= this.limits.zsetMaxListpackEntries;
    for (let i = 0; packed && i < entries.length; i++) {
      if (entries[i][0].length > maxLen) packed = false;
    }
    if (packed) {
      const lp = new ListpackBuilder();
      for (const [m, score] of entries) {
        lp.add(m);
        // Redis puts d2string(score) in, which the listpack int-encodes when it can:
        // integral scores of up to 2^53 as integers, "-0" and the rest as %.17g text.
        if (Number.isSafeInteger(score) && !Object.is(score, -0)) lp.addInt(score);
        else lp.add(ascii(formatDouble17g(score)));
      }
      const blob = lp.finish();
      this.string(blob, 0, blob.length);
      return TYPE_ZSET_LISTPACK;
    }
    this.length(entries.length);
    for (let i = entries.length - 1; i >= 0; i--) {
      const [m, score] = entries[i];
      this.string(m, 0, m.length);
      this.binaryDouble(score);
    }
    return TYPE_ZSET_2;
  }

  /** An RDB string as rdbSaveRawString writes it: int-encoded, LZF or raw. */
  private string(u8: Uint8Array, off: number, len: number): void {
    if (len <= 11) {
      const v = parseInt64(u8, off, len);
      if (typeof v === 'number' && v >= -2147483648 && v <= 2147483647) {
        this.reserve(5);
        const b = this.buf;
        const p = this.pos;
        if (v >= -128 && v <= 127) {
          b[p] = 0xc0 | ENC_INT8;
          b[p + 1] = v;
          this.pos += 2;
        } else if (v >= -32768 && v <= 32767) {
          b[p] = 0xc0 | ENC_INT16;
          b[p + 1] = v;
          b[p + 2] = v >> 8;
          this.pos += 3;
        } else {
          b[p] = 0xc0 | ENC_INT32;
          b[p + 1] = v;
          b[p + 2] = v >> 8;
          b[p + 3] = v >> 16;
          b[p + 4] = v >> 24;
          this.pos += 5;
        }
        return;
      }
    }
    if (this.compress && len > 20) {
      // Worth it only when it saves at least 4 bytes (rdbSaveLzfStringObject).
      const c = lzfCompress(u8, off, len, len - 4);
      if (c) {
        this.byte(0xc0 | ENC_LZF);
        this.length(c.length);
        this.length(len);
        this.raw(c, 0, c.length);
        return;
      }
    }
    this.length(len);
    this.raw(u8, off, len);
  }

  private length(n: number): void {
    this.reserve(9);
    this.pos += writeLength(this.buf, this.pos, n);
  }

  private byte(b: number): void {
    this.reserve(1);
    this.buf[this.pos++] = b;
  }

  /** Records encoded elsewhere (a shard's share of a snapshot), copied in and counted in the CRC. */
  append(u8: Uint8Array): this {
    this.raw(u8, 0, u8.length);
    return this;
  }

  private raw(u8: Uint8Array, off: number, len: number): void {
    this.reserve(len);
    copyBytes(this.buf, this.pos, u8, off, len);
    this.pos += len;
  }

  private updateCrc(): void {
    if (this.checksum && this.pos > this.crcPos) this.crc.update(this.buf, this.crcPos, this.pos - this.crcPos);
    this.crcPos = this.pos;
  }

  private reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.pos + n, this.capacity));
    copyBytes(next, 0, this.buf, 0, this.pos);
    this.buf = next;
  }
}

/** A value's RDB type byte and serialized body, as DUMP and RESTORE carry them. */
export function encodeValue(value: RdbValue, opts: ValueEncodingOptions): { type: number; body: Uint8Array } {
  const w = new RdbWriter({ compress: opts.compress, checksum: false, limits: opts.limits }, 256);
  const type = w.value(value);
  return { type, body: w.take() };
}

/** A DUMP payload: type byte, body, RDB version (u16 LE), CRC-64 of all that (u64 LE). */
export function dumpPayload(value: RdbValue, opts: ValueEncodingOptions): Uint8Array {
  const { type, body } = encodeValue(value, opts);
  const out = new Uint8Array(1 + body.length);
  out[0] = type;
  copyBytes(out, 1, body, 0, body.length);
  return withPayloadFooter(out);
}

/** A DUMP-style payload: the body, the RDB version (2 bytes) and the CRC-64 of both. */
export function withPayloadFooter(body: Uint8Array): Uint8Array {
  const out = new Uint8Array(body.length + 10);
  copyBytes(out, 0, body, 0, body.length);
  let p = body.length;
  out[p++] = RDB_VERSION & 0xff;
  out[p++] = RDB_VERSION >>> 8;
  new Crc64().update(out, 0, p).writeLE(out, p);
  return out;
}

/** FUNCTION DUMP's payload: each library as in an RDB file (RDB_OPCODE_FUNCTION2 and its code), then the footer. */
export function functionsPayload(codes: Uint8Array[]): Uint8Array {
  const w = new RdbWriter({ compress: false, checksum: false, limits: DEFAULT_LIMITS });
  for (const code of codes) w.functionLibrary(code);
  return withPayloadFooter(w.take());
}
