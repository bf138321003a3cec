/**
 * Random command sequences over the string and generic key commands, for the
 * differential test against redis-server.
 *
 * Determinism rules (both servers must be able to give the same answer):
 *  - No key ever gets a short TTL. Every positive relative expire is a unique
 *    multiple of 100 s, and every future absolute expire is "generation time
 *    + a unique multiple of 100 s"; so any two expiry times in a sequence are
 *    ≥ 100 s apart (minus the run's duration) and GT/LT/NX/XX decisions
 *    cannot depend on when a server happened to run the command.
 *  - Past expiry times are only used where Redis deletes the key at once
 *    (EXPIRE family, GETEX EXAT/PXAT), never with SET/SETEX (Redis keeps such
 *    a key until active expiry, which makes DBSIZE timing-dependent).
 *  - TTL-like replies are compared with a tolerance; KEYS as an unordered
 *    set; RANDOMKEY by shape only.
 *  - INCRBYFLOAT: Redis computes in x87 long double and prints with %.17Lf.
 *    By default the successful INCRBYFLOATs only touch two dedicated keys
 *    holding small binary fractions (where double and long double agree);
 *    other keys only get failing increments. DIFF_FLOAT_HARD=1 lifts that.
 *  - LCS runs on keys of one {tag} group or, half of the time, on one key of
 *    each group (different shards: Shoal's two-phase LCS), and only when an
 *    upper bound of both lengths keeps the DP table small.
 */
import type { Arg } from '../helpers/resp.js';
import { type DiffCommand, approxInt, sameShape, unordered } from '../helpers/differential.js';
import type { Rng } from '../helpers/rng.js';

// ---- key space -----------------------------------------------------------

const PLAIN = ['k0', 'k1', 'k2', 'k3', 'k4', 'k5', 'k6', 'k7'];
/** Hash tag "a": one slot. */
const TAG_A = ['{a}1', '{a}2', '{a}3', '{a}4', '{a}5', '{a}{b}'];
/** Hash tag "b": one slot. */
const TAG_B = ['{b}x', '{b}y', 'x{b}y', '{b}'];
/** Binary and odd keys (hash-tag corner cases hash the whole key). */
const ODD = ['bin\r\nkey', 'nul\0key', '\r\n', '\0', '', 'key with spaces', 'ключ', '123', '-1', '{}x', '{a', 'a}{b'];
/** Only these receive successful INCRBYFLOATs in the default mode. */
const FLOAT_KEYS = ['fa', 'fb'];

export const GENERAL_KEYS: readonly string[] = [...PLAIN, ...TAG_A, ...TAG_B, ...ODD];
export const ALL_KEYS: readonly string[] = [...GENERAL_KEYS, ...FLOAT_KEYS];
const LCS_GROUPS = [TAG_A, TAG_B];
const LCS_KEYS = new Set([...TAG_A, ...TAG_B]);

/** Max LCS table cells (Redis allocates 4 bytes per cell). */
const LCS_MAX_CELLS = 4_000_000;
const DBS = 4;

const TTL_S = approxInt(3);
const TTL_MS = approxInt(3000);

// ---- argument vocabularies --------------------------------------------------

const INT_EDGE = [
  '9223372036854775807', '-9223372036854775808', '9223372036854775806', '-9223372036854775807',
  '9223372036854775808', '-9223372036854775809', '18446744073709551616', '4611686018427387904',
];
const NOT_INT = ['abc', '', '1.5', ' 1', '1 ', '+1', '01', '0x1f', '1e3', '-0', '--1', '1\0', '٣'];
const FLOATS_NICE = ['0.5', '-0.25', '1.5', '2.75', '-3', '10', '0', '1e3', '-2.5e2', '0.125', '100.0625'];
const FLOATS_HARD = ['3.14', '0.1', '-0.3', '1e-5', '1e308', '-1e308', '2.5e10', '1.7976931348623157e308', '5e-324', '123456789.123456789'];
const FLOATS_BAD = ['inf', '-inf', '+inf', 'nan', 'abc', '', '1.5.5', '0x10', ' 1.5', '1e', 'Infinity'];
const KEY_PATTERNS = [
  '*', '*', 'k*', 'k?', '{a}*', '\\{a\\}*', '*{b}*', '*\r\n*', '*\0*', 'k[0-3]', 'k[^0-3]', 'k[!1]', '?',
  '[', 'k[', 'k[a-', '\\', '*\\', 'f?', '**', '*y', 'ключ', '[k-n]*', 'K*', '*[',
];
const LCS_ALPHABET = 'abcab';

