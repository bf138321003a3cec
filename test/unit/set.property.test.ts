/**
 * The arena set (src/types/set.ts) against a model: a JS Set of members plus
 * the encoding Redis 7.2 would be in and, for the packed encodings, the
 * member order (intset ascending, listpack insertion order). Random adds
 * (with SADD's size hint), removals, membership tests, random picks,
 * iteration and serialization round trips run under several threshold
 * settings, so every conversion (intset → listpack, intset → hashtable,
 * listpack → hashtable, and the hint conversions) happens on both sides of
 * its threshold. After every step the invariants are checked; MEMORY usage
 * must equal the arena bytes the set holds; freeing must give every block back.
 *
 *   SET_RUNS=10   ten times as many random runs
 */
import { describe, expect, it } from 'vitest';
import { Arena, DashTable } from 'native-free-arena';
import {
  K_HASHTABLE,
  K_INTSET,
  K_LISTPACK,
  type SetLimits,
  cur,
  kindForNew,
  setAdd,
  setCheck,
  setCreate,
  setDeserialize,
  setEncoding,
  setForEach,
  setFree,
  setHas,
  setKind,
  setMaybeConvert,
  setMemoryUsage,
  setRandomRef,
  setRef,
  setRefs,
  setRemove,
  setScanTable,
  setSerialize,
  setSize,
} from '../../src/types/set.js';
import { tableOf } from '../../src/types/collection-table.js';
import { Rng } from '../helpers/rng.js';

const RUNS = 12 * Number(process.env.SET_RUNS ?? 1);

const CONFIGS: SetLimits[] = [
  { intsetEntries: 512, listpackEntries: 128, listpackValue: 64 }, // defaults
  { intsetEntries: 6, listpackEntries: 4, listpackValue: 5 }, // every threshold crossed often
  { intsetEntries: 20, listpackEntries: 0, listpackValue: 64 }, // Redis 7.0: no listpack
  { intsetEntries: 0, listpackEntries: 10, listpackValue: 3 }, // intset never holds anything
  { intsetEntries: 3, listpackEntries: 30, listpackValue: 25 },
];

const INT_EDGES = [
  '0', '1', '-1', '32767', '32768', '-32768', '-32769', '2147483647', '2147483648', '-2147483648',
  '-2147483649', '9007199254740991', '9007199254740993', '-9007199254740993', '4294967296', '-4294967296',
  '9223372036854775807', '-9223372036854775808', '12345678901234567',
];
/** Integer-looking strings that are not integers under string2ll: never intset members. */
const NOT_INT = ['01', '+1', '-0', ' 1', '1 ', '9223372036854775808', '-9223372036854775809', '1.0', ''];

function isInt(s: string): boolean {
  if (!/^-?[1-9][0-9]*$/.test(s) && s !== '0') return false;
  const b = BigInt(s);
  return b >= -(2n ** 63n) && b < 2n ** 63n;
}

function member(rng: Rng): string {
  const r = rng.next();
  if (r < 0.3) return String(rng.range(-60, 60));
  if (r < 0.45) return rng.pick(INT_EDGES);
  if (r < 0.5) return rng.pick(NOT_INT);
  if (r < 0.7) return rng.string(rng.range(0, 4), 'abc');
  if (r < 0.8) return rng.string(rng.range(0, 30));
  if (r < 0.9) return rng.bytes(rng.range(1, 8)).toString('latin1');
  if (r < 0.97) return String(rng.range(-100000, 100000) * 65536);
  return rng.string(rng.range(100, 20000)); // 2- and 5-byte listpack headers
}

const bytes = (s: string): Buffer => Buffer.from(s, 'latin1');

