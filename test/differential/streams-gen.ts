/**
 * Random command sequences over the stream commands, for the differential
 * test against redis-server (test/differential/streams.diff.test.ts).
 *
 * What keeps the two servers comparable: IDs are explicit (`<ms>-<seq>`,
 * `<ms>` or `<ms>-*`), never `*`, whose milliseconds are each server's
 * clock; they mostly grow per key so that most XADDs succeed, with some
 * that are too small, at the edges of the ID space, or malformed. Small
 * node limits (CONFIG SET stream-node-max-entries/-bytes, changed
 * mid-sequence on both servers) make approximate trimming, which removes
 * whole nodes only, depend on node boundaries, and XINFO STREAM shows the
 * stream's counters (entries-added, max-deleted-entry-id, first ID) and
 * its radix tree's keys and nodes. stream-node-max-bytes stays at 4096 or more: below
 * that, redis-server 7.0.15 itself fails an assertion in XREVRANGE after
 * some sequences (listpack.c lpValidateNext), which a test cannot compare.
 */
import { type Comparator, type DiffCommand } from '../helpers/differential.js';
import type { Rng } from '../helpers/rng.js';
import { parseOne, type Reply } from '../helpers/resp.js';

const GROUP_A = ['{a}s1', '{a}s2', '{a}str'];
const GROUP_B = ['{b}s1', '{b}s2'];
const SOLO = ['s1', 's2', 's3', 'bin\r\nstream', ''];
export const STREAM_KEYS: readonly string[] = [...GROUP_A, ...GROUP_B, ...SOLO];
const STRING_KEYS = ['{a}str', 'str'];

const FIELDS = ['f', 'g', 'name', 'n', '', '123', '-7', 'x y', '\r\n', 'ключ', 'a'.repeat(70)];
const VALUES = ['v', '1', '-1', '9223372036854775807', '-9223372036854775808', '18446744073709551615', '', 'hello world', 'b'.repeat(100), '0', '007', '3.5'];
const BAD_IDS = ['abc', '', '-', '+', '1-', '-1', '1--1', '1-x', '18446744073709551616', '1-18446744073709551616', ' 5', '+5', '5 ', '1.5', '0x10', '-0', '1-*-1', '*-1', '1-**'];
const COUNTS = ['0', '1', '2', '3', '10', '-1', 'abc', '9223372036854775807', '9223372036854775808'];


const TIME_TOLERANCE = 3000n;
const isId = (r: Reply | undefined): boolean => r !== undefined && r.type === 'bulk' && r.value !== null && /^\d+-\d+$/.test(r.value.toString('latin1'));
const isInt = (r: Reply | undefined): boolean => r !== undefined && r.type === 'integer';

/** Indexes of the times in a pending-entry array: [id, consumer, idle|time, count] or [id, time, count]. */
function timeSlots(items: Reply[]): number[] {
  if (items.length === 4 && isId(items[0]) && items[1]!.type === 'bulk' && isInt(items[2]) && isInt(items[3])) return [2];
  if (items.length === 3 && isId(items[0]) && isInt(items[1]) && isInt(items[2])) return [1];
  return [];
}

/** Same replies, except that times (idle, seen-time, delivery times) may differ by a few seconds: the two servers do not run at the same instant. */
function closeTrees(a: Reply, b: Reply, time = false): boolean {
  if (a.type !== b.type) return false;
  if (a.type === 'integer' && b.type === 'integer') {
    if (!time) return a.value === b.value;
    const d = a.value - b.value;
    return d <= TIME_TOLERANCE && d >= -TIME_TOLERANCE;
  }
  if ((a.type === 'array' || a.type === 'set' || a.type === 'push') && (b.type === 'array' || b.type === 'set' || b.type === 'push')) {
    if (a.value === null || b.value === null) return a.value === b.value;
    if (a.value.length !== b.value.length) return false;
    const slots = timeSlots(a.value);
    const flatKeys = a.value.map((r) => (r.type === 'bulk' && r.value !== null ? r.value.toString('latin1') : ''));
    return a.value.every((x, i) => {
      const timeKey = i > 0 && (flatKeys[i - 1] === 'idle' || flatKeys[i - 1] === 'seen-time') && i % 2 === 1;
      return closeTrees(x, b.value![i]!, slots.includes(i) || timeKey);
    });
  }
  if (a.type === 'map' && b.type === 'map') {
    if (a.value.length !== b.value.length) return false;
    return a.value.every(([k, v], i) => {
      const [k2, v2] = b.value[i]!;
      const name = k.type === 'bulk' && k.value !== null ? k.value.toString('latin1') : '';
      return closeTrees(k, k2) && closeTrees(v, v2, name === 'idle' || name === 'seen-time');
    });
  }
  return encode(a) === encode(b);
}