/** Upper bounds of value lengths per key name (all dbs merged), for the LCS guard. */
class LengthBounds {
  private m = new Map<string, number>();
  get(k: string): number {
    return this.m.get(k) ?? 0;
  }
  atLeast(k: string, n: number): void {
    if (n > this.get(k)) this.m.set(k, n);
  }
  add(k: string, n: number): void {
    this.m.set(k, this.get(k) + n);
  }
}

function len(v: Arg): number {
  return typeof v === 'string' ? Buffer.byteLength(v) : typeof v === 'number' || typeof v === 'bigint' ? String(v).length : v.length;
}

export interface GenOptions {
  /** Let INCRBYFLOAT hit any key with any increment (long double divergences expected). */
  hardFloats?: boolean;
  /** Wall-clock ms used for absolute expiry times (defaults to Date.now()). */
  nowMs?: number;
}

export class StringsKeysGen {
  private bounds = new LengthBounds();
  private readonly nowMs: number;
  private readonly pool: number[];
  private readonly hardFloats: boolean;

  constructor(
    private readonly rng: Rng,
    opts: GenOptions = {},
  ) {
    this.nowMs = opts.nowMs ?? Date.now();
    this.hardFloats = opts.hardFloats ?? false;
    // Unique multiples of 100 s: [1 .. 50000] × 100 s (up to ~58 days).
    this.pool = rng.shuffle(Array.from({ length: 50_000 }, (_, i) => i + 1));
  }

  // ---- small helpers ------------------------------------------------------

  private name(cmd: string): string {
    const r = this.rng.next();
    if (r < 0.7) return cmd;
    if (r < 0.9) return cmd.toLowerCase();
    let s = '';
    for (const ch of cmd) s += this.rng.chance(0.5) ? ch.toLowerCase() : ch;
    return s;
  }

  private opt(o: string): string {
    return this.rng.chance(0.8) ? o : this.rng.chance(0.5) ? o.toLowerCase() : o[0]!.toLowerCase() + o.slice(1);
  }

  private key(): string {
    return this.rng.chance(0.05) ? this.rng.pick(FLOAT_KEYS) : this.rng.pick(GENERAL_KEYS);
  }

  private generalKey(): string {
    return this.rng.pick(GENERAL_KEYS);
  }

  private keys(min: number, max: number): string[] {
    const n = this.rng.range(min, max);
    return Array.from({ length: n }, () => this.key());
  }

  /** Seconds: a unique multiple of 100. */
  private uniqueSecs(): number {
    const k = this.pool.pop();
    if (k === undefined) throw new Error('expiry pool exhausted');
    return k * 100;
  }

  private futureAbsSecs(): number {
    return Math.floor(this.nowMs / 1000) + this.uniqueSecs();
  }

  private futureAbsMs(): number {
    return this.nowMs + this.uniqueSecs() * 1000;
  }

  private pastAbsSecs(): string {
    return this.rng.pick(['1', '1000', String(Math.floor(this.nowMs / 1000) - 100_000)]);
  }

  private pastAbsMs(): string {
    return this.rng.pick(['1', '1000', String(this.nowMs - 100_000_000)]);
  }

  /** Time arguments that every command must reject (or that overflow). */
  private badTime(): string {
    return this.rng.pick(['0', '-1', '-100', 'abc', '', '1.5', ' 10', ...INT_EDGE, '9223372036854775']);
  }

  private smallInt(): string {
    return String(this.rng.range(-1000, 1000));
  }

  private intArg(): string {
    const r = this.rng.next();
    if (r < 0.7) return this.smallInt();
    if (r < 0.85) return this.rng.pick(INT_EDGE);
    return this.rng.pick(NOT_INT);
  }

