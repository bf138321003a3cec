/**
 * Random command sequences over the bitmap commands (SETBIT, GETBIT,
 * BITCOUNT, BITPOS, BITOP, BITFIELD, BITFIELD_RO), for the differential test
 * against redis-server 7.0 (test/differential/bitmaps.diff.test.ts).
 *
 * The keys are spread over Shoal's 4 shards, and BITOP takes its keys from
 * anywhere, so its sources often live on other shards than its destination.
 * Values come from SETBIT and BITFIELD themselves and from SET (binary
 * strings, strings of 0xff bytes, decimal integers: "int"-encoded values
 * are read as their digits), APPEND, INCR; a hash and a list give WRONGTYPE.
 * GET, STRLEN and OBJECT ENCODING read the results back; TTL checks that
 * SETBIT keeps a key's TTL and BITOP drops the destination's. Now and then
 * a few commands run inside MULTI/EXEC.
 *
 * Offsets that are valid but far (up to 2^32 - 1 bits) are only read
 * (GETBIT, BITFIELD GET): written, they would make 512 MB strings.
 */
import type { Arg } from '../helpers/resp.js';
import { type DiffCommand, approxInt, listEncoding72 } from '../helpers/differential.js';
import type { Rng } from '../helpers/rng.js';

export const BITMAP_KEYS: readonly string[] = ['b0', 'b1', 'b2', 'b3', 'b4', 'b5', 'b6', '{g}1', '{g}2', '{g}3', 'bin\r\nkey', '', '123', 'ключ'];
const HASH_KEY = 'hk';
const LIST_KEY = 'lk';
const ALL_KEYS = [...BITMAP_KEYS, HASH_KEY, LIST_KEY];

const INT_EDGE = ['9223372036854775807', '-9223372036854775808', '9223372036854775806', '-9223372036854775807', '4611686018427387904', '9007199254740993', '-9007199254740993'];
const NOT_INT = ['abc', '', '1.5', ' 1', '1 ', '+1', '01', '0x1f', '1e3', '-0', '9223372036854775808', '-9223372036854775809'];
const BAD_OFFSETS = ['-1', '4294967296', '4294967297', '9223372036854775807', '-9223372036854775808', 'x', '1.0', '', '#1', ' 1'];
const FAR_OFFSETS = ['4294967295', '4294967288', '4294967000', '1000000000'];
const BAD_TYPES = ['u64', 'i65', 'i0', 'u0', 'x8', 'I8', 'U8', 'i', 'u', '8', 'i-1', 'u 8', 'i08', 'i+8', ''];
const SIGNED_WIDTHS = [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 48, 52, 53, 54, 62, 63, 64];
const UNSIGNED_WIDTHS = [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 48, 52, 53, 54, 62, 63];
const TTL = approxInt(3);

export class BitmapsGen {
  constructor(private readonly rng: Rng) {}

  /** A command name in upper, lower or mixed case. */
  private name(cmd: string): string {
    const r = this.rng.next();
    if (r < 0.7) return cmd;
    if (r < 0.9) return cmd.toLowerCase();
    let s = '';
    for (const ch of cmd) s += this.rng.chance(0.5) ? ch.toLowerCase() : ch;
    return s;
  }

  private key(): string {
    return this.rng.chance(0.06) ? this.rng.pick([HASH_KEY, LIST_KEY]) : this.rng.pick(BITMAP_KEYS);
  }

  /** A bit offset to write: mostly within a few hundred bytes, sometimes tens of kilobytes. */
  private offset(): string {
    const r = this.rng.next();
    if (r < 0.6) return String(this.rng.int(300));
    if (r < 0.85) return String(this.rng.int(4000));
    if (r < 0.93) return String(this.rng.int(200_000));
    return this.rng.pick(BAD_OFFSETS);
  }

  /** A bit offset to read: also far ones (past any string). */
  private readOffset(): string {
    return this.rng.chance(0.1) ? this.rng.pick(FAR_OFFSETS) : this.offset();
  }

  /** A range bound of BITCOUNT / BITPOS. */
  private bound(): string {
    const r = this.rng.next();
    if (r < 0.5) return String(this.rng.range(-20, 20));
    if (r < 0.8) return String(this.rng.range(-300, 300));
    if (r < 0.9) return String(this.rng.range(-3000, 3000));
    if (r < 0.96) return this.rng.pick(INT_EDGE);
    return this.rng.pick(NOT_INT);
  }

  private unit(): string {
    const r = this.rng.next();
    if (r < 0.45) return this.rng.pick(['BIT', 'bit', 'Bit']);
    if (r < 0.9) return this.rng.pick(['BYTE', 'byte']);
    return this.rng.pick(['bits', 'BYTES', '', 'b', 'foo']);
  }

