/**
 * The AOF writer's merge (persistence/aof-merge.ts) of the threads'
 * batches (persistence/aof-feed.ts): records come out in the order of
 * their numbers, a transaction's records as one MULTI … EXEC at its first
 * record once every shard it held has reported its end, and nothing past
 * the bound the threads' low marks allow.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AofFeed, type AofBatch } from '../../src/persistence/aof-feed.js';
import { AofMerge } from '../../src/persistence/aof-merge.js';
import { AofMode, AofState, createAofState } from '../../src/persistence/aof-state.js';
import { AofBuffer } from '../../src/persistence/aof-writer.js';
import { readAof } from '../../src/persistence/aof-reader.js';
import { assertProperty } from '../helpers/property.js';

/** Two or more threads' feeds over one shared state, their posted batches kept in order. */
function rig(threads: number): { state: AofState; feeds: AofFeed[]; batches: AofBatch[] } {
  const state = new AofState(createAofState(threads, AofMode.Everysec), threads);
  const batches: AofBatch[] = [];
  const feeds = Array.from({ length: threads }, (_, t) => new AofFeed(state, t, (b) => batches.push(b)));
  return { state, feeds, batches };
}


function cmd(feed: AofFeed, db: number, txid: number, ...args: string[]): void {
  feed.rewritten(db, txid, [args]);
}

/** The commands of an AOF stream, each as its words joined by spaces. */
function commands(bytes: Uint8Array): string[] {
  const out: string[] = [];
  readAof(bytes, (args) => out.push(args.map((a) => Buffer.from(a).toString()).join(' ')));
  return out;
}

function drainAll(merge: AofMerge, batches: AofBatch[], bound: number, out = new AofBuffer(), onRotate = (): void => {}): { text: string[]; done: number } {
  for (const b of batches.splice(0)) merge.add(b.thread, b.records);
  const done = merge.drain(bound, out, 0, onRotate);
  return { text: commands(out.take()), done };
}