  private value(forKey?: string): Arg {
    const rng = this.rng;
    const r = rng.next();
    if (r < 0.22) return this.smallInt();
    if (r < 0.26) return String(rng.range(0, 9999));
    if (r < 0.31) return rng.pick(INT_EDGE);
    if (r < 0.37) return rng.pick(NOT_INT);
    if (r < 0.42) return rng.pick([...FLOATS_NICE, ...FLOATS_HARD]);
    if (r < 0.62) return rng.string(rng.range(0, 20));
    if (r < 0.7) return rng.string(rng.range(39, 50)); // around the 44-byte embstr limit
    if (r < 0.78) return rng.bytes(rng.range(1, 30));
    if (r < 0.79) return rng.pick(['\r\n', '\0', '$-1\r\n', '*1\r\n$1\r\na\r\n', 'ключ']);
    if (r < 0.985 || (forKey !== undefined && LCS_KEYS.has(forKey))) return rng.string(rng.range(60, 1200), LCS_ALPHABET);
    return rng.string(rng.range(5_000, 70_000), LCS_ALPHABET);
  }

  private shortValue(): Arg {
    const r = this.rng.next();
    if (r < 0.5) return this.rng.string(this.rng.range(0, 12), LCS_ALPHABET);
    if (r < 0.7) return this.smallInt();
    if (r < 0.85) return this.rng.bytes(this.rng.range(1, 8));
    return this.rng.string(this.rng.range(20, 200));
  }

  private niceFloatValue(): string {
    return this.rng.chance(0.5) ? String(this.rng.range(-1000, 1000)) : this.rng.pick(FLOATS_NICE);
  }

  private c(args: Arg[], compare?: DiffCommand['compare']): DiffCommand {
    return compare ? { args, compare } : { args };
  }

  // ---- command generators --------------------------------------------------

  private set(): DiffCommand {
    const rng = this.rng;
    const k = this.key();
    const v = FLOAT_KEYS.includes(k) ? this.niceFloatValue() : this.value(k);
    this.bounds.atLeast(k, len(v));
    const args: Arg[] = [this.name('SET'), k, v];
    const nOpts = rng.weighted([[5, 0], [5, 1], [2, 2], [0.6, 3]] as const);
    for (let i = 0; i < nOpts; i++) {
      const o = rng.weighted([
        [3, 'NX'], [3, 'XX'], [3, 'GET'], [3, 'EX'], [3, 'PX'], [2, 'EXAT'], [2, 'PXAT'], [2, 'KEEPTTL'], [0.3, 'PERSIST'], [0.3, 'FOO'],
      ] as const);
      args.push(this.opt(o));
      const bad = rng.chance(0.15);
      if (o === 'EX') args.push(bad ? this.badTime() : String(this.uniqueSecs()));
      else if (o === 'PX') args.push(bad ? this.badTime() : String(this.uniqueSecs() * 1000));
      else if (o === 'EXAT') args.push(bad ? this.badTime() : String(this.futureAbsSecs()));
      else if (o === 'PXAT') args.push(bad ? this.badTime() : String(this.futureAbsMs()));
    }
    if (rng.chance(0.03)) args.pop(); // e.g. "EX" without its argument
    return this.c(args);
  }

  private setnx(): DiffCommand {
    const k = this.key();
    const v = FLOAT_KEYS.includes(k) ? this.niceFloatValue() : this.value(k);
    this.bounds.atLeast(k, len(v));
    return this.c([this.name('SETNX'), k, v]);
  }

  private setex(ms: boolean): DiffCommand {
    const k = this.key();
    const v = FLOAT_KEYS.includes(k) ? this.niceFloatValue() : this.value(k);
    this.bounds.atLeast(k, len(v));
    const t = this.rng.chance(0.2) ? this.badTime() : String(ms ? this.uniqueSecs() * 1000 : this.uniqueSecs());
    return this.c([this.name(ms ? 'PSETEX' : 'SETEX'), k, t, v]);
  }

  private getLike(cmd: string): DiffCommand {
    return this.c([this.name(cmd), this.key()]);
  }

  private getex(): DiffCommand {
    const rng = this.rng;
    const args: Arg[] = [this.name('GETEX'), this.key()];
    const n = rng.weighted([[3, 0], [6, 1], [1, 2]] as const);
    for (let i = 0; i < n; i++) {
      const o = rng.pick(['EX', 'PX', 'EXAT', 'PXAT', 'PERSIST', 'KEEPTTL', 'NX'] as const);
      args.push(this.opt(o));
      const r = rng.next();
      if (o === 'EX') args.push(r < 0.15 ? this.badTime() : String(this.uniqueSecs()));
      else if (o === 'PX') args.push(r < 0.15 ? this.badTime() : String(this.uniqueSecs() * 1000));
      else if (o === 'EXAT') args.push(r < 0.15 ? this.badTime() : r < 0.3 ? this.pastAbsSecs() : String(this.futureAbsSecs()));
      else if (o === 'PXAT') args.push(r < 0.15 ? this.badTime() : r < 0.3 ? this.pastAbsMs() : String(this.futureAbsMs()));
    }
    if (rng.chance(0.03) && args.length > 2) args.pop();
    return this.c(args);
  }

