/**
 * Random command sequences over the hash commands, for the differential test
 * against redis-server (test/differential/hashes.diff.test.ts).
 *
 * What keeps the two servers comparable:
 *  - A listpack hash answers in insertion order on both servers, a hashtable
 *    in each server's own hash order. Every whole-hash read (HGETALL, HKEYS,
 *    HVALS, HSCAN) is therefore preceded by OBJECT ENCODING of its key, whose
 *    comparator (`probe`) both checks the encoding and remembers it: the read
 *    is then compared exactly after "listpack" and as a multiset of fields
 *    (or field-value pairs) after "hashtable". The runner compares replies in
 *    command order, which is what makes this hand-over sound.
 *  - HSCAN of a hashtable with a small COUNT returns different cursors and
 *    slices; it is compared by shape. With a COUNT larger than the hash, both
 *    servers return everything and cursor 0, compared as a multiset.
 *  - HRANDFIELD is random: compared by shape (type, length, nesting,
 *    distinctness for positive counts); errors must be identical.
 *  - Multi-key commands (COPY, RENAME) take keys of one {tag} group, except a
 *    RENAME that moves a hash between groups (across shards).
 *  - CONFIG SET lowers and restores the listpack thresholds on both servers.
 */
import type { Arg, Reply } from '../helpers/resp.js';
import { parseOne } from '../helpers/resp.js';
import { type Comparator, type DiffCommand, exact } from '../helpers/differential.js';
import type { Rng } from '../helpers/rng.js';

const GROUP_H = ['{h}1', '{h}2', '{h}big', '{h}str'];
const GROUP_G = ['{g}a', '{g}b', '{g}\r\n'];
const GROUPS = [GROUP_H, GROUP_G];
const SOLO = ['ha', 'hb', 'bin\r\nhash', 'nul\0hash', 'str', ''];
export const HASH_KEYS: readonly string[] = [...GROUP_H, ...GROUP_G, ...SOLO];
const BIG_KEYS = ['{h}big', 'hb', '{g}b'];
const STRING_KEYS = ['{h}str', 'str'];

const INT_EDGE = ['9223372036854775807', '-9223372036854775808', '9223372036854775806', '-9223372036854775807', '9223372036854775808', '-9223372036854775809'];
const NOT_INT = ['abc', '', '1.5', ' 1', '1 ', '+1', '01', '0x1f', '1e3', '-0', '--1', '1\0'];
const FLOATS = ['1.5', '-0.25', '1e3', '3.0e-2', '0.1', '-1', '10', '5.0e3', '1e400', '-1e400', '0x10', '.5', '7.', '1e-400', '123456789012345678901234567890'];
const NOT_FLOAT = ['abc', '', ' 1', '1 ', 'inf', '-inf', 'nan', '1e', '1.5.5', '1\0'];
/** Fields that repeat, so commands find what earlier ones wrote. */
const FIELDS = ['f1', 'f2', 'f3', 'f4', 'f5', 'n', 'm', '', '\r\n', '\0', 'a\0b', 'ключ', 'x y', '123', '-7'];
/** Values that HINCRBY / HINCRBYFLOAT can or cannot read. */
const NUM_VALUES = ['0', '1', '-1', '42', '007', '1.5', '9223372036854775807', '-9223372036854775808', '9223372036854775806', '1e4932', 'abc', '', ' 1', '3.0'];

// ---- comparators -------------------------------------------------------------------

let lastEncoding = '';

/** OBJECT ENCODING: exact, and remembered for the read that follows. */
const probe: Comparator = (a, b) => {
  const r = parseOne(a);
  lastEncoding = r.type === 'bulk' && r.value !== null ? r.value.toString() : '';
  return a.equals(b);
};

function tryParse(b: Buffer): Reply | undefined {
  try {
    return parseOne(b);
  } catch {
    return undefined;
  }
}

function key(r: Reply): string {
  if (r.type === 'bulk' && r.value !== null) return `$${r.value.toString('latin1')}`;
  if (r.type === 'array' && r.value !== null) return `[${r.value.map(key).join(',')}]`;
  return JSON.stringify(r, (_k, v) => (typeof v === 'bigint' ? String(v) : v));
}