  private value(): Arg {
    const rng = this.rng;
    const r = rng.next();
    if (r < 0.2) return String(rng.range(-100000, 100000));
    if (r < 0.25) return rng.pick(INT_EDGE);
    if (r < 0.5) return rng.bytes(rng.range(0, 40));
    if (r < 0.6) return Buffer.alloc(rng.range(1, 70), 0xff);
    if (r < 0.7) return Buffer.alloc(rng.range(1, 70), 0);
    if (r < 0.9) return rng.string(rng.range(0, 60));
    return rng.bytes(rng.range(100, 3000));
  }

  // ---- commands ------------------------------------------------------------

  private setbit(): Arg[] {
    const r = this.rng.next();
    const bit = r < 0.92 ? String(this.rng.int(2)) : this.rng.pick(['2', '-1', 'x', '', '01', '1.0', '9223372036854775807']);
    return [this.name('SETBIT'), this.key(), this.offset(), bit];
  }

  private getbit(): Arg[] {
    return [this.name('GETBIT'), this.key(), this.readOffset()];
  }

  private bitcount(): Arg[] {
    const args: Arg[] = [this.name('BITCOUNT'), this.key()];
    const r = this.rng.next();
    if (r < 0.2) return args;
    if (r < 0.23) return [...args, this.bound()]; // one bound: a syntax error
    args.push(this.bound(), this.bound());
    if (r < 0.55) return args;
    args.push(this.unit());
    if (r > 0.98) args.push('BIT');
    return args;
  }

  private bitpos(): Arg[] {
    const bit = this.rng.chance(0.93) ? String(this.rng.int(2)) : this.rng.pick(['2', '-1', 'x', '', '1.0']);
    const args: Arg[] = [this.name('BITPOS'), this.key(), bit];
    const r = this.rng.next();
    if (r < 0.2) return args;
    args.push(this.bound());
    if (r < 0.4) return args;
    args.push(this.bound());
    if (r < 0.65) return args;
    args.push(this.unit());
    if (r > 0.98) args.push('BYTE');
    return args;
  }

  private bitop(): Arg[] {
    const rng = this.rng;
    const r = rng.next();
    const op = r < 0.95 ? rng.pick(['AND', 'OR', 'XOR', 'NOT', 'and', 'Or', 'xor', 'not']) : rng.pick(['NAND', 'ANDX', '', 'NOTT']);
    const dest = rng.chance(0.1) ? rng.pick(['dst', '{g}dst']) : this.key();
    const n = /^not$/i.test(op) && rng.chance(0.9) ? 1 : rng.range(1, 5);
    const srcs = Array.from({ length: n }, () => (rng.chance(0.1) ? 'missing' : this.key()));
    return [this.name('BITOP'), op, dest, ...srcs];
  }

  /** A BITFIELD type: mostly valid, signed and unsigned, some refused. */
  private fieldType(): [string, number] {
    const r = this.rng.next();
    if (r < 0.5) {
      const bits = this.rng.pick(SIGNED_WIDTHS);
      return [`i${bits}`, bits];
    }
    if (r < 0.95) {
      const bits = this.rng.pick(UNSIGNED_WIDTHS);
      return [`u${bits}`, bits];
    }
    return [this.rng.pick(BAD_TYPES), 8];
  }

  /** A BITFIELD offset for a field `bits` wide: plain, #N, far (reads only) or refused. */
  private fieldOffset(bits: number, write: boolean): string {
    const r = this.rng.next();
    if (r < 0.55) return String(this.rng.int(200));
    if (r < 0.85) return `#${this.rng.int(Math.max(1, Math.floor(400 / bits)))}`;
    if (r < 0.92 && !write) {
      return this.rng.pick([...FAR_OFFSETS, `#${Math.floor((2 ** 32 - bits) / bits)}`]);
    }
    return this.rng.pick([...BAD_OFFSETS, '#', '#-1', '#x', `#${Math.floor(2 ** 32 / bits) + 1}`, '#9223372036854775807', '#1152921504606846976']);
  }

  /** A value to SET or add: small, near the field's limits, or any int64 (or not an integer). */
  private fieldValue(bits: number, signed: boolean): string {
    const rng = this.rng;
    const r = rng.next();
    if (r < 0.35) return String(rng.range(-300, 300));
    if (r < 0.75) {
      const edge = signed ? 1n << BigInt(bits - 1) : 1n << BigInt(bits);
      const base = rng.pick([edge, -edge, edge - 1n, -edge - 1n, edge * 2n, 0n]);
      const v = base + BigInt(rng.range(-3, 3));
      return String(BigInt.asIntN(64, v));
    }
    if (r < 0.95) return rng.pick(INT_EDGE);
    return rng.pick(NOT_INT);
  }

