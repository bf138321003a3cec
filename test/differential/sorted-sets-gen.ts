/**
 * Random command sequences over the sorted-set commands, for the
 * differential test against redis-server (sorted-sets.diff.test.ts).
 *
 * Rules that keep both servers able to give the same answer:
 *  - Multi-key commands take their keys from one {hash tag} group (one
 *    shard in Shoal). RENAME also moves sets across groups (across shards).
 *  - Lex-range commands go to keys whose members all have score 0: Redis's
 *    lex range on mixed scores depends on the skiplist's random levels.
 *    Those keys are never a store destination and never get ZINCRBY.
 *  - ZRANDMEMBER and ZSCAN are random or cursor-dependent: compared by shape
 *    and length (ZSCAN's full contract is in the integration test).
 *  - The listpack thresholds are lowered and raised with CONFIG SET on both
 *    servers, so sets cross them both ways in one run.
 */
import type { Arg } from '../helpers/resp.js';
import { type Comparator, type DiffCommand, sameShape, unordered } from '../helpers/differential.js';
import { parseOne } from '../helpers/resp.js';
import type { Rng } from '../helpers/rng.js';

const GROUP_Z = ['{z}a', '{z}b', '{z}c', '{z}big', '{z}str'];
const GROUP_Y = ['{y}a', '{y}b', '{y}\r\n'];
const GROUPS = [GROUP_Z, GROUP_Y];
const SOLO = ['za', 'zb', 'bin\0key', 'str'];
const LEX = ['{z}lex', 'lex'];
export const ZSET_KEYS: readonly string[] = [...GROUP_Z, ...GROUP_Y, ...SOLO, ...LEX];
const STRING_KEYS = ['{z}str', 'str'];
const BIG_KEYS = ['{z}big', 'zb', '{y}b'];

const INT_EDGE = ['9223372036854775807', '-9223372036854775808', '9223372036854775808', '-9223372036854775809'];
const NOT_INT = ['abc', '', '1.5', ' 1', '+1', '01', '1e3'];
const SCORES = ['0', '1', '-1', '2', '3', '10', '0.1', '0.5', '1.5', '-2.25', '100', '1e20', '-1e20', '1e308', '5e-324', '1e-300', '4503599627370497', '0x10', '+3', '.5', '3.', 'inf', '-inf', '+inf', '-Inf', 'INF', 'infinity', '-0'];
const BAD_SCORES = ['nan', 'NaN', 'abc', '', ' 1', '1 ', '1e400', '--1', '1\0'];
const MEMBERS = ['a', 'b', 'c', 'd', 'e', '', '\r\n', '\0', 'a\0b', '1', '-1', 'x y', 'ключ', 'aa', 'ab', 'b\xff', 'zz'];

/** Same reply type, and same length for aggregates (ZRANDMEMBER). */
const sameLength: Comparator = (a, b) => {
  if (a.equals(b)) return true;
  const ra = parseOne(a);
  const rb = parseOne(b);
  if (ra.type !== rb.type) return false;
  if (ra.type === 'array' && rb.type === 'array') return (ra.value?.length ?? -1) === (rb.value?.length ?? -1);
  return sameShape(a, b);
};

/**
 * ZRANDMEMBER: sameLength, and for a positive count distinct members (every
 * other item of a flat WITHSCORES reply, the first of each RESP3 pair).
 */
function randMembers(distinct: boolean, withscores: boolean): Comparator {
  return (a, b) => {
    if (!sameLength(a, b)) return false;
    if (!distinct || a.equals(b)) return true;
    const rb = parseOne(b);
    if (rb.type !== 'array' || rb.value === null) return true;
    const members: string[] = [];
    rb.value.forEach((x, i) => {
      if (x.type === 'array' && x.value !== null) members.push(String(x.value[0]?.type === 'bulk' ? x.value[0].value?.toString('latin1') : '?'));
      else if (!withscores || i % 2 === 0) members.push(x.type === 'bulk' && x.value !== null ? x.value.toString('latin1') : '?');
    });
    return new Set(members).size === members.length;
  };
}

export class ZsetGen {
  constructor(private readonly rng: Rng) {}

  private name(cmd: string): string {
    const r = this.rng.next();
    if (r < 0.75) return cmd;
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
    if (this.rng.chance(0.07)) return this.rng.pick(STRING_KEYS);
    return this.rng.pick([...GROUP_Z, ...GROUP_Y, ...SOLO]);
  }