function encode(r: Reply): string {
  return JSON.stringify(r, (_k, v) => (typeof v === 'bigint' ? String(v) : v && v.type === 'Buffer' ? Buffer.from(v.data).toString('latin1') : v));
}

export const timesClose: Comparator = (a, b) => {
  if (a.equals(b)) return true;
  try {
    return closeTrees(parseOne(a), parseOne(b));
  } catch {
    return false;
  }
};
export const xinfoStream: Comparator = timesClose;

export class StreamsGen {
  /** Next milliseconds per key (IDs mostly grow). */
  private readonly ms = new Map<string, number>();

  constructor(private readonly rng: Rng) {}

  private key(): string {
    return this.rng.chance(0.05) ? this.rng.pick(STRING_KEYS) : this.rng.pick(STREAM_KEYS);
  }

  private nextMs(k: string): number {
    const cur = this.ms.get(k) ?? this.rng.int(3);
    const n = cur + (this.rng.chance(0.6) ? 0 : this.rng.int(3) + 1);
    this.ms.set(k, n);
    return n;
  }

  /** An ID for XADD on key k. */
  private addId(k: string): string {
    const r = this.rng;
    const p = r.next();
    if (p < 0.45) return `${this.nextMs(k)}-*`;
    if (p < 0.65) return `${this.nextMs(k)}-${r.int(5)}`;
    if (p < 0.75) return String(this.nextMs(k) + 1);
    if (p < 0.8) return r.pick(['0-0', '0', '0-1', '0-*', '18446744073709551615-18446744073709551614', '18446744073709551615-*', '18446744073709551615-18446744073709551615', '18446744073709551615']);
    if (p < 0.9) return `${Math.max(0, (this.ms.get(k) ?? 0) - r.int(3))}-${r.int(3)}`;
    return r.pick(BAD_IDS);
  }

  /** An ID for ranges, XDEL, MINID and XSETID. */
  private anyId(k: string): string {
    const r = this.rng;
    const top = this.ms.get(k) ?? 3;
    const p = r.next();
    if (p < 0.6) return `${r.int(top + 2)}-${r.int(4)}`;
    if (p < 0.8) return String(r.int(top + 2));
    if (p < 0.9) return r.pick(['-', '+', '0-0', '0', '18446744073709551615-18446744073709551615', '18446744073709551615']);
    return r.pick(BAD_IDS);
  }

  private fields(): string[] {
    const r = this.rng;
    const out: string[] = [];
    // Often the same fields as before, so that entries share their node's master fields.
    const n = r.chance(0.6) ? 2 : 1 + r.int(3);
    const same = r.chance(0.6);
    for (let i = 0; i < n; i++) out.push(same ? ['f', 'g', 'name'][i]! : r.pick(FIELDS), r.pick(VALUES));
    if (r.chance(0.03)) out.pop(); // odd: arity error
    return out;
  }

  private trimSpec(k: string): string[] {
    const r = this.rng;
    const out: string[] = [];
    const maxlen = r.chance(0.6);
    out.push(maxlen ? r.pick(['MAXLEN', 'maxlen']) : r.pick(['MINID', 'minid']));
    const op = r.pick(['', '', '~', '=', '~']);
    if (op !== '') out.push(op);
    out.push(maxlen ? r.pick(['0', '1', '2', '3', '5', '8', '20', String(r.int(30)), '-1', 'x']) : this.anyId(k));
    if (r.chance(0.25)) out.push('LIMIT', r.pick(['0', '1', '2', '5', '10', '100', '-1', 'x']));
    return out;
  }

