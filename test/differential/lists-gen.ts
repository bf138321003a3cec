/**
 * Random command sequences over the list commands, for the differential test
 * against redis-server (test/differential/lists.diff.test.ts).
 *
 * Rules that keep both servers able to give the same answer:
 *  - Multi-key commands (LMOVE, RPOPLPUSH, LMPOP, COPY, RENAME within a
 *    group) take their keys from one {hash tag} group, so Shoal runs them on
 *    one shard. RENAME also moves lists between groups (across shards).
 *  - LMPOP's numkeys errors either name fewer keys than given (the where
 *    argument is then a key name: syntax error) or run past all the
 *    arguments, never half-way into them (Shoal would see keys on several
 *    shards there and say so, where Redis says "syntax error").
 *  - No TTLs; nothing nondeterministic except KEYS order (compared unordered).
 *  - OBJECT ENCODING: Shoal says `listpack` for small lists as Redis 7.2
 *    does, where the 7.0 oracle says `quicklist` (listEncoding72 accepts
 *    that; test/integration/list-encodings.test.ts checks 7.2's rules).
 */
import type { Arg } from '../helpers/resp.js';
import { type DiffCommand, listEncoding72, unordered } from '../helpers/differential.js';
import type { Rng } from '../helpers/rng.js';

/** Hash tag groups: each lives on one shard. */
const GROUP_L = ['{l}1', '{l}2', '{l}3', '{l}big', '{l}str'];
const GROUP_M = ['{m}a', '{m}b', '{m}\r\n', '{m}\0'];
const GROUPS = [GROUP_L, GROUP_M];
/** Keys used by single-key commands only. */
const SOLO = ['la', 'lb', 'bin\r\nlist', 'nul\0list', 'str', ''];
export const LIST_KEYS: readonly string[] = [...GROUP_L, ...GROUP_M, ...SOLO];
/** Keys that get bulk pushes (thousands of elements). */
const BIG_KEYS = ['{l}big', 'lb', '{m}b'];
/** Keys that hold strings most of the time (WRONGTYPE). */
const STRING_KEYS = ['{l}str', 'str'];

const INT_EDGE = ['9223372036854775807', '-9223372036854775808', '9223372036854775806', '-9223372036854775807', '9223372036854775808', '-9223372036854775809'];
const NOT_INT = ['abc', '', '1.5', ' 1', '1 ', '+1', '01', '0x1f', '1e3', '-0', '--1', '1\0'];
/** Elements that repeat, so LREM / LPOS / LINSERT find matches. */
const COMMON = ['a', 'b', 'c', '', '\r\n', '\0', 'a\0b', '1', '-1', '007', '9223372036854775807', 'x y', 'ключ'];

