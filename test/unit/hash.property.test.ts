/**
 * The arena hash (src/types/hash.ts) against a JS Map model: random sequences
 * of sets, replacements (growing and shrinking values, across the 1/2/5-byte
 * length prefixes), deletions, reads and serialization round trips, under
 * random listpack thresholds so that hashes convert to hashtables part way,
 * as the command layer converts them. After every step the structure's
 * invariants are checked and its contents compared with the model (in order
 * while it is a listpack); MEMORY USAGE must equal the usable sizes of the
 * blocks it owns; at the end, freeing the hash must give every block back.
 *
 *   HASH_RUNS=10   ten times as many random runs
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Arena } from 'native-free-arena';
import {
  deleted,
  hashCheck,
  hashCreate,
  hashDelete,
  hashDeserialize,
  hashFree,
  hashGet,
  hashLength,
  hashMemoryUsage,
  hashSerialize,
  hashSet,
  hashTable,
  hashToArray,
  hashToTable,
  hv,
  isTable,
  setCreated,
} from '../../src/types/hash.js';
import { Enc } from '../../src/shard/object.js';

const RUNS = Number(process.env.HASH_RUNS ?? 1);

type Op =
  | { t: 'set'; f: Buffer; v: Buffer }
  | { t: 'del'; f: Buffer }
  | { t: 'get'; f: Buffer }
  | { t: 'roundtrip' };

const POOL = ['a', 'b', 'c', '', '\r\n', '\0', 'a\0b', '12345', '-1', 'field:1', 'field:2'].map((s) => Buffer.from(s));

/** Byte strings of every prefix width: < 128, < 16384 and longer. */
function bytesArb(bigWeight: number): fc.Arbitrary<Buffer> {
  return fc.oneof(
    { weight: 100, arbitrary: fc.constantFrom(...POOL) },
    { weight: 100, arbitrary: fc.uint8Array({ minLength: 0, maxLength: 20 }).map((u) => Buffer.from(u)) },
    { weight: 30, arbitrary: fc.integer({ min: 60, max: 300 }).map((n) => Buffer.alloc(n, 0x61 + (n % 26))) },
    { weight: Math.round(bigWeight * 10), arbitrary: fc.integer({ min: 16000, max: 20000 }).map((n) => Buffer.alloc(n, 0x30 + (n % 10))) },
  );
}

function opArb(fields: fc.Arbitrary<Buffer>, values: fc.Arbitrary<Buffer>): fc.Arbitrary<Op> {
  return fc.oneof(
    { weight: 100, arbitrary: fc.record({ t: fc.constant('set' as const), f: fields, v: values }) },
    { weight: 40, arbitrary: fc.record({ t: fc.constant('del' as const), f: fields }) },
    { weight: 40, arbitrary: fc.record({ t: fc.constant('get' as const), f: fields }) },
    { weight: 3, arbitrary: fc.constant({ t: 'roundtrip' as const }) },
  );
}

const key = (b: Buffer): string => b.toString('latin1');

/** What MEMORY USAGE must say: every block the hash owns, walked independently. */
function blocksOf(a: Arena, v: number): number {
  if (!isTable(a, v)) return a.usableSize(v);
  const t = hashTable(a, v);
  let n = a.usableSize(v) + t.memoryUsage();
  t.forEach((e) => {
    n += a.usableSize(e);
  });
  return n;
}

function check(a: Arena, v: number, model: Map<string, Buffer>): void {
  hashCheck(a, v);
  expect(hashLength(a, v)).toBe(model.size);
  const pairs = hashToArray(a, v).map(([f, x]) => [key(Buffer.from(f)), key(Buffer.from(x))]);
  const expected = [...model].map(([f, x]) => [f, key(x)]);
  // A listpack keeps insertion order (Map order); a hashtable has its own.
  if (isTable(a, v)) {
    pairs.sort();
    expected.sort();
  }
  expect(pairs).toEqual(expected);
  expect(hashMemoryUsage(a, v)).toBe(blocksOf(a, v));
}