/** What Redis 7.2 would hold: members, encoding, and the order of packed encodings. */
class Model {
  members = new Set<string>();
  order: string[] = [];
  kind: number;
  constructor(
    first: string,
    hint: number,
    readonly lim: SetLimits,
  ) {
    const b = bytes(first);
    this.kind = kindForNew(b, 0, b.length, hint, lim);
    // The implementation's rule, restated: integers and hint within intset, else hint within listpack.
    const expect = isInt(first) && hint <= lim.intsetEntries ? K_INTSET : hint <= lim.listpackEntries ? K_LISTPACK : K_HASHTABLE;
    if (this.kind !== expect) throw new Error(`kindForNew(${JSON.stringify(first)}, ${hint}) = ${this.kind}, want ${expect}`);
  }
  private sortInts(): void {
    this.order.sort((p, q) => (BigInt(p) < BigInt(q) ? -1 : BigInt(p) > BigInt(q) ? 1 : 0));
  }
  maybeConvert(hint: number): void {
    if ((this.kind === K_LISTPACK && hint > this.lim.listpackEntries) || (this.kind === K_INTSET && hint > this.lim.intsetEntries)) {
      this.kind = K_HASHTABLE;
    }
  }
  add(m: string): boolean {
    if (this.members.has(m)) return false;
    this.members.add(m);
    const n = this.members.size - 1;
    const l = this.lim;
    if (this.kind === K_INTSET) {
      if (isInt(m)) {
        this.order.push(m);
        this.sortInts();
        if (this.members.size > l.intsetEntries) this.kind = K_HASHTABLE;
      } else {
        const maxLen = Math.max(0, ...this.order.map((s) => s.length));
        if (n < l.listpackEntries && m.length <= l.listpackValue && maxLen <= l.listpackValue) {
          this.kind = K_LISTPACK;
          this.order.push(m);
        } else this.kind = K_HASHTABLE;
      }
    } else if (this.kind === K_LISTPACK) {
      if (n < l.listpackEntries && m.length <= l.listpackValue) this.order.push(m);
      else this.kind = K_HASHTABLE;
    }
    if (this.kind === K_HASHTABLE) this.order = [];
    return true;
  }
  remove(m: string): boolean {
    if (!this.members.delete(m)) return false;
    if (this.kind !== K_HASHTABLE) this.order.splice(this.order.indexOf(m), 1);
    return true;
  }
}

function members(a: Arena, v: number): string[] {
  const out: string[] = [];
  setForEach(a, v, () => out.push(Buffer.from(cur.u8.subarray(cur.off, cur.off + cur.len)).toString('latin1')));
  return out;
}

function verify(a: Arena, v: number, model: Model, baseline: number): void {
  setCheck(a, v);
  expect(setKind(a, v)).toBe(model.kind);
  expect(setSize(a, v)).toBe(model.members.size);
  const got = members(a, v);
  if (model.kind === K_HASHTABLE) expect(new Set(got)).toEqual(model.members);
  else expect(got).toEqual(model.order);
  expect(got.length).toBe(model.members.size);
  // MEMORY USAGE counts exactly the arena blocks the set holds (plus a table's JS directory).
  const held = a.allocatedBytes - baseline;
  const dir = model.kind === K_HASHTABLE ? 4 * 2 ** tableOf(a, v).globalDepth : 0;
  expect(setMemoryUsage(a, v)).toBe(held + dir);
}