  private group(): string[] {
    return this.rng.pick(GROUPS);
  }

  private score(): string {
    const rng = this.rng;
    return rng.weighted([
      [10, () => String(rng.range(-20, 20))],
      [6, () => rng.pick(SCORES)],
      [3, () => (rng.range(-100000, 100000) / rng.pick([10, 100, 7, 3])).toString()],
      [0.4, () => rng.pick(BAD_SCORES)],
    ] as const)();
  }

  private member(): Arg {
    const rng = this.rng;
    const r = rng.next();
    if (r < 0.5) return rng.pick(MEMBERS);
    if (r < 0.75) return String(rng.range(0, 300));
    if (r < 0.88) return rng.string(rng.range(1, 12), 'abcde');
    if (r < 0.95) return rng.bytes(rng.range(1, 20));
    return rng.string(rng.range(60, 200)); // past zset-max-listpack-value
  }

  private bound(): string {
    const rng = this.rng;
    return rng.weighted([
      [8, () => (rng.chance(0.3) ? '(' : '') + String(rng.range(-20, 20))],
      [3, () => rng.pick(['-inf', '+inf', '(-inf', '(+inf', 'inf', '(1.5', '0.1', '(0x10', '1e20'])],
      [0.5, () => rng.pick(['abc', '(', '((1', 'nan', '[1', '', '1\0x'])],
    ] as const)();
  }

  private lexBound(): string {
    const rng = this.rng;
    return rng.weighted([
      [8, () => rng.pick(['[', '(']) + rng.pick(MEMBERS.slice(0, 8).concat(['aa', 'ab', 'c', '1']))],
      [3, () => rng.pick(['-', '+'])],
      [0.5, () => rng.pick(['a', '', '+x', '-\0', '[', '('])],
    ] as const)();
  }

  private index(): string {
    const rng = this.rng;
    return rng.weighted([
      [8, () => String(rng.range(-12, 12))],
      [3, () => String(rng.range(-400, 400))],
      [0.5, () => rng.pick(INT_EDGE)],
      [0.3, () => rng.pick(NOT_INT)],
    ] as const)();
  }

  private count(): string {
    const rng = this.rng;
    return rng.weighted([
      [8, () => String(rng.range(0, 6))],
      [2, () => String(rng.range(7, 500))],
      [0.6, () => rng.pick(['-1', '-5', ...INT_EDGE, ...NOT_INT])],
    ] as const)();
  }

  private limit(args: Arg[]): void {
    if (!this.rng.chance(0.35)) return;
    const rng = this.rng;
    args.push(this.opt('LIMIT'), rng.chance(0.9) ? String(rng.range(-1, 6)) : rng.pick(['x', ...INT_EDGE]), rng.chance(0.9) ? String(rng.range(-2, 8)) : rng.pick(['x', ...INT_EDGE]));
  }

  /**
   * ZRANDMEMBER counts: never a huge negative one that Redis would accept
   * (it would reply that many elements); -2^62 only with WITHSCORES, where it
   * is a range error.
   */
  private randCount(withscores: boolean): string {
    const rng = this.rng;
    const huge = ['9223372036854775807', '-9223372036854775808', '4611686018427387904', 'x', '1.5'];
    if (withscores) huge.push('-4611686018427387904');
    return rng.weighted([
      [8, () => String(rng.range(-6, 6))],
      [2, () => String(rng.range(-300, 300))],
      [0.5, () => rng.pick(huge)],
    ] as const)();
  }

  // ---- generators ------------------------------------------------------------

  private zadd(): DiffCommand {
    const rng = this.rng;
    const args: Arg[] = [this.name('ZADD'), this.key()];
    if (rng.chance(0.4)) {
      const opts = ['NX', 'XX', 'GT', 'LT', 'CH', 'INCR'];
      const n = rng.range(1, 2);
      for (let i = 0; i < n; i++) args.push(this.opt(rng.pick(opts)));
    }
    const n = rng.weighted([[6, 1], [3, rng.range(2, 6)], [1, rng.range(7, 40)]] as const);
    for (let i = 0; i < n; i++) args.push(this.score(), this.member());
    if (rng.chance(0.02)) args.pop();
    return this.c(args);
  }

