/**
 * Random SORT / SORT_RO streams for the differential test against
 * redis-server (test/differential/sort.diff.test.ts), mixed with writes that
 * change the sorted keys and the pattern keys.
 *
 * Keys: untagged source keys and pattern keys (w_<el>, h_<el>, u_<el>) spread
 * over Shoal's 4 shards, so patterns and STORE take the front's multi-hop
 * path; a {t} group where everything shares one shard (the shard handler
 * runs it, patterns included).
 *
 * What keeps the two servers comparable:
 *  - A set's order without sorting is its hash order: SORT set BY nosort
 *    (without STORE) is compared unordered and without LIMIT, except for
 *    all-integer sets (intsets iterate in ascending order in both).
 *  - ALPHA ties keep the order the elements were loaded in (stable sort),
 *    which is hash order for sets and sorted sets, and Redis's partial sort
 *    (BY + LIMIT) is not stable: ALPHA BY uses a pattern with distinct values
 *    (u_<el>, present for every element) except on lists without LIMIT.
 *    Numeric ties are broken by the element's bytes, so they are always
 *    compared exactly.
 */
import type { Arg } from '../helpers/resp.js';
import { type DiffCommand, listEncoding72, unordered } from '../helpers/differential.js';
import type { Rng } from '../helpers/rng.js';

const NUMS = ['0', '1', '2', '3', '5', '7', '10', '11', '-1', '-5', '1.5', '2.5', '1e1', '100', '42', '-0.5', '8', '13'];
const ALPHAS = ['a', 'b', 'c', 'B', 'ab', 'abc', 'z', 'A', 'x y', '', 'm', 'q'];
/** Equal to 'a' for ALPHA (strcoll stops at NUL): only in lists, whose load order is defined. */
const NUL_ALPHAS = ['a\0b', 'a\0c'];
/**
 * No out-of-range numbers ('1e400', '1e-310'): redis-server tests errno ==
 * ERANGE without clearing errno first, so one of them makes the following
 * SORTs of the same pipelined batch fail too (test/integration/sort.test.ts
 * checks them one at a time).
 */
const WEIRD = [' 3', '3 ', 'inf', '-inf', 'nan', '0x10', '0x1p3', '1e30', 'abc', '', '+4', '.5', '5.', '1e', '0x', '  ', '-'];

/** A tag group: source and destination keys on one shard, patterns naming keys of that shard. */
const T = '{t}';

const INT_EDGE = ['9223372036854775807', '-9223372036854775808', '9223372036854775808', '1e3', 'x', '-0'];

export class SortGen {
  constructor(private readonly rng: Rng) {}

  private name(cmd: string): string {
    return this.rng.chance(0.8) ? cmd : cmd.toLowerCase();
  }

  private opt(o: string): string {
    return this.rng.chance(0.8) ? o : o.toLowerCase();
  }

  /** The initial data: sources of each type and size, and pattern keys. */
  setup(): DiffCommand[] {
    const rng = this.rng;
    const out: DiffCommand[] = [];
    const c = (...args: Arg[]) => out.push({ args });
    for (const p of ['', T]) {
      c('RPUSH', `${p}ln`, ...rng.shuffle([...NUMS, '3', '1']));
      c('RPUSH', `${p}la`, ...rng.shuffle([...ALPHAS, ...NUL_ALPHAS, 'a', 'b']));
      c('SADD', `${p}si`, '3', '1', '2', '10', '-5', '7');
      c('SADD', `${p}sa`, ...ALPHAS);
      c('SADD', `${p}sn`, ...NUMS);
      const zs: Arg[] = [];
      NUMS.forEach((n, i) => zs.push(String(rng.range(0, 5)), n));
      c('ZADD', `${p}zn`, ...zs);
      const za: Arg[] = [];
      ALPHAS.forEach((a, i) => za.push(String(i % 4), a));
      c('ZADD', `${p}za`, ...za);
      c('RPUSH', `${p}lw`, ...WEIRD);
      c('SET', `${p}str`, 'v');
      c('HSET', `${p}hash`, 'f', 'v');
    }
    // Large: quicklist / hashtable / skiplist encodings.
    const big: string[] = [];
    for (let i = 0; i < 300; i++) big.push(String(rng.range(-500, 500)));
    c('RPUSH', 'lbig', ...big, 'y'.repeat(300));
    c('SADD', 'sbig', ...big);
    c('SADD', 'sbigi', ...Array.from({ length: 600 }, (_, i) => String(i * 3 - 700)));
    const zb: Arg[] = [];
    big.forEach((v) => zb.push(String(rng.range(0, 20)), v));
    c('ZADD', 'zbig', ...zb);
    // Pattern keys for every element: numeric weights, hashes, distinct ALPHA keys.
    const els = [...new Set([...NUMS, ...ALPHAS, ...NUL_ALPHAS, ...WEIRD])];
    for (const p of ['', T]) {
      for (const e of p === '' ? [...new Set([...els, ...big])] : els) {
        if (rng.chance(0.8)) c('SET', `${p}w_${e}`, this.weight());
        if (rng.chance(0.7)) c('HSET', `${p}h_${e}`, 'f', this.weight(), 'g', rng.string(rng.range(0, 3), 'abc'));
        c('SET', `${p}u_${e}`, this.unique(e));
      }
      // Wrong types for a few pattern keys: nil, not an error.
      c('DEL', `${p}w_2`, `${p}h_3`);
      c('RPUSH', `${p}w_2`, 'x');
      c('SET', `${p}h_3`, '9');
    }
    return out;
  }