export class ListsGen {
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
    return this.rng.chance(0.8) ? o : this.rng.chance(0.5) ? o.toLowerCase() : o[0]!.toLowerCase() + o.slice(1);
  }

  private c(args: Arg[], compare?: DiffCommand['compare']): DiffCommand {
    return compare ? { args, compare } : { args };
  }

  private key(): string {
    const r = this.rng.next();
    if (r < 0.08) return this.rng.pick(STRING_KEYS);
    return this.rng.pick(LIST_KEYS);
  }

  private group(): string[] {
    return this.rng.pick(GROUPS);
  }

  private value(): Arg {
    const rng = this.rng;
    const r = rng.next();
    if (r < 0.45) return rng.pick(COMMON);
    if (r < 0.6) return String(rng.range(-1000, 1000));
    if (r < 0.75) return rng.string(rng.range(0, 20));
    if (r < 0.85) return rng.bytes(rng.range(1, 30));
    if (r < 0.95) return rng.string(rng.range(50, 400));
    if (r < 0.998) return rng.string(rng.range(2_000, 20_000));
    return rng.string(rng.range(520_000, 600_000)); // streamed as a partial reply
  }

  private smallValue(): Arg {
    return this.rng.chance(0.7) ? this.rng.pick(COMMON) : this.rng.string(this.rng.range(0, 12), 'abc');
  }

  private index(): string {
    const rng = this.rng;
    return rng.weighted([
      [8, () => String(rng.range(-20, 20))],
      [3, () => String(rng.range(-4000, 4000))],
      [1, () => rng.pick(INT_EDGE)],
      [0.5, () => rng.pick(NOT_INT)],
    ] as const)();
  }

  private where(): string {
    const rng = this.rng;
    return rng.weighted([
      [10, () => this.opt(rng.pick(['LEFT', 'RIGHT']))],
      [0.5, () => rng.pick(['UP', 'LEFTX', '', 'BEFORE'])],
    ] as const)();
  }

  // ---- generators ------------------------------------------------------------

  private push(): DiffCommand {
    const rng = this.rng;
    const cmd = rng.weighted([[5, 'RPUSH'], [5, 'LPUSH'], [1.5, 'RPUSHX'], [1.5, 'LPUSHX']] as const);
    const n = rng.weighted([[6, 1], [3, rng.range(2, 5)], [1, rng.range(6, 40)]] as const);
    const args: Arg[] = [this.name(cmd), this.key()];
    for (let i = 0; i < n; i++) args.push(this.value());
    return this.c(args);
  }

  private bulkPush(): DiffCommand {
    const rng = this.rng;
    const args: Arg[] = [this.name(rng.pick(['RPUSH', 'LPUSH'])), rng.pick(BIG_KEYS)];
    const n = rng.range(200, 3000);
    for (let i = 0; i < n; i++) args.push(rng.chance(0.3) ? rng.pick(COMMON) : rng.chance(0.5) ? String(i) : rng.string(rng.range(1, 40)));
    return this.c(args);
  }

  private pop(): DiffCommand {
    const rng = this.rng;
    const args: Arg[] = [this.name(rng.pick(['LPOP', 'RPOP'])), this.key()];
    const r = rng.next();
    if (r < 0.45) {
      // no count
    } else if (r < 0.85) args.push(String(rng.weighted([[6, rng.range(0, 10)], [2, rng.range(11, 3000)]] as const)));
    else if (r < 0.95) args.push(rng.pick([...NOT_INT, '-1', '-100', ...INT_EDGE]));
    else args.push('1', rng.pick(['2', 'x']));
    return this.c(args);
  }

  private lindex(): DiffCommand {
    return this.c([this.name('LINDEX'), this.key(), this.index()]);
  }

  private lset(): DiffCommand {
    return this.c([this.name('LSET'), this.key(), this.index(), this.value()]);
  }

  private linsert(): DiffCommand {
    const rng = this.rng;
    const where = rng.weighted([[10, () => this.opt(rng.pick(['BEFORE', 'AFTER']))], [0.5, () => rng.pick(['MIDDLE', 'LEFT', ''])]] as const)();
    return this.c([this.name('LINSERT'), this.key(), where, this.smallValue(), this.value()]);
  }

  private lrange(cmd: 'LRANGE' | 'LTRIM'): DiffCommand {
    const rng = this.rng;
    // LTRIM mostly keeps a good part of the list.
    if (cmd === 'LTRIM' && rng.chance(0.6)) {
      return this.c([this.name(cmd), this.key(), String(rng.range(-3, 5)), String(rng.range(-5, -1) * rng.range(1, 100))]);
    }
    return this.c([this.name(cmd), this.key(), this.index(), this.index()]);
  }

  private lrem(): DiffCommand {
    const rng = this.rng;
    const count = rng.weighted([
      [8, () => String(rng.range(-4, 4))],
      [1, () => rng.pick(INT_EDGE)],
      [0.5, () => rng.pick(NOT_INT)],
    ] as const)();
    return this.c([this.name('LREM'), this.key(), count, this.smallValue()]);
  }

  private lpos(): DiffCommand {
    const rng = this.rng;
    const args: Arg[] = [this.name('LPOS'), this.key(), this.smallValue()];
    const n = rng.weighted([[3, 0], [4, 1], [3, 2], [1, 3]] as const);
    for (let i = 0; i < n; i++) {
      const o = rng.weighted([[4, 'RANK'], [4, 'COUNT'], [3, 'MAXLEN'], [0.3, 'FOO']] as const);
      args.push(this.opt(o));
      if (o === 'RANK') {
        args.push(
          rng.weighted([
            [8, () => String(rng.chance(0.5) ? rng.range(1, 4) : -rng.range(1, 4))],
            [1, () => '0'],
            [1, () => rng.pick([...INT_EDGE, '1000', '-1000'])],
            [0.5, () => rng.pick(NOT_INT)],
          ] as const)(),
        );
      } else if (o === 'COUNT' || o === 'MAXLEN') {
        args.push(
          rng.weighted([
            [8, () => String(rng.range(0, o === 'MAXLEN' ? 50 : 5))],
            [1, () => rng.pick(['-1', '-5', ...INT_EDGE])],
            [0.5, () => rng.pick(NOT_INT)],
          ] as const)(),
        );
      }
    }
    if (rng.chance(0.03) && args.length > 3) args.pop(); // an option without its value
    return this.c(args);
  }

  private lmove(): DiffCommand {
    const g = this.group();
    const src = this.rng.pick(g);
    const dst = this.rng.chance(0.2) ? src : this.rng.pick(g);
    if (this.rng.chance(0.3)) return this.c([this.name('RPOPLPUSH'), src, dst]);
    return this.c([this.name('LMOVE'), src, dst, this.where(), this.where()]);
  }

  private lmpop(): DiffCommand {
    const rng = this.rng;
    const g = this.group();
    const keys = Array.from({ length: rng.range(1, 3) }, () => rng.pick(g));
    const tail: Arg[] = [this.where()];
    const r = rng.next();
    if (r < 0.4) {
      // no COUNT
    } else if (r < 0.85) tail.push(this.opt('COUNT'), String(rng.weighted([[6, rng.range(1, 5)], [2, rng.range(6, 3000)]] as const)));
    else if (r < 0.92) tail.push(this.opt('COUNT'), rng.pick(['0', '-1', ...NOT_INT, ...INT_EDGE]));
    else if (r < 0.96) tail.push(this.opt('COUNT'), '1', this.opt('COUNT'), '2');
    else tail.push(rng.pick(['COUNT', 'FOO']));
    let numkeys = String(keys.length);
    const e = rng.next();
    if (e < 0.05) numkeys = rng.pick(['0', '-1', 'abc', '', '1.5', ...INT_EDGE]);
    else if (e < 0.08) numkeys = String(keys.length + tail.length + rng.range(1, 3)); // runs past every argument
    else if (e < 0.1 && keys.length > 1) numkeys = String(keys.length - 1); // the where argument is a key name
    return this.c([this.name('LMPOP'), numkeys, ...keys, ...tail]);
  }

  private setString(): DiffCommand {
    const k = this.rng.chance(0.95) ? this.rng.pick(STRING_KEYS) : this.key();
    return this.c([this.name('SET'), k, this.rng.pick(['v', 'string value', '123'])]);
  }

  private rename(): DiffCommand {
    const rng = this.rng;
    if (rng.chance(0.7)) {
      const g = this.group();
      const [a, b] = [rng.pick(g), rng.pick(g)];
      if (rng.chance(0.5)) return this.c([this.name('COPY'), a, b, ...(rng.chance(0.5) ? [this.opt('REPLACE')] : [])]);
      return this.c([this.name(rng.pick(['RENAME', 'RENAMENX'])), a, b]);
    }
    // Across shards: a list serialized on one shard and rebuilt on another.
    const a = rng.pick(GROUP_L.filter((k) => k !== '{l}str'));
    const b = rng.pick(GROUP_M);
    return this.c([this.name('RENAME'), ...(rng.chance(0.5) ? [a, b] : [b, a])]);
  }

  private arity(): DiffCommand {
    const k = this.key();
    return this.c(
      this.rng
        .pick<Arg[]>([
          ['LPUSH', k], ['LPUSH'], ['RPUSH', k], ['LPUSHX', k], ['RPUSHX'], ['LPOP'], ['RPOP'], ['LLEN'], ['LLEN', k, k],
          ['LINDEX', k], ['LINDEX', k, '0', '1'], ['LSET', k, '0'], ['LINSERT', k, 'BEFORE', 'a'], ['LRANGE', k, '0'],
          ['LTRIM', k], ['LREM', k, '0'], ['LPOS', k], ['LMOVE', k, k, 'LEFT'], ['RPOPLPUSH', k], ['RPOPLPUSH', k, k, k],
          ['LMPOP', '1', k], ['LMPOP'], ['LMPOP', '1'],
        ])
        .map((a, i) => (i === 0 ? this.name(String(a)) : a)),
    );
  }

  next(): DiffCommand {
    const rng = this.rng;
    const gen = rng.weighted<() => DiffCommand>([
      [14, () => this.push()],
      [1.2, () => this.bulkPush()],
      [8, () => this.pop()],
      [3, () => this.c([this.name('LLEN'), this.key()])],
      [5, () => this.lindex()],
      [4, () => this.lset()],
      [4, () => this.linsert()],
      [5, () => this.lrange('LRANGE')],
      [2, () => this.lrange('LTRIM')],
      [4, () => this.lrem()],
      [5, () => this.lpos()],
      [4, () => this.lmove()],
      [4, () => this.lmpop()],
      [1.5, () => this.setString()],
      [1, () => this.c([this.name(rng.pick(['DEL', 'UNLINK'])), this.key()])],
      [1, () => this.c([this.name('TYPE'), this.key()])],
      [1, () => this.c([this.name('OBJECT'), this.opt('ENCODING'), this.key()], listEncoding72)],
      [1, () => this.c([this.name('EXISTS'), this.key()])],
      [1.5, () => this.rename()],
      [0.5, () => this.c([this.name('SELECT'), String(rng.int(2))])],
      [1.5, () => this.arity()],
    ]);
    return gen();
  }

  /** Reads back every key of dbs 0 and 1. */
  static dump(): DiffCommand[] {
    const out: DiffCommand[] = [];
    for (const db of ['0', '1']) {
      out.push({ args: ['SELECT', db] }, { args: ['DBSIZE'] }, { args: ['KEYS', '*'], compare: unordered });
      for (const k of LIST_KEYS) {
        out.push({ args: ['TYPE', k] }, { args: ['LLEN', k] }, { args: ['LRANGE', k, '0', '-1'] }, { args: ['OBJECT', 'ENCODING', k], compare: listEncoding72 });
      }
    }
    out.push({ args: ['SELECT', '0'] });
    return out;
  }

  sequence(n: number): DiffCommand[] {
    const out: DiffCommand[] = [];
    for (let i = 0; i < n; i++) out.push(this.next());
    out.push(...ListsGen.dump());
    return out;
  }
}