function runOnce(seed: number, lim: SetLimits, steps: number): void {
  const rng = new Rng(seed);
  const a = new Arena();
  // A table touches the arena lazily the first time; keep that out of the baseline.
  new DashTable(a).destroy();
  const baseline = a.allocatedBytes;
  const blocks = a.liveBlocks;
  const first = member(rng);
  const hint = rng.chance(0.2) ? rng.range(1, 40) : 1;
  const model = new Model(first, hint, lim);
  let v = setCreate(a, model.kind);
  expect(setAdd(a, v, bytes(first), 0, first.length, lim)).toBe(model.add(first));
  verify(a, v, model, baseline);
  for (let step = 0; step < steps; step++) {
    const r = rng.next();
    if (r < 0.45) {
      const n = rng.chance(0.8) ? 1 : rng.range(2, 12);
      if (n > 1 || rng.chance(0.1)) {
        setMaybeConvert(a, v, n, lim);
        model.maybeConvert(n);
      }
      for (let i = 0; i < n; i++) {
        const m = member(rng);
        expect(setAdd(a, v, bytes(m), 0, m.length, lim)).toBe(model.add(m));
      }
    } else if (r < 0.7) {
      const present = [...model.members];
      const m = present.length > 0 && rng.chance(0.7) ? rng.pick(present) : member(rng);
      expect(setRemove(a, v, bytes(m), 0, m.length)).toBe(model.remove(m));
    } else if (r < 0.8) {
      const m = rng.chance(0.5) && model.members.size > 0 ? rng.pick([...model.members]) : member(rng);
      expect(setHas(a, v, bytes(m), 0, m.length)).toBe(model.members.has(m));
    } else if (r < 0.88) {
      if (model.members.size > 0) {
        setRef(a, v, setRandomRef(a, v, () => rng.next()));
        expect(model.members.has(Buffer.from(cur.u8.subarray(cur.off, cur.off + cur.len)).toString('latin1'))).toBe(true);
        const refs = setRefs(a, v);
        const seen = new Set<string>();
        for (const ref of refs) {
          setRef(a, v, ref);
          seen.add(Buffer.from(cur.u8.subarray(cur.off, cur.off + cur.len)).toString('latin1'));
        }
        expect(seen).toEqual(model.members);
      }
    } else if (r < 0.94) {
      // Round trip through the serialized form keeps members, order and encoding.
      const blob = setSerialize(a, v);
      const w = setDeserialize(a, blob, 0, blob.length, setEncoding(a, v));
      expect(setKind(a, w)).toBe(setKind(a, v));
      if (model.kind === K_HASHTABLE) expect(new Set(members(a, w))).toEqual(model.members);
      else expect(members(a, w)).toEqual(model.order);
      setCheck(a, w);
      setFree(a, v);
      v = w;
    } else if (model.kind === K_HASHTABLE) {
      // A full scan reports every member.
      const seen = new Set<string>();
      let c = 0;
      do {
        c = setScanTable(a, v, c, rng.range(1, 20), () => {
          seen.add(Buffer.from(cur.u8.subarray(cur.off, cur.off + cur.len)).toString('latin1'));
        });
      } while (c !== 0);
      expect(seen).toEqual(model.members);
    }
    verify(a, v, model, baseline);
  }
  setFree(a, v);
  expect(a.liveBlocks).toBe(blocks);
  expect(a.allocatedBytes).toBe(baseline);
}

describe('set: arena structure vs model', () => {
  for (let c = 0; c < CONFIGS.length; c++) {
    const lim = CONFIGS[c];
    it(`limits ${JSON.stringify(lim)}: ${RUNS} random runs`, () => {
      for (let run = 0; run < RUNS; run++) {
        const seed = 1000 * c + run + 1;
        try {
          runOnce(seed, lim, run % 3 === 0 ? 400 : 120);
        } catch (e) {
          (e as Error).message = `[seed ${seed}] ${(e as Error).message}`;
          throw e;
        }
      }
    });
  }

  it('intsets widen 2 → 4 → 8 bytes and stay sorted; memory tracks the width', () => {
    const a = new Arena();
    const lim = CONFIGS[0];
    const v = setCreate(a, K_INTSET);
    const add = (s: string) => setAdd(a, v, bytes(s), 0, s.length, lim);
    for (let i = 0; i < 100; i++) add(String(i * 300 - 15000));
    const small = setMemoryUsage(a, v);
    add('-9223372036854775808');
    add('9223372036854775807');
    setCheck(a, v);
    expect(setMemoryUsage(a, v)).toBeGreaterThan(small * 3);
    const got = members(a, v);
    expect(got[0]).toBe('-9223372036854775808');
    expect(got[got.length - 1]).toBe('9223372036854775807');
    expect(setHas(a, v, bytes('9223372036854775807'), 0, 19)).toBe(true);
    expect(setHas(a, v, bytes('9223372036854775806'), 0, 19)).toBe(false);
    setFree(a, v);
    expect(a.liveBlocks).toBe(0);
  });

  it('deserialize rejects malformed blobs without allocating', () => {
    const a = new Arena();
    const v = setCreate(a, K_INTSET);
    setAdd(a, v, bytes('5'), 0, 1, CONFIGS[0]);
    const blob = setSerialize(a, v);
    setFree(a, v);
    const live = a.liveBlocks;
    expect(() => setDeserialize(a, blob, 0, blob.length - 1, 6)).toThrow();
    expect(() => setDeserialize(a, blob, 0, blob.length, 99)).toThrow();
    const notInt = Buffer.from([1, 0, 0, 0, 1, 0, 0, 0, 0x61]);
    expect(() => setDeserialize(a, notInt, 0, notInt.length, 6)).toThrow();
    expect(a.liveBlocks).toBe(live);
  });
});
