/**
 * Random command sequences over the set commands, for the differential test
 * against redis-server 7.0 (test/differential/sets.diff.test.ts). Shoal runs
 * with set-max-listpack-entries 0, so its encodings are 7.0's (intset and
 * hashtable).
 *
 * Rules that keep both servers able to give the same answer:
 *  - Multi-key commands take their keys from one {hash tag} group.
 *  - Replies whose order is hash order (SMEMBERS, SINTER, SUNION, SDIFF,
 *    SSCAN) are compared unordered; intset order is checked by the fixed
 *    sequence in the test file.
 *  - Random commands: SRANDMEMBER compares shapes (type, length, distinct
 *    members for a positive count); SPOP with a count below the size runs on
 *    a scratch key of known members, compares shapes and membership, checks
 *    SCARD, then deletes the key so the servers are in step again. SPOP of
 *    everything is deterministic (unordered).
 *  - Redis 7.2 converts an intset to a hashtable when SADD names more
 *    members than set-max-intset-entries, even duplicates; 7.0 does not. So
 *    small SADDs name at most 4 members while set-max-intset-entries stays at
 *    8 or more, and bulk SADDs add members that are all new.
 */
import type { Arg } from '../helpers/resp.js';
import { type Comparator, type DiffCommand, unordered } from '../helpers/differential.js';
import { parseOne, type Reply } from '../helpers/resp.js';
import type { Rng } from '../helpers/rng.js';

const GROUP_S = ['{s}a', '{s}b', '{s}c', '{s}big', '{s}str'];
const GROUP_T = ['{t}1', '{t}2', '{t}\r\n', '{t}\0'];
const GROUPS = [GROUP_S, GROUP_T];
const SOLO = ['sa', 'sb', 'bin\r\nset', 'str', ''];
export const SET_KEYS: readonly string[] = [...GROUP_S, ...GROUP_T, ...SOLO];
const STRING_KEYS = ['{s}str', 'str'];
const SCRATCH = '{s}scratch';

const INT_EDGE = [
  '9223372036854775807', '-9223372036854775808', '32767', '32768', '-32768', '-32769', '2147483647',
  '2147483648', '-2147483648', '-2147483649', '9007199254740993',
];
const NOT_INT = ['abc', '', '1.5', ' 1', '1 ', '+1', '01', '-0', '9223372036854775808', '-9223372036854775809', '1\0'];
const COMMON = ['a', 'b', 'c', '', '\r\n', '\0', 'a\0b', 'x y', 'ключ', '007'];

function tryParse(b: Buffer): Reply | undefined {
  try {
    return parseOne(b);
  } catch {
    return undefined;
  }
}

function items(r: Reply | undefined): Reply[] | null {
  if (r === undefined) return null;
  if (r.type === 'array' || r.type === 'set') return r.value ?? null;
  return null;
}

/** Same aggregate type and length; for `distinct`, the target's members are distinct. */
function sameShape(distinct: boolean): Comparator {
  return (a, b) => {
    if (a.equals(b)) return true;
    const ra = tryParse(a);
    const rb = tryParse(b);
    if (!ra || !rb || ra.type !== rb.type) return false;
    if (ra.type === 'bulk' && rb.type === 'bulk') return (ra.value === null) === (rb.value === null);
    const ia = items(ra);
    const ib = items(rb);
    if (ia === null || ib === null || ia.length !== ib.length) return false;
    if (distinct) {
      const seen = new Set(ib.map((x) => (x.type === 'bulk' && x.value ? x.value.toString('latin1') : '?')));
      if (seen.size !== ib.length) return false;
    }
    return true;
  };
}

/** Both replies list members of `pool`, the same number of them. */
function subsetOf(pool: readonly string[]): Comparator {
  const ok = new Set(pool);
  const shape = sameShape(true);
  return (a, b) => {
    if (!shape(a, b)) return false;
    for (const raw of [a, b]) {
      const r = tryParse(raw);
      const list = items(r) ?? (r?.type === 'bulk' && r.value ? [r] : []);
      for (const x of list) if (x.type !== 'bulk' || x.value === null || !ok.has(x.value.toString('latin1'))) return false;
    }
    return true;
  };
}