  private command(): DiffCommand {
    const r = this.rng;
    const k = this.key();
    switch (r.weighted<string>([
      [30, 'xadd'], [10, 'xrange'], [6, 'xrevrange'], [4, 'xlen'], [7, 'xdel'], [6, 'xtrim'], [3, 'xsetid'],
      [6, 'xinfo'], [2, 'type'], [2, 'del'], [2, 'set'], [2, 'rename'], [1, 'copy'], [2, 'err'],
      [8, 'xgroup'], [14, 'xreadgroup'], [5, 'xread'], [7, 'xack'], [6, 'xpending'], [5, 'xclaim'], [4, 'xautoclaim'], [4, 'xinfo2'],
    ])) {
      case 'xgroup':
        return this.xgroup(k);
      case 'xreadgroup':
      case 'xread':
        return this.xread(k, r.chance(0.5) ? 'xreadgroup' : 'xread');
      case 'xack': {
        const args = ['XACK', k, this.group()];
        const n = 1 + r.int(3);
        for (let i = 0; i < n; i++) args.push(r.chance(0.8) ? this.anyIdStrict(k) : this.anyId(k));
        return { args };
      }
      case 'xpending': {
        const args = ['XPENDING', k, this.group()];
        if (r.chance(0.6)) {
          if (r.chance(0.2)) args.push('IDLE', r.pick(['0', '3600000', 'x']));
          args.push(r.chance(0.5) ? '-' : this.anyId(k), r.chance(0.5) ? '+' : this.anyId(k), r.chance(0.8) ? r.pick(['1', '2', '5', '100']) : r.pick(COUNTS));
          if (r.chance(0.5)) args.push(this.consumer());
        } else if (r.chance(0.05)) args.push('-', '+');
        return { args, compare: timesClose };
      }
      case 'xclaim': {
        const args = ['XCLAIM', k, this.group(), this.consumer(), r.weighted<string>([[10, '0'], [3, '3600000'], [1, '-5'], [1, 'x']])];
        const n = 1 + r.int(3);
        for (let i = 0; i < n; i++) args.push(r.chance(0.9) ? this.anyIdStrict(k) : r.pick(BAD_IDS));
        const opts: string[][] = [['FORCE'], ['JUSTID'], ['TIME', r.pick(['1000', '0', '-1', '99999999999999', 'x'])], ['RETRYCOUNT', r.pick(['0', '5', 'x'])], ['IDLE', r.pick(['1000000', '0'])], ['LASTID', this.anyId(k)], ['BOGUS']];
        for (const o of opts) if (r.chance(o[0] === 'BOGUS' ? 0.03 : 0.25)) args.push(...o);
        return { args, compare: timesClose };
      }
      case 'xautoclaim': {
        const args = ['XAUTOCLAIM', k, this.group(), this.consumer(), r.weighted<string>([[10, '0'], [3, '3600000'], [1, '-5'], [1, 'x']]), r.chance(0.5) ? '0-0' : this.anyId(k)];
        if (r.chance(0.5)) args.push('COUNT', r.weighted<string>([[10, '1'], [10, '2'], [5, '3'], [5, '100'], [1, '0'], [1, '-1'], [1, 'x']]));
        if (r.chance(0.3)) args.push('JUSTID');
        if (r.chance(0.03)) args.push('BOGUS');
        return { args, compare: timesClose };
      }
      case 'xinfo2': {
        const p = r.next();
        if (p < 0.35) return { args: ['XINFO', 'GROUPS', k], compare: timesClose };
        if (p < 0.65) return { args: ['XINFO', 'CONSUMERS', k, this.group()], compare: timesClose };
        const args = ['XINFO', 'STREAM', k, 'FULL'];
        if (r.chance(0.5)) args.push('COUNT', r.pick(['0', '1', '2', '-1', 'x']));
        if (r.chance(0.03)) args.push('junk');
        return { args, compare: xinfoStream };
      }
      case 'xadd': {
        const args = ['XADD', k];
        if (r.chance(0.08)) args.push('NOMKSTREAM');
        if (r.chance(0.25)) args.push(...this.trimSpec(k));
        if (r.chance(0.04)) args.push('NOMKSTREAM');
        args.push(this.addId(k), ...this.fields());
        return { args };
      }
      case 'xrange':
      case 'xrevrange': {
        const rev = r.next() < 0.5 && false;
        void rev;
        let a = this.anyId(k);
        let b = this.anyId(k);
        if (r.chance(0.3)) a = '-';
        if (r.chance(0.3)) b = '+';
        if (r.chance(0.15)) a = `(${a}`;
        if (r.chance(0.15)) b = `(${b}`;
        const isRev = r.chance(0.5) ? 'XRANGE' : 'XREVRANGE';
        const args = isRev === 'XRANGE' ? ['XRANGE', k, a, b] : ['XREVRANGE', k, b, a];
        if (r.chance(0.4)) args.push(r.pick(['COUNT', 'count']), r.pick(COUNTS));
        if (r.chance(0.03)) args.push('junk');
        return { args };
      }
      case 'xlen':
        return { args: ['XLEN', k] };
      case 'xdel': {
        const args = ['XDEL', k];
        const n = 1 + r.int(4);
        for (let i = 0; i < n; i++) args.push(this.anyId(k));
        return { args };
      }
      case 'xtrim':
        return { args: ['XTRIM', k, ...(r.chance(0.05) ? [] : this.trimSpec(k)), ...(r.chance(0.03) ? ['junk'] : [])] };
      case 'xsetid': {
        const top = this.ms.get(k) ?? 0;
        const args = ['XSETID', k, r.chance(0.7) ? `${top + r.int(3)}-${r.int(3)}` : this.anyId(k)];
        if (r.chance(0.3)) args.push('ENTRIESADDED', r.pick(['0', '1', '5', '100', '-1', 'x']));
        if (r.chance(0.3)) args.push('MAXDELETEDID', this.anyId(k));
        if (r.chance(0.05)) args.push('junk');
        if (r.chance(0.5)) this.ms.set(k, top + 3);
        return { args };
      }
      case 'xinfo':
        return { args: ['XINFO', 'STREAM', k], compare: xinfoStream };
      case 'type':
        return { args: [r.pick(['TYPE', 'EXISTS', 'OBJECT']), ...(r.chance(0.3) ? ['ENCODING'] : []), k].filter((x, i, a) => !(x === 'ENCODING' && a[0] !== 'OBJECT')) };
      case 'del':
        return { args: ['DEL', k] };
      case 'set':
        return { args: ['SET', r.pick(STRING_KEYS), 'x'] };
      case 'rename':
      case 'copy': {
        const group = r.pick([GROUP_A, GROUP_B, [...GROUP_A, ...GROUP_B, ...SOLO]]);
        const src = r.pick(group);
        const dst = r.pick(group);
        this.ms.set(dst, Math.max(this.ms.get(dst) ?? 0, this.ms.get(src) ?? 0));
        return { args: r.chance(0.5) ? ['RENAME', src, dst] : ['COPY', src, dst, ...(r.chance(0.5) ? ['REPLACE'] : [])] };
      }
      default:
        return { args: r.pick([['XADD', k], ['XADD', k, '1-1'], ['XADD', k, '1-1', 'f'], ['XRANGE', k, '-'], ['XLEN'], ['XDEL', k], ['XTRIM', k, 'MAXLEN'], ['XSETID', k]]) };
    }
  }