/** Runs ops with the command layer's conversion policy; returns nothing, asserts throughout. */
function runOps(ops: Op[], maxEntries: number, maxValue: number): void {
  const a = new Arena();
  const baseline = a.liveBlocks;
  const model = new Map<string, Buffer>();
  let v = hashCreate(a);
  let table = false;
  for (const op of ops) {
    switch (op.t) {
      case 'set': {
        if (!table && (op.f.length > maxValue || op.v.length > maxValue)) {
          v = hashToTable(a, v);
          table = true;
        }
        v = hashSet(a, v, op.f, 0, op.f.length, op.v, 0, op.v.length);
        expect(setCreated).toBe(!model.has(key(op.f)));
        model.set(key(op.f), Buffer.from(op.v));
        if (!table && hashLength(a, v) > maxEntries) {
          v = hashToTable(a, v);
          table = true;
        }
        break;
      }
      case 'del': {
        v = hashDelete(a, v, op.f, 0, op.f.length);
        expect(deleted).toBe(model.delete(key(op.f)));
        break;
      }
      case 'get': {
        const found = hashGet(a, v, op.f, 0, op.f.length);
        const m = model.get(key(op.f));
        expect(found).toBe(m !== undefined);
        if (m !== undefined) expect(Buffer.from(hv.u8.subarray(hv.off, hv.off + hv.len)).equals(m)).toBe(true);
        break;
      }
      case 'roundtrip': {
        const blob = hashSerialize(a, v);
        const copy = hashDeserialize(a, blob, 0, blob.length, table ? Enc.HashTable : Enc.ListPack);
        expect(isTable(a, copy)).toBe(table);
        check(a, copy, model);
        hashFree(a, v);
        v = copy;
        break;
      }
    }
    expect(isTable(a, v)).toBe(table);
    check(a, v, model);
  }
  hashFree(a, v);
  expect(a.liveBlocks).toBe(baseline);
}

describe('arena hash vs Map model', () => {
  it('small hashes under the default thresholds (listpack, converting on long values)', () => {
    fc.assert(
      fc.property(fc.array(opArb(bytesArb(0), bytesArb(0.2)), { maxLength: 120 }), (ops) => runOps(ops, 512, 64)),
      { numRuns: 150 * RUNS },
    );
  });

  it('low random thresholds: conversion part way, then hashtable operations', () => {
    fc.assert(
      fc.property(
        fc.array(opArb(bytesArb(0.1), bytesArb(0.5)), { maxLength: 150 }),
        fc.integer({ min: 0, max: 12 }),
        fc.integer({ min: 0, max: 80 }),
        (ops, maxEntries, maxValue) => runOps(ops, maxEntries, maxValue),
      ),
      { numRuns: 150 * RUNS },
    );
  });

  it('a hash of thousands of fields: listpack to hashtable, deletions, round trip, no leak', () => {
    const ops: Op[] = [];
    for (let i = 0; i < 3000; i++) ops.push({ t: 'set', f: Buffer.from(`field:${i}`), v: Buffer.from(String(i * 7)) });
    for (let i = 0; i < 3000; i += 3) ops.push({ t: 'set', f: Buffer.from(`field:${i}`), v: Buffer.alloc(i % 400, 0x78) });
    for (let i = 0; i < 3000; i += 2) ops.push({ t: 'del', f: Buffer.from(`field:${i}`) });
    ops.push({ t: 'roundtrip' });
    for (let i = 0; i < 3000; i++) ops.push({ t: 'get', f: Buffer.from(`field:${i}`) });
    // Checking after every step is quadratic: run the same policy with checks at the end only.
    const a = new Arena();
    const model = new Map<string, Buffer>();
    let v = hashCreate(a);
    for (const op of ops) {
      if (op.t === 'set') {
        if (!isTable(a, v) && hashLength(a, v) >= 512) v = hashToTable(a, v);
        v = hashSet(a, v, op.f, 0, op.f.length, op.v, 0, op.v.length);
        model.set(key(op.f), op.v);
      } else if (op.t === 'del') {
        v = hashDelete(a, v, op.f, 0, op.f.length);
        model.delete(key(op.f));
      } else if (op.t === 'get') {
        expect(hashGet(a, v, op.f, 0, op.f.length)).toBe(model.has(key(op.f)));
      } else {
        const blob = hashSerialize(a, v);
        const copy = hashDeserialize(a, blob, 0, blob.length, Enc.HashTable);
        hashFree(a, v);
        v = copy;
      }
    }
    expect(isTable(a, v)).toBe(true);
    check(a, v, model);
    hashFree(a, v);
    expect(a.liveBlocks).toBe(0);
    expect(a.allocatedBytes).toBe(0);
  });

  it('rejects malformed blobs without leaving blocks behind', () => {
    const a = new Arena();
    let v = hashCreate(a);
    v = hashSet(a, v, Buffer.from('f'), 0, 1, Buffer.from('value'), 0, 5);
    const blob = hashSerialize(a, v);
    hashFree(a, v);
    const before = a.liveBlocks;
    for (const bad of [blob.subarray(0, blob.length - 1), blob.subarray(0, 4), Buffer.concat([blob, Buffer.from([5])])]) {
      for (const enc of [Enc.ListPack, Enc.HashTable]) {
        expect(() => hashDeserialize(a, bad, 0, bad.length, enc)).toThrow();
        expect(a.liveBlocks).toBe(before);
      }
    }
    const wrongCount = Buffer.from(blob);
    wrongCount[0] = 2;
    expect(() => hashDeserialize(a, wrongCount, 0, wrongCount.length, Enc.ListPack)).toThrow();
    expect(a.liveBlocks).toBe(before);
  });
});