/** Items of an array / map reply as strings, `group` items per unit (2 for flat field-value arrays), sorted. */
function units(r: Reply, group: number): string[] | null {
  let items: Reply[];
  if (r.type === 'map') items = r.value.flat();
  else if ((r.type === 'array' || r.type === 'set') && r.value !== null) items = r.value;
  else return null;
  const out: string[] = [];
  for (let i = 0; i < items.length; i += group) out.push(items.slice(i, i + group).map(key).join('|'));
  return out.sort();
}

function sameUnits(a: Buffer, b: Buffer, group: number): boolean {
  const ra = tryParse(a);
  const rb = tryParse(b);
  if (!ra || !rb || ra.type !== rb.type) return false;
  const ua = units(ra, group);
  const ub = units(rb, group);
  return ua !== null && ub !== null && ua.length === ub.length && ua.every((x, i) => x === ub[i]);
}

/** Exact after a listpack probe, else the same multiset of `group`-item units. */
function byEncoding(group: number): Comparator {
  return (a, b) => (lastEncoding === 'hashtable' ? sameUnits(a, b, group) : exact(a, b));
}

/**
 * HSCAN: exact for listpacks; for hashtables, when the scan starts at 0 and
 * both finish in one call, the same pairs; otherwise (cursors of a hashtable
 * mean different things on the two servers) the same shape.
 */
const scanCompare = (fromStart: boolean): Comparator => (a, b) => {
  if (lastEncoding !== 'hashtable') return exact(a, b);
  const ra = tryParse(a);
  const rb = tryParse(b);
  if (!ra || !rb || ra.type !== 'array' || rb.type !== 'array' || ra.value === null || rb.value === null) return a.equals(b);
  const [ca, la] = ra.value as [Reply, Reply];
  const [cb, lb] = rb.value as [Reply, Reply];
  if (ca.type !== 'bulk' || cb.type !== 'bulk' || la.type !== 'array' || lb.type !== 'array') return false;
  const doneA = ca.value?.toString() === '0';
  const doneB = cb.value?.toString() === '0';
  if (fromStart && doneA && doneB) return sameUnits(encodeList(la), encodeList(lb), 2);
  return (la.value?.length ?? 0) % 2 === 0 && (lb.value?.length ?? 0) % 2 === 0;
};