/** An SSCAN reply: same cursor, members unordered. */
const scanUnordered: Comparator = (a, b) => {
  if (a.equals(b)) return true;
  const ra = items(tryParse(a));
  const rb = items(tryParse(b));
  if (!ra || !rb || ra.length !== 2 || rb.length !== 2) return false;
  const ca = ra[0]!;
  const cb = rb[0]!;
  if (ca.type !== 'bulk' || cb.type !== 'bulk' || !ca.value || !cb.value || !ca.value.equals(cb.value)) return false;
  const enc = (r: Reply): Buffer => {
    const parts = items(r) ?? [];
    return Buffer.from(
      parts
        .map((x) => (x.type === 'bulk' && x.value ? x.value.toString('latin1') : '?'))
        .sort()
        .join('\u0001'),
      'latin1',
    );
  };
  return enc(ra[1]!).equals(enc(rb[1]!));
};

/** Any set encoding on both sides (Shoal with listpacks vs Redis 7.0), or the same reply. */
const SET_ENCODINGS = new Set(['intset', 'listpack', 'hashtable']);
const anySetEncoding: Comparator = (a, b) => {
  if (a.equals(b)) return true;
  const ra = tryParse(a);
  const rb = tryParse(b);
  if (ra?.type !== 'bulk' || rb?.type !== 'bulk' || !ra.value || !rb.value) return false;
  return SET_ENCODINGS.has(ra.value.toString()) && SET_ENCODINGS.has(rb.value.toString());
};

export class SetsGen {
  private fresh = 0;
  /**
   * `laxEncoding`: Shoal keeps its listpack encoding (7.2), so OBJECT
   * ENCODING only has to name a set encoding on both sides; contents,
   * errors and counts are still compared.
   */
  constructor(
    private readonly rng: Rng,
    private readonly laxEncoding = false,
  ) {}