  private range(cmd: string): DiffCommand {
    const rng = this.rng;
    const idx = () =>
      rng.weighted([
        [8, () => String(rng.range(-30, 30))],
        [2, () => String(rng.range(-2000, 2000))],
        [1, () => rng.pick(INT_EDGE)],
        [0.5, () => rng.pick(NOT_INT)],
      ] as const)();
    const args: Arg[] = [this.name(cmd), this.key(), idx(), idx()];
    if (rng.chance(0.03)) args.pop();
    return this.c(args);
  }

  private getset(): DiffCommand {
    const k = this.key();
    const v = FLOAT_KEYS.includes(k) ? this.niceFloatValue() : this.value(k);
    this.bounds.atLeast(k, len(v));
    return this.c([this.name('GETSET'), k, v]);
  }

  private append(): DiffCommand {
    const k = this.generalKey();
    const v = this.shortValue();
    this.bounds.add(k, len(v));
    return this.c([this.name('APPEND'), k, v]);
  }

  private setrange(): DiffCommand {
    const rng = this.rng;
    const k = this.generalKey();
    const r = rng.next();
    let off: string;
    let v: Arg = this.shortValue();
    if (r < 0.6) off = String(rng.range(0, 60));
    else if (r < 0.75) off = String(rng.range(0, 3000));
    else if (r < 0.78 && !LCS_KEYS.has(k)) off = String(rng.range(10_000, 70_000));
    else if (r < 0.85) off = String(rng.range(-5, -1));
    else if (r < 0.9) {
      // Just past the 512 MB limit: must fail before allocating anything.
      off = rng.pick(['536870912', '536870911', '9223372036854775807']);
      v = off === '536870911' ? 'xy' : 'x';
    }
    else if (r < 0.95) {
      off = rng.pick(['536870911', '536870912', '1000000']); // empty value: no allocation
      v = '';
    } else off = rng.pick(NOT_INT);
    const o = Number(off);
    if (Number.isInteger(o) && o >= 0 && o < 1_000_000 && len(v) > 0) this.bounds.atLeast(k, o + len(v));
    return this.c([this.name('SETRANGE'), k, off, v]);
  }

  private incrLike(): DiffCommand {
    const rng = this.rng;
    // The float keys must keep small values (see INCRBYFLOAT in the file comment).
    const k = this.hardFloats ? this.key() : this.generalKey();
    this.bounds.atLeast(k, 24);
    const cmd = rng.pick(['INCR', 'DECR', 'INCRBY', 'DECRBY'] as const);
    if (cmd === 'INCR' || cmd === 'DECR') return this.c([this.name(cmd), k]);
    return this.c([this.name(cmd), k, this.intArg()]);
  }

  private incrbyfloat(): DiffCommand {
    const rng = this.rng;
    if (this.hardFloats) {
      const k = this.key();
      this.bounds.atLeast(k, 400);
      const inc = rng.pick([...FLOATS_NICE, ...FLOATS_HARD, ...FLOATS_BAD, ...INT_EDGE]);
      return this.c([this.name('INCRBYFLOAT'), k, inc]);
    }
    if (rng.chance(0.7)) {
      const k = rng.pick(FLOAT_KEYS);
      const inc = rng.chance(0.9) ? this.niceFloatValue() : rng.pick(FLOATS_BAD);
      return this.c([this.name('INCRBYFLOAT'), k, inc]);
    }
    // Any other key: only increments that fail whatever the key holds.
    return this.c([this.name('INCRBYFLOAT'), this.generalKey(), rng.pick(['inf', '-inf', 'nan', 'abc', '', '1.5.5', ' 1'])]);
  }

