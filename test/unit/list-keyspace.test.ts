/**
 * Lists in a Keyspace built directly (no server): every way a key goes away
 * (DEL, expiry, FLUSHDB, being replaced, RENAME/MOVE and COPY through
 * serialize.ts) must give the list's blocks back to the arena.
 */
import '../../src/types/types.js';
import { describe, expect, it } from 'vitest';
import { Arena } from 'native-free-arena';
import { Enc, Keyspace, ObjType } from '../../src/shard/keyspace.js';
import { HEAD, TAIL, listCheck, listCreate, listMemoryUsage, listPush, listToArray } from '../../src/types/list.js';
import { exportEntry, importEntry, transferEntry } from '../../src/types/serialize.js';
import { setString } from '../../src/types/string.js';

const enc = (s: string) => Buffer.from(s, 'latin1');

/** Creates key `k` in `db` as a list of `n` elements (some longer than a node). */
function makeList(ks: Keyspace, db: number, k: string, n: number): number {
  const key = enc(k);
  const h = ks.insertNew(db, key, 0, key.length, 0, ObjType.List, Enc.QuickList, 0);
  const lh = listCreate(ks.arena);
  ks.setValueWord(h, lh);
  for (let i = 0; i < n; i++) {
    const v = i % 500 === 499 ? Buffer.alloc(20_000, i & 0xff) : enc(`${k}:${i}\r\n\0`);
    listPush(ks.arena, lh, i % 3 === 0 ? HEAD : TAIL, v, 0, v.length);
  }
  return h;
}

function elements(ks: Keyspace, h: number): string[] {
  return listToArray(ks.arena, ks.valueWord(h)).map((b) => Buffer.from(b).toString('hex'));
}

describe('lists in the keyspace free their blocks', () => {
  it('DEL, expiry, FLUSHDB and overwriting leave the arena as before', () => {
    const arena = new Arena();
    const ks = new Keyspace(arena);
    const blocks = arena.liveBlocks;
    const bytes = arena.allocatedBytes;

    for (let i = 0; i < 200; i++) makeList(ks, 0, `list${i}`, i * 7);
    expect(arena.liveBlocks).toBeGreaterThan(blocks + 400);
    for (let i = 0; i < 200; i++) expect(ks.delete(0, enc(`list${i}`), 0, `list${i}`.length, 0)).toBe(true);
    expect(ks.size(0)).toBe(0);

    // Lazy and active expiry.
    for (let i = 0; i < 100; i++) ks.setExpire(1, makeList(ks, 1, `e${i}`, 1000), 1000);
    for (let i = 0; i < 50; i++) expect(ks.lookup(1, enc(`e${i}`), 0, `e${i}`.length, 2000)).toBe(0);
    while (ks.size(1) > 0) ks.expireStep(1, 2000, 64);
    expect(ks.expiredKeys).toBe(100);

    // FLUSHDB.
    for (let i = 0; i < 100; i++) makeList(ks, 2, `f${i}`, 3000);
    ks.flushDb(2);

    // A string stored over a list.
    const h = makeList(ks, 3, 's', 5000);
    setString(ks, 3, enc('s'), 0, 1, h, enc('value'), 0, 5, Enc.Embstr, false, 0);
    expect(ks.type(ks.lookup(3, enc('s'), 0, 1, 0))).toBe(ObjType.String);
    ks.flushDb(3);

    // Only the tables' own segments remain (one block each; the tables may have split).
    for (let db = 0; db < 4; db++) expect(ks.size(db)).toBe(0);
    const segments = ks.dbs.reduce((n, d) => n + d.table.segments, 0);
    expect(blocks).toBe(ks.dbs.length); // 16 databases and the scratch one (foreign keys), one table segment each
    expect(arena.liveBlocks).toBe(segments);
    expect(arena.allocatedBytes).toBe((bytes / ks.dbs.length) * segments);
  });

  it('export / import round-trips a list with its TTL, and transfer moves it without copying', () => {
    const arena = new Arena();
    const ks = new Keyspace(arena);
    const src = ks.setExpire(0, makeList(ks, 0, 'src', 4000), 9_000_000_000_000);
    const want = elements(ks, src);
    const lh = ks.valueWord(src);

    // COPY: a second, independent list.
    const blob = exportEntry(ks, src);
    const cp = importEntry(ks, 1, enc('copy'), 0, 4, 0, blob, 0);
    expect(ks.type(cp)).toBe(ObjType.List);
    expect(ks.encoding(cp)).toBe(Enc.QuickList);
    expect(ks.expireAt(cp)).toBe(9_000_000_000_000);
    expect(ks.valueWord(cp)).not.toBe(lh);
    listCheck(arena, ks.valueWord(cp));
    expect(elements(ks, cp)).toEqual(want);

    // Import over an existing list frees the old one.
    const before = arena.liveBlocks;
    const again = importEntry(ks, 1, enc('copy'), 0, 4, cp, blob, 0);
    expect(arena.liveBlocks).toBe(before);
    expect(elements(ks, again)).toEqual(want);

    // RENAME within the shard: same list structure under the new key, TTL kept.
    const blocks = arena.liveBlocks;
    const dst = makeList(ks, 0, 'dst', 10);
    const moved = transferEntry(ks, 0, src, 0, enc('dst'), 0, 3, dst, 0);
    expect(ks.valueWord(moved)).toBe(lh);
    expect(ks.expireAt(moved)).toBe(9_000_000_000_000);
    expect(ks.lookup(0, enc('src'), 0, 3, 0)).toBe(0);
    expect(elements(ks, moved)).toEqual(want);
    expect(arena.liveBlocks).toBe(blocks); // the replaced 'dst' list is gone, nothing copied

    // MOVE to another db.
    const inDb2 = transferEntry(ks, 0, moved, 2, enc('dst'), 0, 3, 0, 0);
    expect(ks.valueWord(inDb2)).toBe(lh);
    expect(ks.size(0)).toBe(0);
    expect(listMemoryUsage(arena, lh)).toBeGreaterThan(4000 * 10);

    for (let db = 0; db < 3; db++) ks.flushDb(db);
    expect(arena.liveBlocks).toBe(ks.dbs.reduce((n, d) => n + d.table.segments, 0));
  });
});