  private bitfield(ro: boolean): Arg[] {
    const rng = this.rng;
    const args: Arg[] = [this.name(ro ? 'BITFIELD_RO' : 'BITFIELD'), this.key()];
    const n = rng.range(0, 5);
    const writes = !ro || rng.chance(0.05);
    for (let i = 0; i < n; i++) {
      if (rng.chance(0.2)) args.push(this.name('OVERFLOW'), rng.chance(0.95) ? rng.pick(['WRAP', 'SAT', 'FAIL', 'wrap', 'sat', 'fail']) : rng.pick(['FOO', '', 'SATURATE']));
      const r = rng.next();
      const op = !writes || r < 0.35 ? 'GET' : r < 0.65 ? 'SET' : r < 0.98 ? 'INCRBY' : rng.pick(['FOO', 'DEL', 'INCR']);
      const [type, bits] = this.fieldType();
      const write = op !== 'GET';
      args.push(this.name(op), type, this.fieldOffset(bits, write));
      if (write) args.push(this.fieldValue(bits, type.startsWith('i')));
    }
    // Now and then a cut-off operation: a syntax error (or the missing argument read as the next op).
    if (rng.chance(0.03)) args.push(rng.pick(['GET', 'SET', 'INCRBY', 'OVERFLOW']), 'i8');
    return args;
  }

  /** Writes that give the keys values of every kind. */
  private setup(): Arg[] {
    const rng = this.rng;
    const r = rng.next();
    if (r < 0.35) return ['SET', rng.pick(BITMAP_KEYS), this.value()];
    if (r < 0.45) return ['APPEND', rng.pick(BITMAP_KEYS), this.value()];
    if (r < 0.55) return ['INCR', rng.pick(BITMAP_KEYS)];
    if (r < 0.65) return ['SETRANGE', rng.pick(BITMAP_KEYS), String(rng.int(100)), this.value()];
    if (r < 0.8) return ['DEL', rng.pick(BITMAP_KEYS)];
    if (r < 0.9) return ['EXPIRE', rng.pick(BITMAP_KEYS), String(100_000 + rng.int(1000))];
    return ['HSET', HASH_KEY, 'f', 'v'];
  }

  /** Reads that show the whole state of a key. */
  private check(): DiffCommand {
    const rng = this.rng;
    const k = rng.pick(ALL_KEYS);
    const r = rng.next();
    if (r < 0.45) return { args: ['GET', k] };
    if (r < 0.6) return { args: ['STRLEN', k] };
    // k may be the list key: Shoal says 7.2's listpack where the 7.0 oracle says quicklist.
    if (r < 0.8) return { args: ['OBJECT', 'ENCODING', k], compare: listEncoding72 };
    if (r < 0.9) return { args: ['TTL', k], compare: TTL };
    return { args: ['TYPE', k] };
  }

  /** Wrong argument counts. */
  private arity(): Arg[] {
    return this.rng.pick<Arg[]>([
      ['SETBIT', 'b0', '1'],
      ['SETBIT', 'b0', '1', '1', '1'],
      ['GETBIT', 'b0'],
      ['GETBIT', 'b0', '1', '2'],
      ['BITCOUNT'],
      ['BITPOS', 'b0'],
      ['BITOP', 'AND', 'b0'],
      ['BITOP', 'NOT'],
      ['BITFIELD'],
      ['BITFIELD_RO'],
    ]);
  }

  next(): DiffCommand {
    const rng = this.rng;
    const r = rng.next();
    if (r < 0.14) return { args: this.setbit() };
    if (r < 0.22) return { args: this.getbit() };
    if (r < 0.34) return { args: this.bitcount() };
    if (r < 0.46) return { args: this.bitpos() };
    if (r < 0.56) return { args: this.bitop() };
    if (r < 0.7) return { args: this.bitfield(false) };
    if (r < 0.76) return { args: this.bitfield(true) };
    if (r < 0.86) return { args: this.setup() };
    if (r < 0.99) return this.check();
    return { args: this.arity() };
  }

  sequence(n: number): DiffCommand[] {
    // The list is past 8 KB, a quicklist in 7.0 and 7.2 alike: its encoding reads the same inside MULTI/EXEC too.
    const out: DiffCommand[] = [{ args: ['RPUSH', LIST_KEY, 'a', 'b'.repeat(9000)] }, { args: ['HSET', HASH_KEY, 'f', 'v'] }];
    while (out.length < n + 2) {
      if (this.rng.chance(0.02)) {
        // A transaction of bitmap commands: on Shoal, BITOP across shards inside EXEC takes the transaction's locks.
        out.push({ args: ['MULTI'] });
        for (let k = this.rng.range(1, 4); k > 0; k--) out.push(this.next());
        out.push({ args: ['EXEC'] });
      } else out.push(this.next());
    }
    return out;
  }
}