  private bulkAdd(): DiffCommand {
    const rng = this.rng;
    const args: Arg[] = [this.name('ZADD'), rng.pick(BIG_KEYS)];
    const n = rng.range(100, 800);
    for (let i = 0; i < n; i++) args.push(rng.chance(0.3) ? rng.pick(SCORES.slice(0, 12)) : String(rng.range(-1000, 1000)), rng.chance(0.5) ? String(i) : rng.string(rng.range(1, 20)));
    return this.c(args);
  }

  private lexAdd(): DiffCommand {
    const rng = this.rng;
    const args: Arg[] = [this.name('ZADD'), rng.pick(LEX)];
    const n = rng.weighted([[5, rng.range(1, 5)], [1, rng.range(50, 300)]] as const);
    for (let i = 0; i < n; i++) args.push('0', rng.chance(0.5) ? rng.pick(MEMBERS) : rng.string(rng.range(1, 6), 'abcd'));
    return this.c(args);
  }

  private zrange(): DiffCommand {
    const rng = this.rng;
    const k = this.key();
    const form = rng.weighted([
      [4, 'rank'],
      [3, 'score'],
      [1, 'lexnew'],
      [2, 'old'],
    ] as const);
    if (form === 'rank') {
      const args: Arg[] = [this.name(rng.pick(['ZRANGE', 'ZREVRANGE'])), k, this.index(), this.index()];
      if (rng.chance(0.5)) args.push(this.opt('WITHSCORES'));
      if (rng.chance(0.15)) args.push(this.opt('REV'));
      if (rng.chance(0.05)) this.limit(args);
      return this.c(args);
    }
    if (form === 'score') {
      const args: Arg[] = [this.name('ZRANGE'), k, this.bound(), this.bound(), this.opt('BYSCORE')];
      if (rng.chance(0.4)) args.push(this.opt('REV'));
      if (rng.chance(0.5)) args.push(this.opt('WITHSCORES'));
      this.limit(args);
      if (rng.chance(0.05)) args.push(this.opt('BYLEX'));
      return this.c(rng.chance(0.5) ? args : [args[0], args[1], args[2], args[3], ...rng.shuffle(args.slice(4))]);
    }
    if (form === 'lexnew') {
      const args: Arg[] = [this.name('ZRANGE'), rng.pick(LEX), this.lexBound(), this.lexBound(), this.opt('BYLEX')];
      if (rng.chance(0.4)) args.push(this.opt('REV'));
      if (rng.chance(0.05)) args.push(this.opt('WITHSCORES'));
      this.limit(args);
      return this.c(args);
    }
    const cmd = rng.pick(['ZRANGEBYSCORE', 'ZREVRANGEBYSCORE', 'ZRANGEBYLEX', 'ZREVRANGEBYLEX']);
    const lex = cmd.includes('LEX');
    const args: Arg[] = [this.name(cmd), lex ? rng.pick(LEX) : k, lex ? this.lexBound() : this.bound(), lex ? this.lexBound() : this.bound()];
    if (!lex && rng.chance(0.5)) args.push(this.opt('WITHSCORES'));
    this.limit(args);
    if (rng.chance(0.03)) args.push(this.opt('REV'));
    return this.c(args);
  }

  private store(): DiffCommand {
    const rng = this.rng;
    const g = this.group();
    const dst = rng.pick(g);
    const keys = Array.from({ length: rng.range(1, 3) }, () => (g === GROUP_Z && rng.chance(0.2) ? '{z}lex' : rng.pick(g)));
    const which = rng.pick(['ZUNION', 'ZINTER', 'ZDIFF', 'ZUNIONSTORE', 'ZINTERSTORE', 'ZDIFFSTORE', 'ZINTERCARD', 'ZRANGESTORE']);
    if (which === 'ZRANGESTORE') {
      const src = rng.pick(g);
      const args: Arg[] = [this.name(which), dst, src];
      if (rng.chance(0.5)) args.push(this.index(), this.index());
      else {
        args.push(this.bound(), this.bound(), this.opt('BYSCORE'));
        this.limit(args);
      }
      if (rng.chance(0.2)) args.push(this.opt('REV'));
      return this.c(args);
    }
    const storeCmd = which.endsWith('STORE');
    let numkeysPast = 0;
    const args: Arg[] = [this.name(which), ...(storeCmd ? [dst] : []), String(keys.length), ...keys];
    const numIdx = storeCmd ? 2 : 1;
    // numkeys errors run past every argument, never into the options (Shoal would see keys on several shards).
    const e = rng.next();
    if (e < 0.04) args[numIdx] = rng.pick(['0', '-1', 'abc', ...INT_EDGE]);
    else if (e < 0.06) numkeysPast = numIdx;
    if (which === 'ZINTERCARD') {
      if (rng.chance(0.5)) args.push(this.opt('LIMIT'), rng.chance(0.9) ? String(rng.range(0, 4)) : rng.pick(['-1', 'x']));
      if (numkeysPast > 0) args[numkeysPast] = String(args.length - numkeysPast + rng.range(0, 2));
      return this.c(args);
    }
    if (!which.startsWith('ZDIFF') || rng.chance(0.05)) {
      if (rng.chance(0.35)) {
        args.push(this.opt('WEIGHTS'));
        for (let i = 0; i < keys.length; i++) args.push(rng.chance(0.95) ? rng.pick(['1', '2', '0', '-1', '0.5', 'inf', '-inf', '3']) : rng.pick(['x', 'nan']));
      }
      if (rng.chance(0.35)) args.push(this.opt('AGGREGATE'), rng.chance(0.95) ? this.opt(rng.pick(['SUM', 'MIN', 'MAX'])) : 'AVG');
    }
    if (!storeCmd && rng.chance(0.5)) args.push(this.opt('WITHSCORES'));
    if (numkeysPast > 0) args[numkeysPast] = String(args.length - numkeysPast + rng.range(0, 2));
    return this.c(args);
  }