function encodeList(r: Reply): Buffer {
  // Re-encode through the generic units() path: wrap as a raw reply again.
  const parts: Buffer[] = [];
  const items = r.type === 'array' && r.value !== null ? r.value : [];
  parts.push(Buffer.from(`*${items.length}\r\n`));
  for (const it of items) {
    if (it.type === 'bulk' && it.value !== null) parts.push(Buffer.from(`$${it.value.length}\r\n`), it.value, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

/** HRANDFIELD: errors and nulls exact; arrays of the same length and nesting, distinct fields when `distinct`. */
function randCompare(distinct: boolean, withValues: boolean): Comparator {
  return (a, b) => {
    if (a.equals(b)) return true;
    const ra = tryParse(a);
    const rb = tryParse(b);
    if (!ra || !rb || ra.type !== rb.type) return false;
    if (ra.type === 'bulk' && rb.type === 'bulk') return ra.value !== null && rb.value !== null;
    if (ra.type !== 'array' || rb.type !== 'array' || ra.value === null || rb.value === null) return false;
    if (ra.value.length !== rb.value.length) return false;
    const nested = rb.value.length > 0 && rb.value[0]!.type === 'array';
    if (nested !== (ra.value.length > 0 && ra.value[0]!.type === 'array')) return false;
    if (!distinct) return true;
    const fields = nested ? rb.value.map((p) => key((p as { value: Reply[] }).value[0]!)) : rb.value.filter((_, i) => !withValues || nested || i % 2 === 0).map(key);
    return new Set(fields).size === fields.length;
  };
}

// ---- generator -------------------------------------------------------------------

export class HashesGen {
  constructor(private readonly rng: Rng) {}

  private name(cmd: string): string {
    const r = this.rng.next();
    if (r < 0.7) return cmd;
    if (r < 0.9) return cmd.toLowerCase();
    let s = '';
    for (const ch of cmd) s += this.rng.chance(0.5) ? ch.toLowerCase() : ch;
    return s;
  }

  private opt(o: string): string {
    return this.rng.chance(0.8) ? o : o.toLowerCase();
  }

  private c(args: Arg[], compare?: Comparator): DiffCommand {
    return compare ? { args, compare } : { args };
  }

  private key(): string {
    return this.rng.chance(0.08) ? this.rng.pick(STRING_KEYS) : this.rng.pick(HASH_KEYS);
  }

  private field(): Arg {
    const rng = this.rng;
    const r = rng.next();
    if (r < 0.55) return rng.pick(FIELDS);
    if (r < 0.75) return `k${rng.range(0, 60)}`;
    if (r < 0.85) return rng.bytes(rng.range(1, 12));
    if (r < 0.97) return rng.string(rng.range(0, 20));
    return rng.string(rng.range(60, 90)); // around hash-max-listpack-value
  }

  private value(): Arg {
    const rng = this.rng;
    const r = rng.next();
    if (r < 0.35) return rng.pick(NUM_VALUES);
    if (r < 0.55) return String(rng.range(-1000, 1000));
    if (r < 0.7) return rng.string(rng.range(0, 20));
    if (r < 0.78) return rng.bytes(rng.range(1, 30));
    if (r < 0.9) return rng.string(rng.range(55, 75)); // both sides of 64
    if (r < 0.997) return rng.string(rng.range(100, 3000));
    return rng.string(rng.range(520_000, 560_000)); // streamed as a partial reply
  }

  private hset(): DiffCommand {
    const rng = this.rng;
    const cmd = rng.weighted([[6, 'HSET'], [2, 'HMSET']] as const);
    const n = rng.weighted([[6, 1], [3, rng.range(2, 5)], [1, rng.range(6, 30)]] as const);
    const args: Arg[] = [this.name(cmd), this.key()];
    for (let i = 0; i < n; i++) args.push(this.field(), this.value());
    if (rng.chance(0.04)) args.push(this.field()); // odd: arity error
    return this.c(args);
  }

  private bulkSet(): DiffCommand {
    const rng = this.rng;
    const args: Arg[] = [this.name('HSET'), rng.pick(BIG_KEYS)];
    const n = rng.range(100, 1200);
    const base = rng.range(0, 2000);
    for (let i = 0; i < n; i++) args.push(`bf${base + i}`, rng.chance(0.3) ? String(i) : rng.string(rng.range(0, 30)));
    return this.c(args);
  }

  private hdel(): DiffCommand {
    const rng = this.rng;
    const args: Arg[] = [this.name('HDEL'), this.key()];
    const n = rng.weighted([[5, 1], [3, rng.range(2, 6)], [1, rng.range(20, 400)]] as const);
    for (let i = 0; i < n; i++) args.push(rng.chance(0.5) ? this.field() : `bf${rng.range(0, 3000)}`);
    return this.c(args);
  }

  private incr(): DiffCommand {
    const rng = this.rng;
    const f = rng.chance(0.7) ? rng.pick(['n', 'm', 'f1', 'cnt', 'k1']) : this.field();
    if (rng.chance(0.5)) {
      const by = rng.weighted([
        [8, () => String(rng.range(-100, 100))],
        [2, () => rng.pick(INT_EDGE)],
        [1, () => rng.pick(NOT_INT)],
      ] as const)();
      return this.c([this.name('HINCRBY'), this.key(), f, by]);
    }
    const by = rng.weighted([
      [6, () => rng.pick(FLOATS)],
      [4, () => String(rng.range(-100, 100))],
      [1, () => rng.pick(NOT_FLOAT)],
    ] as const)();
    return this.c([this.name('HINCRBYFLOAT'), this.key(), f, by]);
  }

  private read(): DiffCommand {
    const rng = this.rng;
    const k = this.key();
    return rng.weighted<() => DiffCommand>([
      [4, () => this.c([this.name('HGET'), k, this.field()])],
      [2, () => this.c([this.name('HMGET'), k, ...Array.from({ length: rng.range(1, 6) }, () => this.field())])],
      [2, () => this.c([this.name('HEXISTS'), k, this.field()])],
      [2, () => this.c([this.name('HSTRLEN'), k, this.field()])],
      [2, () => this.c([this.name('HLEN'), k])],
      [1, () => this.c([this.name('HSETNX'), k, this.field(), this.value()])],
    ])();
  }

  /** A whole-hash read, preceded by its encoding probe. */
  private readAll(): DiffCommand[] {
    const rng = this.rng;
    const k = this.key();
    const p = this.c(['OBJECT', 'ENCODING', k], probe);
    const cmd = rng.pick(['HGETALL', 'HKEYS', 'HVALS', 'HSCAN']);
    if (cmd === 'HGETALL') return [p, this.c([this.name(cmd), k], byEncoding(2))];
    if (cmd !== 'HSCAN') return [p, this.c([this.name(cmd), k], byEncoding(1))];
    const args: Arg[] = [this.name('HSCAN'), k];
    const cursor = rng.weighted([
        [8, () => '0'],
        [1, () => rng.pick(['-1', '+0', '', '18446744073709551615', '12345'])],
        [0.5, () => rng.pick(['abc', ' 0', '0 ', '18446744073709551616', '-', '1.0'])],
      ] as const)();
    args.push(cursor);
    const n = rng.weighted([[3, 0], [4, 1], [2, 2]] as const);
    for (let i = 0; i < n; i++) {
      const o = rng.weighted([[4, 'COUNT'], [4, 'MATCH'], [0.3, 'TYPE'], [0.2, 'NOVALUES']] as const);
      args.push(this.opt(o));
      if (o === 'COUNT') {
        args.push(
          rng.weighted([
            [6, () => String(rng.range(100_000, 200_000))],
            [3, () => String(rng.range(1, 20))],
            [1, () => rng.pick(['0', '-1', ...NOT_INT])],
          ] as const)(),
        );
      } else if (o === 'MATCH') args.push(rng.pick(['*', 'f*', 'k1*', '*[0-9]', 'bf1??', '\\*', '[', 'k?']));
      else if (o === 'TYPE') args.push('string');
    }
    if (rng.chance(0.03)) args.pop();
    return [p, this.c(args, scanCompare(['0', '+0', '-0', ''].includes(cursor)))];
  }

  private rand(): DiffCommand {
    const rng = this.rng;
    const k = this.key();
    const r = rng.next();
    if (r < 0.2) return this.c([this.name('HRANDFIELD'), k], randCompare(false, false));
    const count = rng.weighted<() => number | string>([
      [6, () => rng.range(-5, 5)],
      [3, () => rng.range(-600, 600)],
      [0.6, () => rng.pick(['abc', '1.5', '', ...INT_EDGE, '-4611686018427387903', '-4611686018427387904', '4611686018427387904'])],
    ] as const)();
    const args: Arg[] = [this.name('HRANDFIELD'), k, String(count)];
    const wv = rng.chance(0.5);
    if (wv) args.push(this.opt('WITHVALUES'));
    if (rng.chance(0.03)) args.push(rng.pick(['WITHVALUES', 'x']));
    if (rng.chance(0.03) && !wv) args.push('WITHVALUE');
    // A valid huge negative count makes Redis answer billions of fields: keep
    // only the huge counts that end in an error (INT64_MIN, or WITHVALUES
    // beyond LONG_MAX/2, or a syntax error).
    const valid = args.length === 3 || (args.length === 4 && String(args[3]).toUpperCase() === 'WITHVALUES');
    if (valid && typeof count === 'string' && /^-\d{7,}/.test(count) && count !== '-9223372036854775808') {
      const tooBigForWv = BigInt(count) < -4611686018427387903n;
      if (args.length === 3 || !tooBigForWv) args[2] = '-3';
    }
    const distinct = typeof count === 'number' ? count > 0 : false;
    // The reply has values when the command as sent asks for them: the extra
    // argument above may have added WITHVALUES to a command without it.
    const withValues = args.length === 4 && String(args[3]).toUpperCase() === 'WITHVALUES';
    return this.c(args, randCompare(distinct, withValues));
  }

  private config(): DiffCommand {
    const rng = this.rng;
    if (rng.chance(0.5)) return this.c(['CONFIG', 'SET', 'hash-max-listpack-entries', String(rng.pick([0, 1, 2, 4, 8, 16, 128, 512]))]);
    return this.c(['CONFIG', 'SET', 'hash-max-listpack-value', String(rng.pick([0, 1, 4, 8, 16, 64, 100]))]);
  }

  private setString(): DiffCommand {
    const k = this.rng.chance(0.95) ? this.rng.pick(STRING_KEYS) : this.key();
    return this.c([this.name('SET'), k, this.rng.pick(['v', '123'])]);
  }

  private rename(): DiffCommand {
    const rng = this.rng;
    if (rng.chance(0.7)) {
      const g = rng.pick(GROUPS);
      const [a, b] = [rng.pick(g), rng.pick(g)];
      if (rng.chance(0.5)) return this.c([this.name('COPY'), a, b, ...(rng.chance(0.5) ? [this.opt('REPLACE')] : [])]);
      return this.c([this.name(rng.pick(['RENAME', 'RENAMENX'])), a, b]);
    }
    // Across shards: the hash serialized on one shard and rebuilt on another.
    const a = rng.pick(GROUP_H.filter((k) => k !== '{h}str'));
    const b = rng.pick(GROUP_G);
    if (rng.chance(0.3)) return this.c([this.name('COPY'), ...(rng.chance(0.5) ? [a, b] : [b, a]), 'REPLACE']);
    return this.c([this.name('RENAME'), ...(rng.chance(0.5) ? [a, b] : [b, a])]);
  }

  private arity(): DiffCommand {
    const k = this.key();
    return this.c(
      this.rng
        .pick<Arg[]>([
          ['HSET', k], ['HSET', k, 'f'], ['HSET', k, 'f', 'v', 'g'], ['HMSET', k, 'f'], ['HMSET', k, 'f', 'v', 'g'], ['HSETNX', k, 'f'],
          ['HGET', k], ['HGET', k, 'a', 'b'], ['HMGET', k], ['HDEL', k], ['HLEN'], ['HLEN', k, k], ['HEXISTS', k], ['HSTRLEN', k],
          ['HINCRBY', k, 'f'], ['HINCRBYFLOAT', k, 'f', '1', '2'], ['HGETALL'], ['HKEYS', k, k], ['HVALS'], ['HRANDFIELD'],
          ['HSCAN', k], ['HSCAN'],
        ])
        .map((a, i) => (i === 0 ? this.name(String(a)) : a)),
    );
  }

  next(): DiffCommand[] {
    const rng = this.rng;
    return rng.weighted<() => DiffCommand | DiffCommand[]>([
      [14, () => this.hset()],
      [1.2, () => this.bulkSet()],
      [6, () => this.hdel()],
      [7, () => this.incr()],
      [12, () => this.read()],
      [6, () => this.readAll()],
      [4, () => this.rand()],
      [0.8, () => this.config()],
      [1.5, () => this.setString()],
      [1, () => this.c([this.name(rng.pick(['DEL', 'UNLINK'])), this.key()])],
      [1, () => this.c([this.name('TYPE'), this.key()])],
      [1, () => this.c([this.name('OBJECT'), 'ENCODING', this.key()], probe)],
      [1, () => this.c([this.name('EXISTS'), this.key()])],
      [1.5, () => this.rename()],
      [0.4, () => this.c([this.name('MOVE'), this.key(), '1'])],
      [0.5, () => this.c([this.name('SELECT'), String(rng.int(2))])],
      [1.5, () => this.arity()],
    ])() as DiffCommand[];
  }

  /** Reads back every key of dbs 0 and 1. */
  static dump(): DiffCommand[] {
    const out: DiffCommand[] = [];
    for (const db of ['0', '1']) {
      out.push({ args: ['SELECT', db] }, { args: ['DBSIZE'] });
      for (const k of HASH_KEYS) {
        out.push(
          { args: ['TYPE', k] },
          { args: ['HLEN', k] },
          { args: ['OBJECT', 'ENCODING', k], compare: probe },
          { args: ['HGETALL', k], compare: byEncoding(2) },
        );
      }
    }
    out.push({ args: ['SELECT', '0'] });
    return out;
  }

  /** `n` random commands (a whole-hash read counts as one), then the dump. */
  sequence(n: number, thresholds: [number, number]): DiffCommand[] {
    const out: DiffCommand[] = [
      { args: ['CONFIG', 'SET', 'hash-max-listpack-entries', String(thresholds[0])] },
      { args: ['CONFIG', 'SET', 'hash-max-listpack-value', String(thresholds[1])] },
    ];
    for (let i = 0; i < n; i++) {
      const c = this.next();
      if (Array.isArray(c)) out.push(...c);
      else out.push(c);
    }
    out.push(...HashesGen.dump());
    out.push({ args: ['CONFIG', 'SET', 'hash-max-listpack-entries', '512'] }, { args: ['CONFIG', 'SET', 'hash-max-listpack-value', '64'] });
    return out;
  }
}