  private lcs(): DiffCommand {
    const rng = this.rng;
    const group = rng.pick(LCS_GROUPS);
    const a = rng.pick(group);
    // Half the time the second key comes from the other group, which lives on another shard.
    const b = rng.chance(0.5) ? rng.pick(group) : rng.pick(LCS_GROUPS[0] === group ? LCS_GROUPS[1] : LCS_GROUPS[0]);
    if (Math.max(1, this.bounds.get(a)) * Math.max(1, this.bounds.get(b)) > LCS_MAX_CELLS) {
      return this.c([this.name('STRLEN'), a]);
    }
    const args: Arg[] = [this.name('LCS'), a, b];
    for (const o of rng.shuffle(['LEN', 'IDX', 'MINMATCHLEN', 'WITHMATCHLEN', 'FOO'])) {
      const p = o === 'FOO' ? 0.03 : o === 'LEN' ? 0.3 : 0.35;
      if (!rng.chance(p)) continue;
      args.push(this.opt(o));
      if (o === 'MINMATCHLEN') args.push(rng.weighted([[8, String(rng.range(0, 6))], [1, '-1'], [1, rng.pick(NOT_INT)]] as const));
    }
    return this.c(args);
  }

  private mget(): DiffCommand {
    return this.c([this.name('MGET'), ...this.keys(1, 6)]);
  }

  private mset(cmd: 'MSET' | 'MSETNX'): DiffCommand {
    const rng = this.rng;
    const args: Arg[] = [this.name(cmd)];
    const n = rng.range(1, 4);
    for (let i = 0; i < n; i++) {
      const k = this.generalKey();
      const v = this.value(k);
      this.bounds.atLeast(k, len(v));
      args.push(k, v);
    }
    if (rng.chance(0.05)) args.pop(); // odd number of arguments
    return this.c(args);
  }

  private multiKey(cmd: string): DiffCommand {
    return this.c([this.name(cmd), ...this.keys(1, 5)]);
  }

  private expire(): DiffCommand {
    const rng = this.rng;
    const cmd = rng.pick(['EXPIRE', 'PEXPIRE', 'EXPIREAT', 'PEXPIREAT'] as const);
    const r = rng.next();
    let t: string;
    if (r < 0.6) {
      t = cmd === 'EXPIRE' ? String(this.uniqueSecs())
        : cmd === 'PEXPIRE' ? String(this.uniqueSecs() * 1000)
        : cmd === 'EXPIREAT' ? String(this.futureAbsSecs())
        : String(this.futureAbsMs());
    } else if (r < 0.75) {
      // Deletes the key at once.
      t = cmd === 'EXPIREAT' ? this.pastAbsSecs() : cmd === 'PEXPIREAT' ? this.pastAbsMs() : rng.pick(['0', '-1', '-100000']);
    } else {
      t = rng.pick(['abc', '', '1.5', ' 10', '10 ', ...INT_EDGE]);
    }
    const args: Arg[] = [this.name(cmd), this.key(), t];
    const n = rng.weighted([[5, 0], [5, 1], [1, 2]] as const);
    for (let i = 0; i < n; i++) args.push(this.opt(rng.weighted([[3, 'NX'], [3, 'XX'], [3, 'GT'], [3, 'LT'], [0.3, 'FOO']] as const)));
    if (rng.chance(0.02)) args.pop();
    return this.c(args);
  }

  private ttl(): DiffCommand {
    const cmd = this.rng.pick(['TTL', 'PTTL', 'EXPIRETIME', 'PEXPIRETIME'] as const);
    return this.c([this.name(cmd), this.key()], cmd === 'TTL' || cmd === 'EXPIRETIME' ? TTL_S : TTL_MS);
  }

  private select(): DiffCommand {
    const db = this.rng.weighted([[20, () => String(this.rng.int(DBS))], [1, () => this.rng.pick(['16', '-1', 'a', '', '1.0', '9223372036854775808'])]] as const)();
    return this.c([this.name('SELECT'), db]);
  }

  private swapdb(): DiffCommand {
    const d = () => this.rng.weighted([[20, () => String(this.rng.int(DBS))], [1, () => this.rng.pick(['16', '-1', 'x', ''])]] as const)();
    return this.c([this.name('SWAPDB'), d(), d()]);
  }

  private flushdb(): DiffCommand {
    const args: Arg[] = [this.name('FLUSHDB')];
    const r = this.rng.next();
    if (r < 0.3) args.push(this.opt('ASYNC'));
    else if (r < 0.6) args.push(this.opt('SYNC'));
    else if (r < 0.65) args.push('FOO');
    return this.c(args);
  }

  private object(): DiffCommand {
    const r = this.rng.next();
    if (r < 0.9) return this.c([this.name('OBJECT'), this.opt('ENCODING'), this.key()]);
    if (r < 0.95) return this.c([this.name('OBJECT'), this.opt('ENCODING')]);
    return this.c([this.name('OBJECT'), 'FOO', this.key()]);
  }