  private pop(): DiffCommand {
    const rng = this.rng;
    const r = rng.next();
    if (r < 0.6) {
      const args: Arg[] = [this.name(rng.pick(['ZPOPMIN', 'ZPOPMAX'])), this.key()];
      if (rng.chance(0.6)) args.push(this.count());
      if (rng.chance(0.03)) args.push('1');
      return this.c(args);
    }
    const g = this.group();
    const keys = Array.from({ length: rng.range(1, 3) }, () => rng.pick(g));
    const tail: Arg[] = [rng.chance(0.95) ? this.opt(rng.pick(['MIN', 'MAX'])) : 'LEFT'];
    if (rng.chance(0.5)) tail.push(this.opt('COUNT'), this.count());
    let numkeys = String(keys.length);
    if (rng.chance(0.05)) numkeys = rng.pick(['0', '-1', 'x', String(keys.length + tail.length + 2)]);
    return this.c([this.name('ZMPOP'), numkeys, ...keys, ...tail]);
  }

  private remrange(): DiffCommand {
    const rng = this.rng;
    const which = rng.pick(['ZREMRANGEBYRANK', 'ZREMRANGEBYSCORE', 'ZREMRANGEBYLEX']);
    if (which === 'ZREMRANGEBYRANK') return this.c([this.name(which), this.key(), this.index(), this.index()]);
    if (which === 'ZREMRANGEBYSCORE') return this.c([this.name(which), this.key(), this.bound(), this.bound()]);
    return this.c([this.name(which), rng.pick(LEX), this.lexBound(), this.lexBound()]);
  }

  private rename(): DiffCommand {
    const rng = this.rng;
    if (rng.chance(0.6)) {
      const g = this.group();
      const [a, b] = [rng.pick(g), rng.pick(g)];
      if (rng.chance(0.5)) return this.c([this.name('COPY'), a, b, ...(rng.chance(0.5) ? [this.opt('REPLACE')] : [])]);
      return this.c([this.name(rng.pick(['RENAME', 'RENAMENX'])), a, b]);
    }
    const a = rng.pick(GROUP_Z.filter((k) => k !== '{z}str'));
    const b = rng.pick(GROUP_Y);
    return this.c([this.name('RENAME'), ...(rng.chance(0.5) ? [a, b] : [b, a])]);
  }

  private arity(): DiffCommand {
    const k = this.key();
    return this.c(
      this.rng.pick<Arg[]>([
        ['ZADD', k, '1'], ['ZADD', k], ['ZCARD'], ['ZCARD', k, k], ['ZCOUNT', k, '1'], ['ZINCRBY', k, '1'], ['ZRANGE', k, '0'],
        ['ZRANK', k], ['ZREM', k], ['ZSCORE', k], ['ZMSCORE', k], ['ZPOPMIN'], ['ZMPOP', '1', k], ['ZRANDMEMBER'], ['ZSCAN', k],
        ['ZUNION', '1'], ['ZUNIONSTORE', k, '1'], ['ZINTERCARD', '1'], ['ZRANGESTORE', k, k, '0'], ['ZLEXCOUNT', k, '-'],
        ['ZREMRANGEBYRANK', k, '0'], ['ZRANGEBYSCORE', k, '0'], ['ZREVRANK', k, 'a', 'WITHSCORE', 'b'], // (7.2's WITHSCORE makes 4 arguments valid)
      ]).map((a, i) => (i === 0 ? this.name(String(a)) : a)),
    );
  }