  /** A u_ value: distinct per element, even for ALPHA's C-string comparison. */
  private unique(e: string): string {
    return `${this.rng.string(3, 'abcdef')}|${e.replace(/\0/g, '0')}`;
  }

  private weight(): string {
    const rng = this.rng;
    const r = rng.next();
    if (r < 0.7) return String(rng.range(-20, 20));
    if (r < 0.85) return (rng.range(-200, 200) / 8).toString();
    return rng.pick(['', 'inf', '-inf', '1e3', ' 7']);
  }

  private source(tagged: boolean): { key: string; kind: 'list' | 'set' | 'intset' | 'zset' | 'other'; alpha: boolean } {
    const p = tagged ? T : '';
    const r = this.rng.next();
    const pick = this.rng.weighted<[string, 'list' | 'set' | 'intset' | 'zset' | 'other', boolean]>([
      [3, ['ln', 'list', false]],
      [3, ['la', 'list', true]],
      [1, ['lw', 'list', false]],
      [1, ['si', 'intset', false]],
      [2, ['si', 'intset', false]],
      [2, ['sa', 'set', true]],
      [2, ['sn', 'set', false]],
      [2, ['zn', 'zset', false]],
      [2, ['za', 'zset', true]],
      [0.5, ['str', 'other', false]],
      [0.5, ['hash', 'other', false]],
      [0.5, ['nokey', 'list', false]],
    ]);
    if (!tagged && r < 0.2) {
      return this.rng.pick([
        { key: 'lbig', kind: 'list' as const, alpha: false },
        { key: 'sbig', kind: 'set' as const, alpha: false },
        { key: 'sbigi', kind: 'set' as const, alpha: false }, // 600 integers: past set-max-intset-entries
        { key: 'zbig', kind: 'zset' as const, alpha: false },
      ]);
    }
    return { key: p + pick[0], kind: pick[1], alpha: pick[2] };
  }

  private limit(): Arg[] {
    const rng = this.rng;
    const n = () => rng.weighted<string>([
      [4, String(rng.range(0, 6))],
      [2, String(rng.range(-3, -1))],
      [1, String(rng.range(20, 400))],
      [0.5, rng.pick(['9223372036854775807', '-9223372036854775808'])],
    ]);
    return [this.opt('LIMIT'), n(), n()];
  }

  /** A random SORT line over tagged or untagged keys. */
  sortCommand(): DiffCommand {
    const rng = this.rng;
    const tagged = rng.chance(0.35);
    const p = tagged ? T : '';
    const src = this.source(tagged);
    const ro = rng.chance(0.25);
    const args: Arg[] = [this.name(ro ? 'SORT_RO' : 'SORT'), src.key];
    const store = !ro && rng.chance(0.25);
    const alpha = src.alpha ? rng.chance(0.9) : rng.chance(0.15);
    const mode = rng.weighted<'none' | 'nosort' | 'w' | 'h' | 'u'>([
      [3, 'none'],
      [2, 'nosort'],
      [2, 'w'],
      [1.5, 'h'],
      [1, 'u'],
    ]);
    const unorderedSet = src.kind === 'set' && mode === 'nosort' && !store;
    // ALPHA ties through BY depend on load order (see the header).
    let byMode = mode;
    if (alpha && (mode === 'w' || mode === 'h')) {
      const tiesOk = src.kind === 'list' || src.kind === 'other';
      if (!tiesOk) byMode = 'u';
    }
    // sbigi's elements have no u_ keys: ALPHA BY there would tie on nils in hash order.
    if (alpha && src.key === 'sbigi' && byMode !== 'nosort') byMode = 'none';
    let useLimit = !unorderedSet && rng.chance(0.4);
    if (alpha && byMode !== 'u' && byMode !== 'none' && byMode !== 'nosort' && useLimit) byMode = 'u';
    const opts: Arg[][] = [];
    if (byMode === 'nosort') opts.push([this.opt('BY'), rng.pick(['nosort', 'constant', 'w_'])]);
    else if (byMode === 'w') opts.push([this.opt('BY'), `${p}w_*`]);
    else if (byMode === 'h') opts.push([this.opt('BY'), `${p}h_*->${alpha ? 'g' : 'f'}`]);
    else if (byMode === 'u') opts.push([this.opt('BY'), `${p}u_*`]);
    if (useLimit) opts.push(this.limit());
    const ngets = rng.weighted<number>([[4, 0], [3, 1], [2, 2], [1, 3]]);
    for (let i = 0; i < ngets; i++) {
      opts.push([this.opt('GET'), rng.pick(['#', `${p}w_*`, `${p}h_*->f`, `${p}h_*->g`, `${p}h_*->`, `${p}u_*`, 'fixed', `${p}h_*->nofield`, `${p}nokey_*`])]);
    }
    if (rng.chance(0.4)) opts.push([this.opt(rng.pick(['ASC', 'DESC']))]);
    if (alpha) opts.push([this.opt('ALPHA')]);
    const dst = tagged && rng.chance(0.8) ? `${T}dst` : rng.pick(['dst', 'dst2', `${T}dst`]);
    if (store) opts.push([this.opt('STORE'), dst]);
    rng.shuffle(opts);
    for (const o of opts) args.push(...o);
    return unorderedSet ? { args, compare: unordered } : { args };
  }