  private group(): string {
    return this.rng.weighted<string>([[14, 'g1'], [5, 'g2'], [1, 'nog']]);
  }

  private consumer(): string {
    return this.rng.pick(['c1', 'c1', 'c2', 'c3', '']);
  }

  /** A strict ID that exists more often than not (XCLAIM's IDs are strict: no '-' or '+'). */
  private anyIdStrict(k: string): string {
    const top = this.ms.get(k) ?? 3;
    return `${this.rng.int(top + 2)}-${this.rng.int(4)}`;
  }

  private xgroup(k: string): DiffCommand {
    const r = this.rng;
    const p = r.next();
    if (p < 0.4) {
      const args = ['XGROUP', 'CREATE', k, this.group(), r.chance(0.3) ? '$' : r.chance(0.9) ? this.anyIdStrict(k) : this.anyId(k)];
      if (r.chance(0.7)) args.push('MKSTREAM');
      if (r.chance(0.2)) args.push('ENTRIESREAD', r.pick(['0', '1', '3', '-1', '-2', 'x']));
      if (r.chance(0.03)) args.push('junk');
      return { args };
    }
    if (p < 0.55) {
      const args = ['XGROUP', 'SETID', k, this.group(), r.chance(0.3) ? '$' : this.anyId(k)];
      if (r.chance(0.4)) args.push('ENTRIESREAD', r.pick(['0', '2', '5', '-1', 'x']));
      return { args };
    }
    if (p < 0.65) return { args: ['XGROUP', 'DESTROY', k, this.group()] };
    if (p < 0.8) return { args: ['XGROUP', 'CREATECONSUMER', k, this.group(), this.consumer()] };
    if (p < 0.95) return { args: ['XGROUP', 'DELCONSUMER', k, this.group(), this.consumer()] };
    return { args: r.pick([['XGROUP', 'HELP'], ['XGROUP', 'NOSUCH', k], ['XINFO', 'HELP'], ['XGROUP', 'CREATE', k], ['XINFO', 'NOSUCH', k]]) };
  }