  next(): DiffCommand {
    const rng = this.rng;
    return rng.weighted<() => DiffCommand>([
      [14, () => this.zadd()],
      [1, () => this.bulkAdd()],
      [3, () => this.lexAdd()],
      [3, () => this.c([this.name('ZINCRBY'), this.key(), this.score(), this.member()])],
      [2, () => this.c([this.name('ZCARD'), rng.chance(0.8) ? this.key() : rng.pick(LEX)])],
      [4, () => this.c([this.name('ZSCORE'), this.key(), this.member()])],
      [2, () => this.c([this.name('ZMSCORE'), this.key(), this.member(), this.member(), this.member()])],
      [3, () => this.c([this.name(rng.pick(['ZRANK', 'ZREVRANK'])), this.key(), this.member()])],
      [4, () => this.c([this.name('ZREM'), this.key(), this.member(), ...(rng.chance(0.3) ? [this.member(), this.member()] : [])])],
      [3, () => this.c([this.name('ZCOUNT'), this.key(), this.bound(), this.bound()])],
      [2, () => this.c([this.name('ZLEXCOUNT'), rng.pick(LEX), this.lexBound(), this.lexBound()])],
      [10, () => this.zrange()],
      [5, () => this.store()],
      [5, () => this.pop()],
      [3, () => this.remrange()],
      [2, () => {
        const withscores = rng.chance(0.3);
        const count = rng.chance(0.7) ? [this.randCount(withscores)] : [];
        const distinct = count.length === 1 && /^[0-9]+$/.test(count[0]!);
        return this.c([this.name('ZRANDMEMBER'), this.key(), ...count, ...(withscores ? [this.opt('WITHSCORES')] : [])], randMembers(distinct, withscores));
      }],
      [1, () => this.c([this.name('ZSCAN'), this.key(), rng.pick(['0', '0', 'x', '-1']), ...(rng.chance(0.3) ? [this.opt('COUNT'), rng.pick(['1', '1000', '0', 'x'])] : []), ...(rng.chance(0.3) ? [this.opt('MATCH'), rng.pick(['*', 'a*', '?', '*1*'])] : [])], sameShape)],
      [1, () => this.c([this.name('SET'), rng.chance(0.9) ? rng.pick(STRING_KEYS) : this.key(), 'v'])],
      [1, () => this.c([this.name('DEL'), this.key()])],
      [1, () => this.c([this.name('TYPE'), this.key()])],
      [2, () => this.c([this.name('OBJECT'), this.opt('ENCODING'), rng.chance(0.8) ? this.key() : rng.pick(LEX)])],
      [1.5, () => this.rename()],
      [0.6, () => this.c(['CONFIG', 'SET', rng.pick(['zset-max-listpack-entries', 'zset-max-listpack-value']), rng.pick(['0', '1', '3', '8', '16', '64', '128'])])],
      [0.3, () => this.c([this.name('SELECT'), String(rng.int(2))])],
      [1.5, () => this.arity()],
    ])();
  }

  /** Reads back every key of dbs 0 and 1. */
  static dump(): DiffCommand[] {
    const out: DiffCommand[] = [];
    for (const db of ['0', '1']) {
      out.push({ args: ['SELECT', db] }, { args: ['DBSIZE'] }, { args: ['KEYS', '*'], compare: unordered });
      for (const k of ZSET_KEYS) {
        out.push({ args: ['TYPE', k] }, { args: ['ZCARD', k] }, { args: ['ZRANGE', k, '0', '-1', 'WITHSCORES'] }, { args: ['OBJECT', 'ENCODING', k] });
      }
    }
    out.push({ args: ['SELECT', '0'] });
    return out;
  }

  sequence(n: number): DiffCommand[] {
    const out: DiffCommand[] = [];
    for (let i = 0; i < n; i++) out.push(this.next());
    out.push(...ZsetGen.dump());
    out.push({ args: ['CONFIG', 'SET', 'zset-max-listpack-entries', '128'] }, { args: ['CONFIG', 'SET', 'zset-max-listpack-value', '64'] });
    return out;
  }
}