  private encoding(key: string): DiffCommand {
    return this.c([this.name('OBJECT'), this.opt('ENCODING'), key], this.laxEncoding ? anySetEncoding : undefined);
  }

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
    if (this.rng.chance(0.08)) return this.rng.pick(STRING_KEYS);
    return this.rng.pick(SET_KEYS);
  }

  private group(): string[] {
    return this.rng.pick(GROUPS);
  }

  private member(): Arg {
    const rng = this.rng;
    const r = rng.next();
    if (r < 0.4) return String(rng.range(-15, 15));
    if (r < 0.5) return rng.pick(INT_EDGE);
    if (r < 0.55) return rng.pick(NOT_INT);
    if (r < 0.8) return rng.pick(COMMON);
    if (r < 0.9) return rng.string(rng.range(0, 8), 'abcd');
    if (r < 0.96) return rng.bytes(rng.range(1, 12));
    return rng.string(rng.range(60, 300));
  }

  // ---- generators ------------------------------------------------------------

  private sadd(): DiffCommand {
    const n = this.rng.weighted([[6, 1], [4, this.rng.range(2, 4)]] as const);
    const args: Arg[] = [this.name('SADD'), this.key()];
    for (let i = 0; i < n; i++) args.push(this.member());
    return this.c(args);
  }

  /** Many members, all new (integers or strings), so sets cross the thresholds. */
  private bulkAdd(): DiffCommand {
    const rng = this.rng;
    const ints = rng.chance(0.6);
    const n = rng.weighted([[3, rng.range(5, 60)], [2, rng.range(400, 700)]] as const);
    const args: Arg[] = [this.name('SADD'), rng.pick(['{s}big', '{s}a', '{t}1', 'sa', 'sb'])];
    for (let i = 0; i < n; i++) {
      const f = this.fresh++;
      args.push(ints ? String(100000 + f * (rng.chance(0.5) ? 1 : -7)) : `m${f}`);
    }
    return this.c(args);
  }

  private srem(): DiffCommand {
    const n = this.rng.weighted([[6, 1], [4, this.rng.range(2, 6)]] as const);
    const args: Arg[] = [this.name('SREM'), this.key()];
    for (let i = 0; i < n; i++) args.push(this.member());
    return this.c(args);
  }

  private setOp(): DiffCommand[] {
    const rng = this.rng;
    const g = this.group();
    const cmd = rng.pick(['SINTER', 'SUNION', 'SDIFF']);
    const store = rng.chance(0.45);
    const n = rng.range(1, 4);
    const keys: string[] = [];
    for (let i = 0; i < n; i++) keys.push(rng.chance(0.12) ? g[0]!.replace(/[^}]*$/, 'none') : rng.pick(g));
    if (!store) return [this.c([this.name(cmd), ...keys], unordered)];
    const dst = rng.pick(g);
    return [
      this.c([this.name(`${cmd}STORE`), dst, ...keys]),
      this.encoding(dst),
      this.c([this.name('SMEMBERS'), dst], unordered),
    ];
  }

  private sintercard(): DiffCommand {
    const rng = this.rng;
    const g = this.group();
    const r = rng.next();
    if (r < 0.12) {
      return this.c([this.name('SINTERCARD'), rng.pick(['0', '-1', 'abc', '', '9223372036854775808']), rng.pick(g)]);
    }
    const n = rng.range(1, 3);
    const args: Arg[] = [this.name('SINTERCARD'), String(n)];
    for (let i = 0; i < n; i++) args.push(rng.pick(g));
    if (r < 0.2) {
      // numkeys past every argument (never half-way: Shoal would see keys of other shards)
      args[1] = String(n + rng.range(1, 3));
      return this.c(args);
    }
    const o = rng.next();
    if (o < 0.4) args.push(this.opt('LIMIT'), String(rng.range(0, 5)));
    else if (o < 0.5) args.push(this.opt('LIMIT'), rng.pick(['-1', 'x', '1.5']));
    else if (o < 0.55) args.push(this.opt('LIMIT'));
    else if (o < 0.6) args.push('LIMITS', '1');
    else if (o < 0.65) args.push(this.opt('LIMIT'), '1', this.opt('LIMIT'), '2');
    return this.c(args);
  }

  private smove(): DiffCommand {
    const g = this.group();
    return this.c([this.name('SMOVE'), this.rng.pick(g), this.rng.pick(g), this.member()]);
  }

  private srandmember(): DiffCommand {
    const rng = this.rng;
    const k = this.key();
    const r = rng.next();
    if (r < 0.2) return this.c([this.name('SRANDMEMBER'), k], sameShape(false));
    // Positive counts: small ones, and ones that reach both of Redis's
    // strategies for distinct picks on a big set (random picks below a third
    // of the size, a shuffle of all the members above).
    if (r < 0.45) return this.c([this.name('SRANDMEMBER'), k, String(rng.chance(0.7) ? rng.range(0, 8) : rng.range(9, 600))], sameShape(true));
    if (r < 0.55) return this.c([this.name('SRANDMEMBER'), k, String(rng.range(100000, 200000))], unordered);
    if (r < 0.8) return this.c([this.name('SRANDMEMBER'), k, String(-rng.range(1, 30))], sameShape(false));
    if (r < 0.9) return this.c([this.name('SRANDMEMBER'), k, rng.pick(['abc', '-9223372036854775808', '1.5', ''])]);
    return this.c([this.name('SRANDMEMBER'), k, '1', rng.pick(['2', 'x'])]);
  }

  /** SPOP where the outcome is deterministic (everything, nothing, errors). */
  private spop(): DiffCommand {
    const rng = this.rng;
    const k = this.key();
    const r = rng.next();
    if (r < 0.4) return this.c([this.name('SPOP'), k, String(rng.range(100000, 200000))], unordered);
    if (r < 0.55) return this.c([this.name('SPOP'), k, '0'], unordered);
    if (r < 0.8) return this.c([this.name('SPOP'), k, rng.pick(['-1', 'abc', '1.5', '-9223372036854775808'])]);
    if (r < 0.9) return this.c([this.name('SPOP'), k, '1', '2']);
    return this.c([this.name('SPOP'), 'nokey']);
  }

  /** SPOP of part of a scratch set of known members, then SCARD, then DEL (back in step). */
  private spopScratch(): DiffCommand[] {
    const rng = this.rng;
    const ints = rng.chance(0.5);
    const size = rng.weighted([[3, rng.range(2, 12)], [1, rng.range(520, 800)]] as const);
    const pool: string[] = [];
    for (let i = 0; i < size; i++) pool.push(ints ? String(i * 3 - 10) : `p${i}`);
    const out: DiffCommand[] = [this.c(['DEL', SCRATCH]), this.c(['SADD', SCRATCH, ...pool])];
    const pops = rng.range(1, 3);
    let left = size;
    for (let i = 0; i < pops && left > 1; i++) {
      if (rng.chance(0.3)) {
        out.push(this.c([this.name('SPOP'), SCRATCH], subsetOf(pool)));
        left--;
      } else {
        const n = rng.range(1, left - 1);
        out.push(this.c([this.name('SPOP'), SCRATCH, String(n)], subsetOf(pool)));
        left -= n;
      }
      out.push(this.c(['SCARD', SCRATCH]), this.encoding(SCRATCH));
    }
    out.push(this.c(['DEL', SCRATCH]));
    return out;
  }

  private sscan(): DiffCommand {
    const rng = this.rng;
    const k = this.key();
    const r = rng.next();
    if (r < 0.15) return this.c([this.name('SSCAN'), k, rng.pick(['abc', '-', ' 1', '18446744073709551616', '1x'])]);
    // A COUNT that finishes the scan in one call, so both cursors are 0.
    // Spellings of cursor 0 that strtoul accepts.
    const zero = rng.weighted([[8, '0'], [1, ''], [1, '+0'], [1, '-0']] as const);
    const args: Arg[] = [this.name('SSCAN'), k, zero, this.opt('COUNT'), '100000'];
    const o = rng.next();
    if (o < 0.4) args.push(this.opt('MATCH'), rng.pick(['*', '1*', '*a*', '-?', '[ab]*', 'm1*', '\\*']));
    else if (o < 0.5) args.push(this.opt('COUNT'), rng.pick(['0', '-1', 'x']));
    else if (o < 0.55) args.push(this.opt('MATCH'));
    else if (o < 0.6) args.push('TYPE', 'set');
    return this.c(args, scanUnordered);
  }

  private smismember(): DiffCommand {
    const args: Arg[] = [this.name('SMISMEMBER'), this.key()];
    const n = this.rng.range(1, 4);
    for (let i = 0; i < n; i++) args.push(this.member());
    return this.c(args);
  }

  private setString(): DiffCommand {
    return this.c([this.name('SET'), this.rng.pick(STRING_KEYS), this.rng.pick(['x', '1'])]);
  }

  private config(): DiffCommand {
    return this.c(['CONFIG', 'SET', 'set-max-intset-entries', this.rng.pick(['8', '20', '64', '512'])]);
  }

  private arity(): DiffCommand {
    const k = this.key();
    return this.c(
      this.rng
        .pick<Arg[]>([
          ['SADD', k], ['SADD'], ['SREM', k], ['SCARD'], ['SCARD', k, k], ['SISMEMBER', k], ['SMISMEMBER', k],
          ['SMEMBERS'], ['SMEMBERS', k, k], ['SMOVE', k, k], ['SPOP'], ['SRANDMEMBER'], ['SSCAN', k], ['SINTER'],
          ['SUNION'], ['SDIFF'], ['SINTERSTORE', k], ['SUNIONSTORE', k], ['SDIFFSTORE', k], ['SINTERCARD', '1'],
        ])
        .map((a, i) => (i === 0 ? this.name(String(a)) : a)),
    );
  }

  next(): DiffCommand[] {
    const rng = this.rng;
    const gen = rng.weighted<() => DiffCommand | DiffCommand[]>([
      [14, () => this.sadd()],
      [1.5, () => this.bulkAdd()],
      [6, () => this.srem()],
      [3, () => this.c([this.name('SCARD'), this.key()])],
      [4, () => this.c([this.name('SISMEMBER'), this.key(), this.member()])],
      [3, () => this.smismember()],
      [4, () => this.c([this.name('SMEMBERS'), this.key()], unordered)],
      [7, () => this.setOp()],
      [3, () => this.sintercard()],
      [4, () => this.smove()],
      [4, () => this.srandmember()],
      [3, () => this.spop()],
      [1.5, () => this.spopScratch()],
      [3, () => this.sscan()],
      [1.5, () => this.setString()],
      [1, () => this.c([this.name('DEL'), this.key()])],
      [1, () => this.c([this.name('TYPE'), this.key()])],
      [3, () => this.encoding(this.key())],
      [0.4, () => this.config()],
      [1.5, () => this.arity()],
    ]);
    const r = gen();
    return Array.isArray(r) ? r : [r];
  }

  /** Reads back every key. */
  dump(): DiffCommand[] {
    const out: DiffCommand[] = [{ args: ['DBSIZE'] }, { args: ['KEYS', '*'], compare: unordered }];
    for (const k of SET_KEYS) {
      out.push({ args: ['TYPE', k] }, { args: ['SCARD', k] }, { args: ['SMEMBERS', k], compare: unordered }, this.c(['OBJECT', 'ENCODING', k], this.laxEncoding ? anySetEncoding : undefined));
    }
    return out;
  }

  sequence(n: number): DiffCommand[] {
    const out: DiffCommand[] = [];
    while (out.length < n) out.push(...this.next());
    out.push(...this.dump());
    return out;
  }
}