  private xread(k: string, cmd: 'xread' | 'xreadgroup'): DiffCommand {
    const r = this.rng;
    const args: string[] = [cmd.toUpperCase()];
    if (cmd === 'xreadgroup' && r.chance(0.97)) args.push('GROUP', this.group(), this.consumer());
    if (r.chance(0.4)) args.push('COUNT', r.weighted<string>([[10, '1'], [10, '2'], [5, '5'], [2, '0'], [1, '-1'], [1, 'x']]));
    if (cmd === 'xreadgroup' && r.chance(0.2)) args.push('NOACK');
    if (r.chance(0.02)) args.push(cmd === 'xread' ? 'NOACK' : 'BOGUS');
    // Several keys only within a {tag}, so that they share a shard.
    const keys = [k];
    const group = [GROUP_A, GROUP_B].find((g) => g.includes(k));
    if (group !== undefined && r.chance(0.3)) keys.push(r.pick(group));
    // Streams on other shards too (XREAD across shards).
    if (r.chance(0.3)) keys.push(r.pick(STREAM_KEYS));
    if (r.chance(0.1)) keys.push(r.pick(STREAM_KEYS));
    args.push('STREAMS', ...keys);
    for (const key of keys) {
      const p = r.next();
      if (cmd === 'xreadgroup') args.push(p < 0.6 ? '>' : p < 0.95 ? (r.chance(0.5) ? '0' : this.anyIdStrict(key)) : r.pick(['$', 'x']));
      else args.push(p < 0.6 ? (r.chance(0.5) ? '0' : this.anyIdStrict(key)) : p < 0.9 ? '$' : r.pick(['>', 'x', '-']));
    }
    if (r.chance(0.03)) args.pop();
    // A key named twice: Redis reads it twice (in one reply), as Shoal does.
    return { args };
  }

  /** `n` commands, with node limits changed now and then (CONFIG SET on both servers). */
  sequence(n: number): DiffCommand[] {
    const out: DiffCommand[] = [];
    for (let i = 0; i < n; i++) {
      if (this.rng.chance(0.01)) {
        out.push({ args: ['CONFIG', 'SET', 'stream-node-max-entries', this.rng.pick(['2', '3', '5', '100', '0'])] });
        out.push({ args: ['CONFIG', 'SET', 'stream-node-max-bytes', this.rng.pick(['4096', '0', '8192'])] });
      }
      // Groups on the stream keys now and then, so that the group commands find some.
      if (this.rng.chance(0.04)) out.push({ args: ['XGROUP', 'CREATE', this.rng.pick(STREAM_KEYS), this.rng.chance(0.8) ? 'g1' : 'g2', this.rng.pick(['0', '$', '0-0']), 'MKSTREAM'] });
      out.push(this.command());
    }
    return out;
  }
}

export function replyOf(b: Buffer): Reply {
  return parseOne(b);
}
