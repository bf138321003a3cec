/**
 * The mergers that turn the parts of a command run on several shards (one
 * RESP reply per shard, null for a shard not involved) into the client's
 * reply: sums, all-OK, concatenation (KEYS), interleaving by key order
 * (MGET), RANDOMKEY's weighted pick, and the small RESP readers they use.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  type Merger,
  bulkText,
  mergeAllOk,
  mergeConcat,
  mergeInterleave,
  mergeRandomKey,
  mergeSum,
  splitFlatArray,
} from '../../src/commands/mergers.js';
import { ReplyWriter } from '../../src/protocol/reply-writer.js';

const enc = new TextEncoder();
const b = (s: string): Uint8Array => enc.encode(s);
const text = (u8: Uint8Array): string => Buffer.from(u8).toString('latin1');

/** Runs a merger over parts given as RESP text (null: shard not involved); returns the merged RESP text. */
function merge(m: Merger, parts: (string | null)[], resp3 = false): string {
  const w = new ReplyWriter(16);
  w.resp3 = resp3;
  m(
    parts.map((p) => (p === null ? null : b(p))),
    w,
  );
  return text(w.buf.subarray(0, w.len));
}

/** The elements of a flat array reply, as text. */
function elements(reply: string): string[] {
  const u8 = b(reply);
  return splitFlatArray(u8).map(([s, e]) => text(u8.subarray(s, e)));
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('mergeSum', () => {
  it('adds the integer replies of the shards involved, skipping null parts', () => {
    expect(merge(mergeSum, [':3\r\n', null, ':0\r\n', ':12\r\n'])).toBe(':15\r\n');
    expect(merge(mergeSum, [null, ':1\r\n'])).toBe(':1\r\n');
  });

  it('answers 0 when no shard is involved', () => {
    expect(merge(mergeSum, [null, null])).toBe(':0\r\n');
    expect(merge(mergeSum, [])).toBe(':0\r\n');
  });

  it('reads multi-digit and negative counts', () => {
    expect(merge(mergeSum, [':1000000\r\n', ':-3\r\n', ':25\r\n'])).toBe(':1000022\r\n');
  });

  it('answers the first error (in shard order) instead of a sum', () => {
    expect(merge(mergeSum, [':1\r\n', '-ERR first\r\n', ':2\r\n', '-WRONGTYPE second\r\n'])).toBe('-ERR first\r\n');
    expect(merge(mergeSum, [null, null, '-OOM only\r\n'])).toBe('-OOM only\r\n');
  });

  it('writes the same integer in RESP3', () => {
    expect(merge(mergeSum, [':2\r\n', ':5\r\n'], true)).toBe(':7\r\n');
  });
});

describe('mergeAllOk', () => {
  it('answers +OK when every part succeeded, whatever the parts say', () => {
    expect(merge(mergeAllOk, ['+OK\r\n', null, '+OK\r\n'])).toBe('+OK\r\n');
    expect(merge(mergeAllOk, [null, null])).toBe('+OK\r\n');
  });

  it('answers the first error', () => {
    expect(merge(mergeAllOk, ['+OK\r\n', '-ERR one\r\n', '-ERR two\r\n'])).toBe('-ERR one\r\n');
  });
});

describe('mergeConcat', () => {
  it('concatenates the array parts of the shards involved, in shard order', () => {
    expect(merge(mergeConcat, ['*2\r\n$1\r\na\r\n$2\r\nbb\r\n', null, '*1\r\n$3\r\nccc\r\n'])).toBe('*3\r\n$1\r\na\r\n$2\r\nbb\r\n$3\r\nccc\r\n');
  });

  it('handles empty arrays and no parts at all', () => {
    expect(merge(mergeConcat, ['*0\r\n', '*0\r\n'])).toBe('*0\r\n');
    expect(merge(mergeConcat, ['*0\r\n', '*1\r\n$1\r\nx\r\n', '*0\r\n'])).toBe('*1\r\n$1\r\nx\r\n');
    expect(merge(mergeConcat, [null, null])).toBe('*0\r\n');
  });

  it('keeps bulk strings whose bytes look like RESP (CRLF inside)', () => {
    expect(merge(mergeConcat, ['*1\r\n$4\r\n\r\n*9\r\n', '*1\r\n$0\r\n\r\n'])).toBe('*2\r\n$4\r\n\r\n*9\r\n$0\r\n\r\n');
  });

  it('answers the first error', () => {
    expect(merge(mergeConcat, ['*1\r\n$1\r\na\r\n', '-ERR boom\r\n', '-ERR later\r\n'])).toBe('-ERR boom\r\n');
  });

  it('writes a RESP3 array header the same way', () => {
    expect(merge(mergeConcat, ['*1\r\n$1\r\na\r\n', '*1\r\n$1\r\nb\r\n'], true)).toBe('*2\r\n$1\r\na\r\n$1\r\nb\r\n');
  });
});

describe('splitFlatArray', () => {
  it('splits bulk strings, RESP2 and RESP3 nulls, integers and simple strings', () => {
    expect(elements('*6\r\n$3\r\nfoo\r\n$-1\r\n_\r\n:42\r\n+OK\r\n$0\r\n\r\n')).toEqual(['$3\r\nfoo\r\n', '$-1\r\n', '_\r\n', ':42\r\n', '+OK\r\n', '$0\r\n\r\n']);
  });

  it('gives no element for an empty array', () => {
    expect(elements('*0\r\n')).toEqual([]);
  });

  it('skips a bulk string by its length, not by the CRLFs inside it', () => {
    expect(elements('*2\r\n$5\r\na\r\nbc\r\n:1\r\n')).toEqual(['$5\r\na\r\nbc\r\n', ':1\r\n']);
  });

  it('returns byte ranges that tile the reply after the header', () => {
    const reply = '*3\r\n$2\r\nab\r\n:-7\r\n$-1\r\n';
    const ranges = splitFlatArray(b(reply));
    expect(ranges[0][0]).toBe(4);
    for (let i = 1; i < ranges.length; i++) expect(ranges[i][0]).toBe(ranges[i - 1][1]);
    expect(ranges[ranges.length - 1][1]).toBe(reply.length);
  });
});

describe('mergeInterleave (MGET)', () => {
  it('puts each value back at its key position across shards', () => {
    // Keys k0..k4 live on shards 1, 0, 1, 2, 0; each shard answers its keys in the order sent.
    const m = mergeInterleave([1, 0, 1, 2, 0]);
    const parts = ['*2\r\n$2\r\nb1\r\n$2\r\nb4\r\n', '*2\r\n$2\r\na0\r\n$2\r\na2\r\n', '*1\r\n$2\r\nc3\r\n'];
    expect(merge(m, parts)).toBe('*5\r\n$2\r\na0\r\n$2\r\nb1\r\n$2\r\na2\r\n$2\r\nc3\r\n$2\r\nb4\r\n');
  });

  it('keeps RESP2 nulls ($-1) in place', () => {
    const m = mergeInterleave([0, 1, 0]);
    expect(merge(m, ['*2\r\n$-1\r\n$1\r\nz\r\n', '*1\r\n$-1\r\n'])).toBe('*3\r\n$-1\r\n$-1\r\n$1\r\nz\r\n');
  });

  it('keeps RESP3 nulls (_) in place', () => {
    const m = mergeInterleave([1, 0, 1]);
    expect(merge(m, ['*1\r\n_\r\n', '*2\r\n$1\r\nx\r\n_\r\n'], true)).toBe('*3\r\n$1\r\nx\r\n_\r\n_\r\n');
  });

  it('ignores shards that were not involved (null parts)', () => {
    const m = mergeInterleave([2, 2]);
    expect(merge(m, [null, null, '*2\r\n$1\r\np\r\n$1\r\nq\r\n'])).toBe('*2\r\n$1\r\np\r\n$1\r\nq\r\n');
  });

  it('answers an empty array for no keys', () => {
    expect(merge(mergeInterleave([]), [null, null])).toBe('*0\r\n');
  });

  it('answers the first error instead of values', () => {
    const m = mergeInterleave([0, 1]);
    expect(merge(m, ['*1\r\n$1\r\na\r\n', '-WRONGTYPE nope\r\n'])).toBe('-WRONGTYPE nope\r\n');
  });

  it('can be used again: it keeps no state between merges', () => {
    const m = mergeInterleave([1, 0]);
    expect(merge(m, ['*1\r\n$1\r\na\r\n', '*1\r\n$1\r\nb\r\n'])).toBe('*2\r\n$1\r\nb\r\n$1\r\na\r\n');
    expect(merge(m, ['*1\r\n$2\r\ncc\r\n', '*1\r\n$-1\r\n'])).toBe('*2\r\n$-1\r\n$2\r\ncc\r\n');
  });
});

describe('mergeRandomKey', () => {
  /** A shard's RANDOMKEY part: [its key count, a random key or nil]. */
  const part = (count: number, key: string | null, resp3 = false): string =>
    `*2\r\n:${count}\r\n${key === null ? (resp3 ? '_\r\n' : '$-1\r\n') : `$${key.length}\r\n${key}\r\n`}`;

  it('picks a shard weighted by its key count (Math.random fixed)', () => {
    const parts = [part(1, 'a'), part(3, 'b'), part(6, 'c')];
    const rnd = vi.spyOn(Math, 'random');
    // total 10: [0,1) → a, [1,4) → b, [4,10) → c
    const pick = (r: number): string => {
      rnd.mockReturnValue(r);
      return merge(mergeRandomKey, parts);
    };
    expect(pick(0)).toBe('$1\r\na\r\n');
    expect(pick(0.09)).toBe('$1\r\na\r\n');
    expect(pick(0.1)).toBe('$1\r\nb\r\n');
    expect(pick(0.39)).toBe('$1\r\nb\r\n');
    expect(pick(0.4)).toBe('$1\r\nc\r\n');
    expect(pick(0.999999)).toBe('$1\r\nc\r\n');
  });

  it('never picks a shard with no keys, wherever the random number falls', () => {
    const parts = [part(0, null), part(2, 'x'), null, part(0, null), part(2, 'y'), part(0, null)];
    const rnd = vi.spyOn(Math, 'random');
    for (let i = 0; i < 100; i++) {
      rnd.mockReturnValue(i / 100);
      const got = merge(mergeRandomKey, parts);
      expect(got).toBe(i < 50 ? '$1\r\nx\r\n' : '$1\r\ny\r\n');
    }
  });

  it('never picks a shard whose count is 0, even when it names a key and comes last', () => {
    const rnd = vi.spyOn(Math, 'random');
    for (const r of [0, 0.5, 0.999999]) {
      rnd.mockReturnValue(r);
      expect(merge(mergeRandomKey, [part(2, 'x'), part(0, 'stale')])).toBe('$1\r\nx\r\n');
    }
  });

  it('skips a shard whose count is positive but whose key came back nil (RESP2 and RESP3)', () => {
    const rnd = vi.spyOn(Math, 'random').mockReturnValue(0);
    expect(merge(mergeRandomKey, [part(5, null), part(1, 'k')])).toBe('$1\r\nk\r\n');
    expect(merge(mergeRandomKey, [part(5, null, true), part(1, 'k')], true)).toBe('$1\r\nk\r\n');
    expect(rnd).toHaveBeenCalled();
  });

  it('answers nil when no shard has keys: $-1 in RESP2, _ in RESP3', () => {
    expect(merge(mergeRandomKey, [part(0, null), null, part(0, null)])).toBe('$-1\r\n');
    expect(merge(mergeRandomKey, [part(0, null, true), part(0, null, true)], true)).toBe('_\r\n');
    expect(merge(mergeRandomKey, [null, null])).toBe('$-1\r\n');
  });

  it('answers the first error', () => {
    expect(merge(mergeRandomKey, [part(1, 'a'), '-ERR bad\r\n'])).toBe('-ERR bad\r\n');
  });

  it('keeps binary keys as they are', () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.5);
    expect(merge(mergeRandomKey, [part(1, 'a\r\nb')])).toBe('$4\r\na\r\nb\r\n');
  });
});

describe('bulkText', () => {
  it('returns the body of a bulk reply as UTF-8 text', () => {
    expect(bulkText(b('$13\r\n{"a":[1,2,3]}\r\n'))).toBe('{"a":[1,2,3]}');
    const body = enc.encode('héllo');
    const reply = new Uint8Array([...b(`$${body.length}\r\n`), ...body, 13, 10]);
    expect(bulkText(reply)).toBe('héllo');
  });

  it('returns an empty string for an empty bulk', () => {
    expect(bulkText(b('$0\r\n\r\n'))).toBe('');
  });
});