  /** A line with an error Redis checks: syntax, LIMIT integers, SORT_RO STORE, arity. */
  private errorCommand(): DiffCommand {
    const rng = this.rng;
    const key = rng.pick(['ln', 'str', 'nokey', `${T}ln`]);
    return {
      args: rng.pick<Arg[]>([
        ['SORT', key, 'LIMIT', '1'],
        ['SORT', key, 'LIMIT', rng.pick(INT_EDGE), '1'],
        ['SORT', key, 'LIMIT', '0', rng.pick(INT_EDGE)],
        ['SORT', key, 'BY'],
        ['SORT', key, 'GET'],
        ['SORT', key, 'STORE'],
        ['SORT', key, 'FOO'],
        ['SORT', key, 'ALPHA', 'DESC', 'bogus'],
        ['SORT_RO', key, 'STORE', 'dst'],
        ['SORT_RO', key, 'BY', 'w_*', 'STORE', `${T}dst`],
        ['SORT'],
        ['SORT_RO'],
        ['SORT', key, 'LIMIT', 'x', 'y', 'BY', 'w_*'],
      ]),
    };
  }

  /** Writes that change what SORT sees, and reads of what STORE wrote. */
  private other(): DiffCommand[] {
    const rng = this.rng;
    const p = rng.chance(0.4) ? T : '';
    const el = rng.pick([...NUMS, ...ALPHAS]);
    switch (rng.int(12)) {
      case 0:
        return [{ args: ['SET', `${p}w_${el}`, this.weight()] }];
      case 1:
        return [{ args: ['HSET', `${p}h_${el}`, 'f', this.weight()] }];
      case 2:
        return [{ args: ['DEL', `${p}w_${el}`] }];
      case 3:
        return [{ args: ['RPUSH', `${p}ln`, rng.pick(NUMS)] }, { args: ['LPUSH', `${p}la`, rng.pick(ALPHAS)] }];
      case 4:
        return [{ args: ['SADD', `${p}sn`, rng.pick(NUMS)] }, { args: ['SREM', `${p}sa`, rng.pick(ALPHAS)] }];
      case 5:
        return [{ args: ['ZADD', `${p}zn`, String(rng.range(0, 9)), rng.pick(NUMS)] }];
      case 6: {
        // The destination gets another type (and a TTL) before a STORE replaces it.
        const d = rng.pick(['dst', 'dst2', `${T}dst`]);
        const setups: Arg[][] = [['SET', d, 'x'], ['SADD', d, 'a'], ['HSET', d, 'f', 'v'], ['ZADD', d, '1', 'a'], ['RPUSH', d, 'old']];
        return [{ args: ['DEL', d] }, { args: rng.pick(setups) }, { args: ['EXPIRE', d, '1000'] }];
      }
      case 7:
      case 8: {
        const d = rng.pick(['dst', 'dst2', `${T}dst`]);
        return [{ args: ['TYPE', d] }, { args: ['LRANGE', d, '0', '-1'] }, { args: ['TTL', d] }];
      }
      case 9:
        return [{ args: ['OBJECT', 'ENCODING', rng.pick(['zn', `${T}za`, 'zbig', 'la', 'sbigi'])], compare: listEncoding72 }];
      case 10:
        return [{ args: ['SORT', 'dst', 'ALPHA'] }, { args: ['SORT', `${T}dst`, 'ALPHA', 'STORE', `${T}dst`] }];
      default:
        return [{ args: ['SET', `${p}u_${el}`, this.unique(el)] }];
    }
  }

  sequence(n: number): DiffCommand[] {
    const out: DiffCommand[] = this.setup();
    while (out.length < n) {
      const r = this.rng.next();
      if (r < 0.6) out.push(this.sortCommand());
      else if (r < 0.7) out.push(this.errorCommand());
      else out.push(...this.other());
    }
    return out;
  }
}
