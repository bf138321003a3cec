/**
 * The arena stream (src/types/stream.ts: listpack nodes indexed by master
 * ID) against a plain model (an array of entries in ID order): random
 * sequences of appends (IDs jumping in milliseconds or sequence, fields
 * often repeating the node's master fields, values that are and are not
 * integers), deletions, exact and approximate trims, under random node
 * limits. After every step the stream is read whole both ways and in
 * random ranges and compared with the model, with its counters (length,
 * last ID, first ID, max deleted ID, entries added); every few steps it
 * goes through its serialized form (what RDB, DUMP and moves between
 * shards carry) and back, or has some of its blocks moved (defragmentation). Freeing it gives every block back.
 *
 *   STREAM_RUNS=10   ten times as many random runs
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Arena } from 'native-free-arena';
import {
  ID_MAX, type NodeLimits, Trim, edgeId, entriesAdded, firstIdField, lastId, maxDeletedId, refreshFirstId, setMaxDeletedId,
  streamAppend, streamCreate, streamDelete, streamFree, streamGet, streamLength, streamMemory, streamRange, streamRelocate, streamTrim, nodeCount,
} from '../../src/types/stream.js';
import { decodeStreamPayload, encodeStreamPayload } from '../../src/types/stream-codec.js';
import { assertProperty } from '../helpers/property.js';

const RUNS = Number(process.env.STREAM_RUNS ?? 1);
const enc = new TextEncoder();
const dec = new TextDecoder();

type Op =
  | { t: 'add'; jump: number; seqJump: number; fields: number; same: boolean; values: string[] }
  | { t: 'del'; pick: number; miss: boolean }
  | { t: 'maxlen'; n: number; approx: boolean; limit: number }
  | { t: 'minid'; pick: number; approx: boolean }
  | { t: 'range'; a: number; b: number; rev: boolean; count: number }
  | { t: 'roundtrip' }
  | { t: 'relocate'; every: number };

const VALUES = ['v', '1', '-1', '0', '127', '128', '-4096', '65536', '9223372036854775807', '-9223372036854775808', '18446744073709551616', '', 'hello', 'x'.repeat(70), '007', '3.5'];
const FIELDS = ['f', 'g', 'h', '12', 'long-field-name'];

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 10, arbitrary: fc.record({ t: fc.constant('add' as const), jump: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 5 }), fc.constant(2 ** 40)), seqJump: fc.integer({ min: 0, max: 3 }), fields: fc.integer({ min: 1, max: 3 }), same: fc.boolean(), values: fc.array(fc.constantFrom(...VALUES), { minLength: 3, maxLength: 3 }) }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('del' as const), pick: fc.nat(), miss: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('maxlen' as const), n: fc.integer({ min: 0, max: 30 }), approx: fc.boolean(), limit: fc.constantFrom(0, 1, 5, 100) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('minid' as const), pick: fc.nat(), approx: fc.boolean() }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('range' as const), a: fc.nat(), b: fc.nat(), rev: fc.boolean(), count: fc.constantFrom(0, 1, 2, 7) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('roundtrip' as const) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('relocate' as const), every: fc.integer({ min: 1, max: 3 }) }) },
);

interface Entry {
  id: bigint;
  fields: string[];
}

function read(a: Arena, v: number, start: bigint, end: bigint, rev: boolean, count: number): Entry[] {
  const out: Entry[] = [];
  streamRange(a, v, start, end, rev, count, (id, f) => {
    out.push({ id, fields: f.map((b) => dec.decode(b)) });
  });
  return out;
}

function args(fv: string[]): { u8: Uint8Array; off: number[]; len: number[] } {
  const parts = fv.map((s) => enc.encode(s));
  const u8 = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  const off: number[] = [];
  const len: number[] = [];
  let o = 0;
  for (const p of parts) {
    u8.set(p, o);
    off.push(o);
    len.push(p.length);
    o += p.length;
  }
  return { u8, off, len };
}

describe('arena stream against a model', () => {
  it('appends, deletes, trims, ranges and round trips agree with the model', () => {
    assertProperty(
      fc.property(
        fc.record({ maxEntries: fc.constantFrom(0, 2, 3, 5, 100), maxBytes: fc.constantFrom(0, 60, 200, 4096) }),
        fc.array(op, { minLength: 1, maxLength: 120 }),
        (limitsIn, ops) => {
          const limits: NodeLimits = limitsIn;
          const a = new Arena();
          const blocks0 = a.liveBlocks;
          let v = streamCreate(a);
          let model: Entry[] = [];
          let last = 0n;
          let added = 0n;
          let maxDel = 0n;
          const check = () => {
            expect(read(a, v, 0n, ID_MAX, false, 0)).toEqual(model);
            expect(read(a, v, 0n, ID_MAX, true, 0)).toEqual([...model].reverse());
            expect(streamLength(a, v)).toBe(model.length);
            expect(lastId(a, v)).toBe(last);
            expect(entriesAdded(a, v)).toBe(added);
            expect(maxDeletedId(a, v)).toBe(maxDel);
            expect(firstIdField(a, v)).toBe(model.length > 0 ? model[0]!.id : 0n);
            expect(edgeId(a, v, false)).toBe(model.length > 0 ? model[model.length - 1]!.id : null);
            expect(streamMemory(a, v)).toBeGreaterThan(0);
          };
          for (const o of ops) {
            switch (o.t) {
              case 'add': {
                const ms = (last >> 64n) + BigInt(o.jump);
                const id = ms === last >> 64n ? last + 1n + BigInt(o.seqJump) : (ms << 64n) | BigInt(o.seqJump);
                const fv: string[] = [];
                for (let k = 0; k < o.fields; k++) fv.push(o.same ? FIELDS[k]! : FIELDS[(k + o.values.length + o.jump) % FIELDS.length]!, o.values[k % 3]!);
                const x = args(fv);
                streamAppend(a, v, id, x.u8, x.off, x.len, 0, o.fields, limits);
                model.push({ id, fields: fv });
                last = id;
                added++;
                break;
              }
              case 'del': {
                const id = o.miss || model.length === 0 ? last + 7n : model[o.pick % model.length]!.id;
                const had = model.some((e) => e.id === id);
                expect(streamDelete(a, v, id)).toBe(had);
                if (had) {
                  model = model.filter((e) => e.id !== id);
                  if (id > maxDel) maxDel = id;
                  setMaxDeletedId(a, v, maxDel);
                  refreshFirstId(a, v);
                }
                break;
              }
              case 'maxlen': {
                const n = streamTrim(a, v, Trim.MaxLen, o.n, 0n, o.approx, o.approx ? o.limit : 0);
                if (!o.approx) {
                  expect(n).toBe(Math.max(0, model.length - o.n));
                  model = model.slice(model.length - Math.min(model.length, o.n));
                } else {
                  // Whole nodes only: a prefix goes, never below the length asked for.
                  expect(model.length - n).toBeGreaterThanOrEqual(Math.min(model.length, o.n));
                  model = model.slice(n);
                }
                break;
              }
              case 'minid': {
                const min = model.length === 0 ? last : model[o.pick % model.length]!.id;
                const n = streamTrim(a, v, Trim.MinId, 0, min, o.approx, 0);
                const below = model.filter((e) => e.id < min).length;
                if (!o.approx) expect(n).toBe(below);
                else expect(n).toBeLessThanOrEqual(below);
                model = model.slice(n);
                break;
              }
              case 'range': {
                const ids = [0n, ...model.map((e) => e.id), ID_MAX];
                const lo = ids[o.a % ids.length]!;
                const hi = ids[o.b % ids.length]!;
                let want = model.filter((e) => e.id >= lo && e.id <= hi);
                if (o.rev) want = want.reverse();
                if (o.count > 0) want = want.slice(0, o.count);
                expect(read(a, v, lo, hi, o.rev, o.count)).toEqual(want);
                if (model.length > 0) {
                  const e = model[o.a % model.length]!;
                  expect(streamGet(a, v, e.id)?.map((b) => dec.decode(b))).toEqual(e.fields);
                }
                break;
              }
              case 'relocate': {
                // Defragmentation moves some of the blocks (every n-th asked about), the groups' key with the header.
                let k = 0;
                v = streamRelocate(a, v, () => k++ % o.every === 0);
                break;
              }
              case 'roundtrip': {
                const blob = encodeStreamPayload(a, v);
                const nodes = nodeCount(a, v);
                streamFree(a, v);
                v = decodeStreamPayload(a, blob, 0, blob.length);
                expect(nodeCount(a, v)).toBe(nodes);
                break;
              }
            }
            check();
          }
          streamFree(a, v);
          expect(a.liveBlocks).toBe(blocks0);
        },
      ),
      50 * RUNS,
    );
  });
});