describe('AOF merge', () => {
  it('writes records of several threads in the order of their numbers, SELECT when the database changes', () => {
    const { feeds, batches } = rig(2);
    cmd(feeds[0], 0, 0, 'SET', 'a', '1');
    cmd(feeds[1], 0, 0, 'SET', 'b', '1');
    cmd(feeds[1], 3, 0, 'SET', 'c', '1');
    cmd(feeds[0], 3, 0, 'DEL', 'a');
    feeds[1].flush();
    feeds[0].flush();
    const merge = new AofMerge(2);
    const { text, done } = drainAll(merge, batches, 4);
    expect(text).toEqual(['SELECT 0', 'SET a 1', 'SET b 1', 'SELECT 3', 'SET c 1', 'DEL a']);
    expect(done).toBe(4);
  });

  it('once the threads have stopped, a transaction whose shards did not all report its end is written as it is', () => {
    const { feeds, batches } = rig(3);
    cmd(feeds[1], 0, 7, 'INCRBY', 'n', '5');
    cmd(feeds[2], 0, 0, 'SET', 'after', '1');
    // Shard 1 reported the end of transaction 7 (held by 3 shards); the others never will: they stopped first.
    feeds[1].unlocked(7, 3);
    for (const f of feeds) f.flush();
    const merge = new AofMerge(3);
    for (const b of batches.splice(0)) merge.add(b.thread, b.records);
    const out = new AofBuffer();
    expect(merge.drain(10, out, 0, () => {})).toBe(0);
    expect(commands(out.take())).toEqual([]);
    merge.drain(10, out, 0, () => {}, true);
    expect(commands(out.take())).toEqual(['SELECT 0', 'INCRBY n 5', 'SET after 1']);
  });

  it('nothing past the bound; a transaction waits for every shard it held, then goes whole at its first record', () => {
    const { feeds, batches } = rig(3);
    cmd(feeds[0], 0, 0, 'SET', 'before', '1'); // 1
    cmd(feeds[0], 0, 7, 'DECRBY', 'a', '5'); // 2: txid 7 on shard 0
    cmd(feeds[1], 0, 0, 'SET', 'other', '1'); // 3: another client, other keys
    cmd(feeds[1], 0, 7, 'INCRBY', 'b', '5'); // 4: txid 7 on shard 1
    feeds[0].unlocked(7, 2); // 5
    cmd(feeds[2], 0, 0, 'SET', 'late', '1'); // 6
    feeds[0].flush();
    feeds[1].flush();
    feeds[2].flush();
    const merge = new AofMerge(3);
    const out = new AofBuffer();
    // Shard 1 has not reported the end of txid 7: the writer stops before its first record.
    let r = drainAll(merge, batches, 6, out);
    expect(r.text).toEqual(['SELECT 0', 'SET before 1']);
    expect(r.done).toBe(1);
    feeds[1].unlocked(7, 2); // 7
    feeds[1].flush();
    r = drainAll(merge, batches, 6, out);
    expect(r.text).toEqual(['MULTI', 'DECRBY a 5', 'INCRBY b 5', 'EXEC', 'SET other 1', 'SET late 1']);
    expect(r.done).toBe(6);
    expect(merge.waiting).toBe(0);
  });

  it('a transaction of one record is written bare; one that wrote nothing leaves nothing behind', () => {
    const { feeds, batches } = rig(2);
    cmd(feeds[0], 0, 9, 'SET', 'x', '1');
    feeds[0].unlocked(9, 1);
    feeds[1].unlocked(10, 2);
    feeds[0].unlocked(10, 2);
    cmd(feeds[1], 0, 0, 'SET', 'y', '1');
    feeds[0].flush();
    feeds[1].flush();
    const { text } = drainAll(new AofMerge(2), batches, 100);
    expect(text).toEqual(['SELECT 0', 'SET x 1', 'SET y 1']);
  });

  it("calls back at a rewrite's instant, between the records before and after it", () => {
    const { feeds, batches } = rig(2);
    const merge = new AofMerge(2);
    cmd(feeds[1], 0, 0, 'SET', 'old', '1');
    feeds[0].rotate();
    cmd(feeds[1], 0, 0, 'SET', 'new', '1');
    feeds[0].flush();
    feeds[1].flush();
    for (const b of batches.splice(0)) merge.add(b.thread, b.records);
    const out = new AofBuffer();
    const seen: string[][] = [];
    merge.drain(3, out, 0, () => seen.push(commands(out.take())));
    expect(seen).toEqual([['SELECT 0', 'SET old 1']]);
    expect(commands(out.take())).toEqual(['SET new 1']);
  });

  it("random interleavings: every record once, a transaction's records together and in order, nothing of a thread overtaken", () => {
    assertProperty(
      fc.property(
        fc.array(fc.record({ thread: fc.integer({ min: 0, max: 3 }), tx: fc.integer({ min: 0, max: 4 }) }), { minLength: 1, maxLength: 60 }),
        (ops) => {
          const { feeds, batches } = rig(4);
          // Transactions 1..4 touch threads in whatever order the ops say; each thread ends its part with an UNLOCK.
          const parts = new Map<number, Set<number>>();
          ops.forEach((op, i) => {
            cmd(feeds[op.thread], 0, op.tx, 'SET', `k${i}`, `t${op.tx}`);
            if (op.tx !== 0) {
              let s = parts.get(op.tx);
              if (s === undefined) parts.set(op.tx, (s = new Set()));
              s.add(op.thread);
            }
          });
          for (const [tx, threads] of parts) for (const t of threads) feeds[t].unlocked(tx, threads.size);
          for (const f of feeds) f.flush();
          const { text } = drainAll(new AofMerge(4), batches, Number.MAX_SAFE_INTEGER);
          const sets = text.filter((l) => l.startsWith('SET '));
          expect(sets.length).toBe(ops.length);
          // A thread's record never comes after one it made later, except that a transaction's block
          // moves to its first record: what the thread did while the transaction held its keys touched others.
          const pos = new Map(sets.map((l, i) => [l.split(' ')[1], i]));
          const firstOfTx = new Map<number, number>();
          ops.forEach((op, i) => {
            if (op.tx !== 0 && !firstOfTx.has(op.tx)) firstOfTx.set(op.tx, i);
          });
          ops.forEach((a, i) =>
            ops.forEach((b, j) => {
              if (a.thread !== b.thread || i >= j) return;
              const movedUp = b.tx !== 0 && b.tx !== a.tx && firstOfTx.get(b.tx)! < i;
              if (!movedUp) expect(pos.get(`k${i}`)!).toBeLessThan(pos.get(`k${j}`)!);
            }),
          );
          // A transaction of several records is one MULTI ... EXEC with nothing else inside.
          for (const [tx] of parts) {
            const idx = text.map((l, i) => (l.endsWith(` t${tx}`) ? i : -1)).filter((i) => i >= 0);
            for (let k = 1; k < idx.length; k++) expect(idx[k]).toBe(idx[k - 1] + 1);
            if (idx.length > 1) {
              expect(text[idx[0] - 1]).toBe('MULTI');
              expect(text[idx[idx.length - 1] + 1]).toBe('EXEC');
            }
          }
        },
      ),
      200,
    );
  });
});