  /** A command with a wrong number of arguments. */
  private arity(): DiffCommand {
    const rng = this.rng;
    const k = this.key();
    return this.c(
      rng.pick<Arg[]>([
        ['GET'], ['GET', k, k], ['SET', k], ['SET'], ['APPEND', k], ['STRLEN'], ['INCR'], ['INCRBY', k], ['DECRBY', k, '1', '2'],
        ['MGET'], ['MSET'], ['MSET', k], ['MSETNX', k], ['GETRANGE', k, '0'], ['SETRANGE', k, '0'], ['SETEX', k, '100'],
        ['PSETEX', k], ['GETSET', k], ['GETDEL'], ['GETEX'], ['LCS', k], ['DEL'], ['EXISTS'], ['TOUCH'], ['UNLINK'], ['TYPE'],
        ['TTL'], ['PTTL', k, k], ['EXPIRE', k], ['PEXPIREAT', k], ['EXPIRETIME'], ['PERSIST'], ['DBSIZE', k], ['KEYS'],
        ['SELECT'], ['SWAPDB', '0'], ['OBJECT'], ['SUBSTR', k, '1'], ['SETNX', k], ['INCRBYFLOAT', k], ['RANDOMKEY', k],
      ]).map((a, i) => (i === 0 ? this.name(String(a)) : a)),
    );
  }

  private unknown(): DiffCommand {
    return this.c([this.rng.pick(['FOO', 'SETT', 'GETT', '', 'get\r\n']), ...this.keys(0, 3)]);
  }

  /** One random command. */
  next(): DiffCommand {
    const rng = this.rng;
    const gen = rng.weighted<() => DiffCommand>([
      [12, () => this.set()],
      [2, () => this.setnx()],
      [2, () => this.setex(false)],
      [2, () => this.setex(true)],
      [9, () => this.getLike('GET')],
      [2, () => this.getLike('GETDEL')],
      [4, () => this.getex()],
      [3, () => this.range('GETRANGE')],
      [1, () => this.range('SUBSTR')],
      [2, () => this.getset()],
      [4, () => this.append()],
      [3, () => this.setrange()],
      [3, () => this.getLike('STRLEN')],
      [6, () => this.incrLike()],
      [3, () => this.incrbyfloat()],
      [3, () => this.lcs()],
      [3, () => this.mget()],
      [2, () => this.mset('MSET')],
      [2, () => this.mset('MSETNX')],
      [2, () => this.multiKey('DEL')],
      [1, () => this.multiKey('UNLINK')],
      [3, () => this.multiKey('EXISTS')],
      [1, () => this.multiKey('TOUCH')],
      [2, () => this.getLike('TYPE')],
      [7, () => this.expire()],
      [6, () => this.ttl()],
      [2, () => this.getLike('PERSIST')],
      [1.5, () => this.c([this.name('DBSIZE')])],
      [1.5, () => this.c([this.name('KEYS'), this.rng.pick(KEY_PATTERNS)], unordered)],
      [0.7, () => this.c([this.name('RANDOMKEY')], sameShape)],
      [2, () => this.select()],
      [0.7, () => this.swapdb()],
      [0.15, () => this.flushdb()],
      [3, () => this.object()],
      [1.5, () => this.arity()],
      [0.4, () => this.unknown()],
    ]);
    return gen();
  }

  /** Commands that read back the whole state of dbs 0..3 (run at the end of a sequence). */
  static dump(): DiffCommand[] {
    const out: DiffCommand[] = [];
    for (let db = 0; db < DBS; db++) {
      out.push({ args: ['SELECT', String(db)] }, { args: ['DBSIZE'] }, { args: ['KEYS', '*'], compare: unordered });
      for (const k of ALL_KEYS) {
        out.push({ args: ['GET', k] }, { args: ['PTTL', k], compare: TTL_MS }, { args: ['OBJECT', 'ENCODING', k] });
      }
    }
    out.push({ args: ['SELECT', '0'] });
    return out;
  }

  /** A sequence of n random commands followed by the state dump. */
  sequence(n: number): DiffCommand[] {
    const out: DiffCommand[] = [];
    for (let i = 0; i < n; i++) out.push(this.next());
    out.push(...StringsKeysGen.dump());
    return out;
  }
}
