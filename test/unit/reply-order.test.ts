/**
 * ReplyOrder (src/connections/reply-order.ts): a connection's replies reach
 * its output in command order, whatever order the shards answer in. Covers
 * replies at and away from the head, constant (`stable`) replies kept
 * without a copy, replies merged from several shards, streamed (partial)
 * replies, squashed records (span > 1), CLIENT REPLY OFF/SKIP, in-flight
 * accounting and the output buffer; then a property test: any delivery
 * order gives the bytes in-order delivery gives.
 *
 *   FC_SEED=<n>   replay the property test with that seed (printed on failure)
 *   FC_RUNS=<n>   number of random runs (default 300)
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ReplyMode, ReplyOrder } from '../../src/connections/reply-order.js';
import { type Merger, mergeConcat, mergeSum } from '../../src/commands/mergers.js';
import { assertProperty } from '../helpers/property.js';

const enc = new TextEncoder();
const b = (s: string): Uint8Array => enc.encode(s);

/** Everything the connection has for its socket so far, as text ('' when nothing). */
function out(ro: ReplyOrder): string {
  const taken = ro.takeOutput();
  return taken === null ? '' : taken.bytes.toString('latin1');
}

/** A whole reply from shard `shard`, delivered from inside a bigger buffer (as from a ring). */
function deliver(ro: ReplyOrder, seq: number, reply: string, shard = 0, partial = false, span = 1): void {
  const body = b(reply);
  const ring = new Uint8Array(body.length + 7);
  ring.fill(0x21);
  ring.set(body, 3);
  ro.deliver(seq, shard, ring, 3, body.length, partial, span);
}

function replyNow(ro: ReplyOrder, seq: number, reply: string): void {
  const u8 = b(reply);
  ro.replyNow(seq, u8, 0, u8.length);
}

/** Takes `n` sequence numbers, counting one shard reply in flight for each (as routing does). */
function take(ro: ReplyOrder, n: number, inFlight = true): number[] {
  const seqs: number[] = [];
  for (let i = 0; i < n; i++) {
    seqs.push(ro.takeSeq());
    if (inFlight) ro.inFlight++;
  }
  return seqs;
}

describe('ReplyOrder: ordering', () => {
  it('writes replies that arrive out of order in sequence order', () => {
    const ro = new ReplyOrder();
    take(ro, 4);
    deliver(ro, 2, ':2\r\n');
    deliver(ro, 1, ':1\r\n');
    expect(out(ro)).toBe('');
    expect(ro.outSeq).toBe(0);
    deliver(ro, 3, ':3\r\n');
    expect(out(ro)).toBe('');
    deliver(ro, 0, ':0\r\n');
    expect(out(ro)).toBe(':0\r\n:1\r\n:2\r\n:3\r\n');
    expect(ro.outSeq).toBe(4);
    expect(ro.idle).toBe(true);
    expect(ro.inFlight).toBe(0);
  });

  it('writes a reply at the head at once, and only the replies contiguous with it', () => {
    const ro = new ReplyOrder();
    take(ro, 5);
    deliver(ro, 0, '+a\r\n');
    expect(out(ro)).toBe('+a\r\n');
    deliver(ro, 2, '+c\r\n');
    deliver(ro, 4, '+e\r\n');
    deliver(ro, 1, '+b\r\n');
    expect(out(ro)).toBe('+b\r\n+c\r\n');
    expect(ro.outSeq).toBe(3);
    expect(ro.idle).toBe(false);
    deliver(ro, 3, '+d\r\n');
    expect(out(ro)).toBe('+d\r\n+e\r\n');
    expect(ro.idle).toBe(true);
  });

  it('replyNow at the head writes straight out and flushes what waited behind it', () => {
    const ro = new ReplyOrder();
    take(ro, 3, false);
    replyNow(ro, 0, '+zero\r\n');
    expect(out(ro)).toBe('+zero\r\n');
    replyNow(ro, 2, '+two\r\n');
    expect(out(ro)).toBe('');
    replyNow(ro, 1, '+one\r\n');
    expect(out(ro)).toBe('+one\r\n+two\r\n');
    expect(ro.idle).toBe(true);
  });

  it('replyNow away from the head copies the bytes it was given (they may be reused)', () => {
    const ro = new ReplyOrder();
    take(ro, 2, false);
    const scratch = b('+late\r\n');
    ro.replyNow(1, scratch, 0, scratch.length);
    scratch.set(b('XXXXXXX'));
    replyNow(ro, 0, '+first\r\n');
    expect(out(ro)).toBe('+first\r\n+late\r\n');
  });

  it('replyNow with an offset and length writes only that slice, at the head and away from it', () => {
    const ro = new ReplyOrder();
    take(ro, 2, false);
    const buf = b('junk+B\r\njunk');
    ro.replyNow(1, buf, 4, 4, true);
    const buf2 = b('xx+A\r\nyy');
    ro.replyNow(0, buf2, 2, 4);
    expect(out(ro)).toBe('+A\r\n+B\r\n');
  });

  it('a stable reply that must wait is kept without a copy', () => {
    const ro = new ReplyOrder();
    take(ro, 2, false);
    const constant = b('+QUEUED\r\n');
    ro.replyNow(1, constant, 0, constant.length, true);
    // Proof that no copy was made: a change to the array shows in the output.
    // (Stable replies are never changed in real use; this only observes the sharing.)
    constant[1] = 0x71; // 'q'
    replyNow(ro, 0, '+OK\r\n');
    expect(out(ro)).toBe('+OK\r\n+qUEUED\r\n');
  });

  it('a stable reply given as a slice of a bigger array is copied (it cannot be kept as is)', () => {
    const ro = new ReplyOrder();
    take(ro, 2, false);
    const big = b('+QUEUED\r\nmore');
    ro.replyNow(1, big, 0, 9, true);
    big[1] = 0x71;
    replyNow(ro, 0, '+OK\r\n');
    expect(out(ro)).toBe('+OK\r\n+QUEUED\r\n');
  });

  it('deliver copies a reply that must wait (the ring space is reused)', () => {
    const ro = new ReplyOrder();
    take(ro, 2);
    const ring = b('$3\r\nabc\r\n');
    ro.deliver(1, 0, ring, 0, ring.length, false);
    ring.fill(0x3f);
    deliver(ro, 0, '$1\r\nz\r\n');
    expect(out(ro)).toBe('$1\r\nz\r\n$3\r\nabc\r\n');
  });

  it('mixes front replies (replyNow) and shard replies (deliver) in one order', () => {
    const ro = new ReplyOrder();
    ro.takeSeq();
    ro.takeSeq();
    ro.inFlight++;
    ro.takeSeq();
    deliver(ro, 1, ':1\r\n');
    replyNow(ro, 2, '+two\r\n');
    replyNow(ro, 0, '+zero\r\n');
    expect(out(ro)).toBe('+zero\r\n:1\r\n+two\r\n');
    expect(ro.inFlight).toBe(0);
  });
});

describe('ReplyOrder: replies merged from several shards', () => {
  it('merges the parts when all are in, at the head', () => {
    const ro = new ReplyOrder();
    const seq = ro.takeSeq();
    ro.expectParts(seq, 4, 3, mergeSum);
    ro.inFlight += 3;
    deliver(ro, seq, ':2\r\n', 3);
    deliver(ro, seq, ':5\r\n', 0);
    expect(out(ro)).toBe('');
    expect(ro.inFlight).toBe(1);
    deliver(ro, seq, ':1\r\n', 2);
    expect(out(ro)).toBe(':8\r\n');
    expect(ro.idle).toBe(true);
    expect(ro.inFlight).toBe(0);
  });

  it('merges a slot that is not at the head, and writes it when the head reaches it', () => {
    const ro = new ReplyOrder();
    take(ro, 1);
    const seq = ro.takeSeq();
    ro.expectParts(seq, 2, 2, mergeConcat);
    ro.inFlight += 2;
    take(ro, 1);
    deliver(ro, 2, '+after\r\n');
    deliver(ro, seq, '*1\r\n$1\r\nb\r\n', 1);
    deliver(ro, seq, '*2\r\n$1\r\na\r\n$1\r\nc\r\n', 0);
    expect(out(ro)).toBe('');
    deliver(ro, 0, '+before\r\n');
    expect(out(ro)).toBe('+before\r\n*3\r\n$1\r\na\r\n$1\r\nc\r\n$1\r\nb\r\n+after\r\n');
    expect(ro.idle).toBe(true);
    expect(ro.inFlight).toBe(0);
  });

  it('holds later replies back while a merged slot at the head still misses parts', () => {
    const ro = new ReplyOrder();
    const seq = ro.takeSeq();
    ro.expectParts(seq, 3, 2, mergeSum);
    ro.inFlight += 2;
    take(ro, 1);
    deliver(ro, 1, ':100\r\n');
    deliver(ro, seq, ':1\r\n', 1);
    expect(out(ro)).toBe('');
    expect(ro.outSeq).toBe(0);
    deliver(ro, seq, ':2\r\n', 2);
    expect(out(ro)).toBe(':3\r\n:100\r\n');
  });

  it('joins a part that a shard streams in pieces', () => {
    const ro = new ReplyOrder();
    take(ro, 1);
    const seq = ro.takeSeq();
    ro.expectParts(seq, 2, 2, mergeConcat);
    ro.inFlight += 2;
    deliver(ro, seq, '*1\r\n$6\r\n', 1, true);
    deliver(ro, seq, 'abc', 1, true);
    expect(ro.inFlight).toBe(3);
    deliver(ro, seq, 'def\r\n', 1, false);
    expect(ro.inFlight).toBe(2);
    deliver(ro, seq, '*0\r\n', 0);
    deliver(ro, 0, '+x\r\n');
    expect(out(ro)).toBe('+x\r\n*1\r\n$6\r\nabcdef\r\n');
    expect(ro.inFlight).toBe(0);
  });

  it('gives the merger the parts by shard, null for shards not involved, and RESP3 when the connection uses it', () => {
    const ro = new ReplyOrder();
    ro.resp = 3;
    const seen: { parts: (string | null)[]; resp3: boolean }[] = [];
    const spy: Merger = (parts, w) => {
      seen.push({ parts: parts.map((p) => (p === null ? null : Buffer.from(p).toString('latin1'))), resp3: w.resp3 });
      w.nullBulk();
    };
    const seq = ro.takeSeq();
    ro.expectParts(seq, 4, 2, spy);
    deliver(ro, seq, ':1\r\n', 2);
    deliver(ro, seq, ':2\r\n', 0);
    expect(seen).toEqual([{ parts: [':2\r\n', null, ':1\r\n', null], resp3: true }]);
    expect(out(ro)).toBe('_\r\n');
  });

  it('keeps each merged reply its own bytes although merging uses a shared scratch buffer', () => {
    const a = new ReplyOrder();
    const c = new ReplyOrder();
    for (const ro of [a, c]) {
      take(ro, 1);
      ro.expectParts(ro.takeSeq(), 1, 1, mergeSum);
    }
    deliver(a, 1, ':7\r\n', 0);
    deliver(c, 1, ':9\r\n', 0);
    deliver(a, 0, '+a\r\n');
    deliver(c, 0, '+c\r\n');
    expect(out(a)).toBe('+a\r\n:7\r\n');
    expect(out(c)).toBe('+c\r\n:9\r\n');
  });
});

describe('ReplyOrder: streamed (partial) replies', () => {
  it('writes the pieces of a reply at the head as they come, then what waited behind it', () => {
    const ro = new ReplyOrder();
    take(ro, 2);
    deliver(ro, 0, '$10\r\n', 0, true);
    expect(out(ro)).toBe('$10\r\n');
    deliver(ro, 1, '+next\r\n');
    deliver(ro, 0, '01234', 0, true);
    expect(out(ro)).toBe('01234');
    expect(ro.outSeq).toBe(0);
    // The reply of 1 is in; the streamed one is still due.
    expect(ro.inFlight).toBe(1);
    deliver(ro, 0, '56789\r\n', 0, false);
    expect(out(ro)).toBe('56789\r\n+next\r\n');
    expect(ro.inFlight).toBe(0);
    expect(ro.idle).toBe(true);
  });

  it('keeps the pieces of a reply away from the head until the head reaches it', () => {
    const ro = new ReplyOrder();
    take(ro, 3);
    deliver(ro, 1, '$6\r\n', 0, true);
    deliver(ro, 2, ':2\r\n');
    deliver(ro, 1, 'abc', 0, true);
    expect(out(ro)).toBe('');
    deliver(ro, 0, ':0\r\n');
    // The head moved to 1: its pieces so far go out, the reply is not complete yet.
    expect(out(ro)).toBe(':0\r\n$6\r\nabc');
    expect(ro.outSeq).toBe(1);
    deliver(ro, 1, 'def', 0, true);
    expect(out(ro)).toBe('def');
    deliver(ro, 1, '\r\n', 0, false);
    expect(out(ro)).toBe('\r\n:2\r\n');
    expect(ro.idle).toBe(true);
    expect(ro.inFlight).toBe(0);
  });

  it('completes a streamed reply that finished before the head reached it', () => {
    const ro = new ReplyOrder();
    take(ro, 2);
    deliver(ro, 1, '$2\r\n', 0, true);
    deliver(ro, 1, 'hi', 0, true);
    deliver(ro, 1, '\r\n', 0, false);
    expect(out(ro)).toBe('');
    deliver(ro, 0, '+x\r\n');
    expect(out(ro)).toBe('+x\r\n$2\r\nhi\r\n');
    expect(ro.idle).toBe(true);
  });
});

describe('ReplyOrder: squashed records', () => {
  it('a record answering several commands at the head advances outSeq by its span', () => {
    const ro = new ReplyOrder();
    take(ro, 4);
    deliver(ro, 0, ':0\r\n:1\r\n:2\r\n', 0, false, 3);
    expect(ro.outSeq).toBe(3);
    expect(ro.inFlight).toBe(1);
    expect(out(ro)).toBe(':0\r\n:1\r\n:2\r\n');
    deliver(ro, 3, ':3\r\n');
    expect(out(ro)).toBe(':3\r\n');
    expect(ro.idle).toBe(true);
  });

  it('a squashed record away from the head waits, then advances by its span', () => {
    const ro = new ReplyOrder();
    take(ro, 5);
    deliver(ro, 4, ':4\r\n');
    deliver(ro, 1, ':1\r\n:2\r\n:3\r\n', 1, false, 3);
    expect(ro.inFlight).toBe(1);
    expect(out(ro)).toBe('');
    deliver(ro, 0, ':0\r\n');
    expect(out(ro)).toBe(':0\r\n:1\r\n:2\r\n:3\r\n:4\r\n');
    expect(ro.outSeq).toBe(5);
    expect(ro.inFlight).toBe(0);
  });
});

/** What CLIENT REPLY ON|OFF|SKIP does to the connection (src/connections/connection-family.ts clientReply). */
function clientReply(ro: ReplyOrder, mode: 'on' | 'off' | 'skip'): void {
  if (mode === 'on') {
    ro.replyMode = ReplyMode.On;
    ro.unsilenceCurrent();
  } else if (mode === 'off') {
    ro.replyMode = ReplyMode.Off;
    ro.silenceCurrent();
  } else {
    if (ro.replyMode === ReplyMode.On) ro.replyMode = ReplyMode.Skip;
    ro.silenceCurrent();
  }
}

describe('ReplyOrder: CLIENT REPLY OFF / SKIP', () => {
  it('OFF drops its own reply and every reply until ON, whose reply is sent', () => {
    const ro = new ReplyOrder();
    replyNow(ro, ro.takeSeq(), '+before\r\n');
    // CLIENT REPLY OFF: silences itself; nothing is written for it.
    const off = ro.takeSeq();
    clientReply(ro, 'off');
    replyNow(ro, off, '');
    const s1 = ro.takeSeq();
    const s2 = ro.takeSeq();
    expect(ro.sendsAll).toBe(false);
    expect(ro.atHead).toBe(false);
    // CLIENT REPLY ON: taken while off (silenced), then unsilenced.
    const on = ro.takeSeq();
    clientReply(ro, 'on');
    const after = ro.takeSeq();
    // Replies arrive out of order.
    deliver(ro, s2, ':2\r\n');
    replyNow(ro, after, '+after\r\n');
    replyNow(ro, on, '+OK\r\n');
    deliver(ro, s1, ':1\r\n');
    expect(out(ro)).toBe('+before\r\n+OK\r\n+after\r\n');
    expect(ro.idle).toBe(true);
    // Once the silenced replies passed (and the output was taken), all replies are sent again.
    expect(ro.sendsAll).toBe(true);
    expect(ro.atHead).toBe(true);
  });

  it('SKIP drops its own reply and the next command only', () => {
    const ro = new ReplyOrder();
    const skip = ro.takeSeq();
    clientReply(ro, 'skip');
    const skipped = ro.takeSeq();
    expect(ro.replyMode).toBe(ReplyMode.On);
    const sent = ro.takeSeq();
    deliver(ro, sent, ':3\r\n');
    deliver(ro, skipped, ':2\r\n');
    replyNow(ro, skip, '');
    expect(out(ro)).toBe(':3\r\n');
  });

  it('SKIP drops a streamed reply and a merged reply whole', () => {
    const ro = new ReplyOrder();
    ro.replyMode = ReplyMode.Skip;
    const streamed = ro.takeSeq();
    ro.replyMode = ReplyMode.Skip;
    const merged = ro.takeSeq();
    ro.expectParts(merged, 2, 2, mergeSum);
    const last = ro.takeSeq();
    deliver(ro, merged, ':1\r\n', 1);
    deliver(ro, streamed, '$4\r\n', 0, true);
    deliver(ro, last, '+last\r\n');
    deliver(ro, streamed, 'abcd', 0, true);
    deliver(ro, merged, ':1\r\n', 0);
    deliver(ro, streamed, '\r\n', 0, false);
    expect(out(ro)).toBe('+last\r\n');
  });

  it('SKIP does not end OFF: the command after it is still silent', () => {
    const ro = new ReplyOrder();
    ro.replyMode = ReplyMode.Off;
    const s0 = ro.takeSeq();
    clientReply(ro, 'skip');
    const s1 = ro.takeSeq();
    const s2 = ro.takeSeq();
    for (const s of [s0, s1, s2]) replyNow(ro, s, `:${s}\r\n`);
    expect(out(ro)).toBe('');
    expect(ro.replyMode).toBe(ReplyMode.Off);
  });

  it('silences only numbers taken after OFF: replies due before it are still sent', () => {
    const ro = new ReplyOrder();
    const [a] = take(ro, 1);
    ro.replyMode = ReplyMode.Off;
    const [c] = take(ro, 1);
    deliver(ro, c, ':c\r\n');
    deliver(ro, a, ':a\r\n');
    expect(out(ro)).toBe(':a\r\n');
  });

  it('forgets silenced numbers once their replies passed', () => {
    const ro = new ReplyOrder();
    ro.replyMode = ReplyMode.Skip;
    const s = ro.takeSeq();
    expect(ro.sendsAll).toBe(false);
    expect(out(ro)).toBe('');
    // Not answered yet: still silenced.
    expect(ro.sendsAll).toBe(false);
    replyNow(ro, s, '+x\r\n');
    expect(ro.sendsAll).toBe(true);
    expect(out(ro)).toBe('');
  });

  it('keeps order across the wrap of reply numbers at 2^31 (frames carry them as int32)', () => {
    const ro = new ReplyOrder();
    ro.nextSeq = ro.outSeq = 0x7ffffffe;
    const a = ro.takeSeq();
    const b = ro.takeSeq();
    const c = ro.takeSeq();
    expect([a, b, c]).toEqual([0x7ffffffe, 0x7fffffff, 0]);
    replyNow(ro, c, '+c\r\n');
    replyNow(ro, b, '+b\r\n');
    expect(out(ro)).toBe('');
    replyNow(ro, a, '+a\r\n');
    expect(out(ro)).toBe('+a\r\n+b\r\n+c\r\n');
    expect(ro.idle).toBe(true);
  });
});

describe('ReplyOrder: state', () => {
  it('atHead and idle follow the numbers taken and written', () => {
    const ro = new ReplyOrder();
    expect(ro.atHead).toBe(true);
    expect(ro.idle).toBe(true);
    const s0 = ro.takeSeq();
    expect(ro.atHead).toBe(false);
    expect(ro.idle).toBe(false);
    replyNow(ro, s0, '+a\r\n');
    expect(ro.atHead).toBe(true);
    expect(ro.idle).toBe(true);
  });

  it('wroteInPlace moves the head past a reply written straight into out, and only at the head', () => {
    const ro = new ReplyOrder();
    const s0 = ro.takeSeq();
    expect(ro.outSeq === s0 && ro.sendsAll).toBe(true);
    ro.out.raw(b('+inline\r\n'));
    ro.wroteInPlace(s0);
    expect(ro.outSeq).toBe(1);
    expect(ro.idle).toBe(true);
    const s1 = ro.takeSeq();
    const s2 = ro.takeSeq();
    // Not at the head: nothing moves.
    ro.wroteInPlace(s2);
    expect(ro.outSeq).toBe(1);
    deliver(ro, s2, '+two\r\n');
    deliver(ro, s1, '+one\r\n');
    expect(out(ro)).toBe('+inline\r\n+one\r\n+two\r\n');
  });

  it('inFlight counts shard replies still due: whole records only, by span', () => {
    const ro = new ReplyOrder();
    take(ro, 3);
    const m = ro.takeSeq();
    ro.expectParts(m, 2, 2, mergeSum);
    ro.inFlight += 2;
    expect(ro.inFlight).toBe(5);
    deliver(ro, 0, '$1\r\n', 0, true);
    expect(ro.inFlight).toBe(5);
    deliver(ro, 0, 'x\r\n', 0, false);
    expect(ro.inFlight).toBe(4);
    deliver(ro, 1, ':1\r\n:2\r\n', 0, false, 2);
    expect(ro.inFlight).toBe(2);
    deliver(ro, m, ':1\r\n', 0);
    deliver(ro, m, ':2\r\n', 1);
    expect(ro.inFlight).toBe(0);
    expect(out(ro)).toBe('$1\r\nx\r\n:1\r\n:2\r\n:3\r\n');
  });

  it('takeOutput returns null when nothing is due, and each byte once', () => {
    const ro = new ReplyOrder();
    expect(ro.takeOutput()).toBeNull();
    replyNow(ro, ro.takeSeq(), '+a\r\n');
    const first = ro.takeOutput();
    expect(first!.bytes).toBeInstanceOf(Buffer);
    expect(first!.bytes.toString()).toBe('+a\r\n');
    // Small output is copied out: the writer keeps its buffer, nothing to give back.
    expect(first!.whole).toBeNull();
    expect(ro.takeOutput()).toBeNull();
    expect(ro.out.len).toBe(0);
  });

  it('takeOutput hands a large output over without a copy, and the writer starts again small', () => {
    const ro = new ReplyOrder();
    const big = new Uint8Array(1.5 * 1024 * 1024).fill(0x61);
    big[big.length - 1] = 0x62;
    ro.replyNow(ro.takeSeq(), big, 0, big.length);
    const grown = ro.out.buf;
    expect(grown.length).toBeGreaterThan(1 << 20);
    const got = ro.takeOutput()!;
    expect(got.whole).toBe(grown);
    expect(got.bytes.buffer).toBe(grown.buffer);
    expect(got.bytes.length).toBe(big.length);
    expect(got.bytes[big.length - 1]).toBe(0x62);
    expect(ro.out.buf).not.toBe(grown);
    expect(ro.out.buf.length).toBe(4096);
    replyNow(ro, ro.takeSeq(), '+small\r\n');
    expect(out(ro)).toBe('+small\r\n');
  });

  it('keeps a large reply that must wait intact when its pool buffer is reused afterwards', () => {
    const ro = new ReplyOrder();
    const first = ro.takeSeq();
    const second = ro.takeSeq();
    const big = new Uint8Array(100 * 1024).fill(0x78);
    // The second reply comes first and waits in a pool buffer.
    ro.replyNow(second, big, 0, big.length);
    replyNow(ro, first, '+first\r\n');
    const text = out(ro);
    expect(text.length).toBe(8 + big.length);
    expect(text.startsWith('+first\r\n')).toBe(true);
    expect(text.slice(8)).toBe('x'.repeat(big.length));
    // Its buffer went back to the pool: the next waiting reply may take it, and must not see old bytes.
    const third = ro.takeSeq();
    const fourth = ro.takeSeq();
    const other = new Uint8Array(90 * 1024).fill(0x79);
    ro.replyNow(fourth, other, 0, other.length);
    replyNow(ro, third, '+third\r\n');
    const next = out(ro);
    expect(next).toBe('+third\r\n' + 'y'.repeat(other.length));
  });
});

// ---- property: any delivery order gives the in-order bytes -------------------------------------------------------

const SHARDS = 4;

/** One command of a generated run and how its reply comes back. */
type Cmd =
  /** A reply from the connection's own thread (replyNow); no shard reply in flight. */
  | { kind: 'front'; reply: string; silent: boolean }
  /** A shard reply in `pieces` records (more than one: streamed). */
  | { kind: 'shard'; pieces: string[]; silent: boolean }
  /** Run inline: written straight into `out` when at the head (wroteInPlace), else delivered later. */
  | { kind: 'inline'; reply: string; silent: boolean }
  /** Parts from several shards (each possibly streamed in pieces), merged by mergeConcat. */
  | { kind: 'multi'; parts: (string[] | null)[]; silent: boolean }
  /** The head of a squash group: one record answering this and the next `span - 1` commands. */
  | { kind: 'squash'; replies: string[] };

/** Splits a string into pieces at the given cut points (fractions of its length). */
function cut(s: string, cuts: number[]): string[] {
  const at = [...new Set(cuts.map((c) => Math.floor(c * s.length)))].filter((i) => i > 0 && i < s.length).sort((x, y) => x - y);
  const out: string[] = [];
  let prev = 0;
  for (const i of at) {
    out.push(s.slice(prev, i));
    prev = i;
  }
  out.push(s.slice(prev));
  return out;
}

const valueArb = fc.string({ unit: fc.constantFrom('a', 'b', 'z', '\r', '\n', '*', '$', '-'), maxLength: 12 });
const bulk = (v: string): string => `$${v.length}\r\n${v}\r\n`;
const cutsArb = fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 3 });

const cmdArb: fc.Arbitrary<Cmd> = fc.oneof(
  fc.record({ kind: fc.constant('front' as const), reply: valueArb.map(bulk), silent: fc.boolean() }),
  fc.record({ kind: fc.constant('shard' as const), pieces: fc.tuple(valueArb, cutsArb).map(([v, c]) => cut(bulk(v), c)), silent: fc.boolean() }),
  // A large value streamed in several records (streamBulk: header, body pieces, CRLF).
  fc.record({
    kind: fc.constant('shard' as const),
    pieces: fc
      .tuple(fc.string({ minLength: 4, maxLength: 30 }), fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 4 }))
      .map(([v, c]) => [`$${v.length}\r\n`, ...cut(v, c), '\r\n']),
    silent: fc.boolean(),
  }),
  fc.record({ kind: fc.constant('inline' as const), reply: fc.integer().map((n) => `:${n}\r\n`), silent: fc.boolean() }),
  fc.record({
    kind: fc.constant('multi' as const),
    parts: fc
      .array(fc.option(fc.tuple(fc.array(valueArb, { maxLength: 3 }), cutsArb), { nil: null }), { minLength: SHARDS, maxLength: SHARDS })
      .filter((ps) => ps.some((p) => p !== null))
      .map((ps) => ps.map((p) => (p === null ? null : cut(`*${p[0].length}\r\n${p[0].map(bulk).join('')}`, p[1])))),
    silent: fc.boolean(),
  }),
  fc.record({ kind: fc.constant('squash' as const), replies: fc.array(valueArb.map(bulk), { minLength: 2, maxLength: 4 }) }),
);

/** The reply the client must see for a command (null: silenced). */
function expected(c: Cmd): string | null {
  switch (c.kind) {
    case 'front':
    case 'inline':
      return c.silent ? null : c.reply;
    case 'shard':
      return c.silent ? null : c.pieces.join('');
    case 'multi': {
      if (c.silent) return null;
      const arrays = c.parts.filter((p) => p !== null).map((p) => p.join(''));
      let n = 0;
      let body = '';
      for (const a of arrays) {
        const crlf = a.indexOf('\r\n');
        n += Number(a.slice(1, crlf));
        body += a.slice(crlf + 2);
      }
      return `*${n}\r\n${body}`;
    }
    case 'squash':
      return c.replies.join('');
  }
}

/** An event of a run: a stream's next record (streams are ordered; one stream per reply, or per shard of a merged reply). */
interface Stream {
  seq: number;
  shard: number;
  records: { bytes: string; partial: boolean; span: number; front: boolean }[];
  next: number;
}

/**
 * Runs the commands on a fresh ReplyOrder: sequence numbers are taken in
 * order (with expectParts, and inline replies written in place at the head,
 * as routing does); the records of each reply arrive in their own order,
 * interleaved with the other replies' records and with the taking of later
 * numbers as `choices` say. Returns the bytes the socket got.
 */
function runOrder(cmds: Cmd[], choices: number[], takeEvery: number[]): { bytes: string; ro: ReplyOrder } {
  const ro = new ReplyOrder();
  const streams: Stream[] = [];
  let bytes = '';
  let ci = 0;
  let ti = 0;
  let taken = 0;
  const takeNext = (): void => {
    const c = cmds[taken++];
    if (c.kind === 'squash' && !ro.sendsAll) {
      // Squashing is asked for only while every reply is sent: these go one by one.
      for (const reply of c.replies) {
        const seq = ro.takeSeq();
        ro.inFlight++;
        streams.push({ seq, shard: 3, records: [{ bytes: reply, partial: false, span: 1, front: false }], next: 0 });
      }
      return;
    }
    if (c.kind === 'squash') {
      const first = ro.takeSeq();
      for (let i = 1; i < c.replies.length; i++) ro.takeSeq();
      ro.inFlight += c.replies.length;
      streams.push({ seq: first, shard: 0, records: [{ bytes: c.replies.join(''), partial: false, span: c.replies.length, front: false }], next: 0 });
      return;
    }
    if (c.silent) ro.replyMode = ReplyMode.Skip;
    const seq = ro.takeSeq();
    switch (c.kind) {
      case 'front':
        streams.push({ seq, shard: 0, records: [{ bytes: c.reply, partial: false, span: 1, front: true }], next: 0 });
        break;
      case 'shard':
        ro.inFlight++;
        streams.push({ seq, shard: 1, records: c.pieces.map((p, i) => ({ bytes: p, partial: i < c.pieces.length - 1, span: 1, front: false })), next: 0 });
        break;
      case 'inline':
        ro.inFlight++;
        if (ro.outSeq === seq && ro.sendsAll) {
          ro.out.raw(b(c.reply));
          ro.inFlight--;
          ro.wroteInPlace(seq);
        } else streams.push({ seq, shard: 2, records: [{ bytes: c.reply, partial: false, span: 1, front: false }], next: 0 });
        break;
      case 'multi': {
        const due = c.parts.filter((p) => p !== null).length;
        ro.expectParts(seq, SHARDS, due, mergeConcat);
        ro.inFlight += due;
        c.parts.forEach((p, shard) => {
          if (p !== null) streams.push({ seq, shard, records: p.map((x, i) => ({ bytes: x, partial: i < p.length - 1, span: 1, front: false })), next: 0 });
        });
        break;
      }
    }
  };
  for (;;) {
    const live = streams.filter((s) => s.next < s.records.length);
    if (live.length === 0 && taken === cmds.length) break;
    // Take the next number now, or deliver a record of a live stream.
    const wantTake = taken < cmds.length && (live.length === 0 || (takeEvery[ti++ % Math.max(1, takeEvery.length)] ?? 0) === 0);
    if (wantTake) takeNext();
    else {
      const s = live[(choices[ci++] ?? 0) % live.length];
      const r = s.records[s.next++];
      const u8 = b(r.bytes);
      if (r.front) {
        // The front writes replies in a scratch writer it reuses; constants (stable) never change.
        const stable = (choices[ci] ?? 0) % 2 === 0;
        ro.replyNow(s.seq, u8, 0, u8.length, stable);
        if (!stable) u8.fill(0x23);
      } else {
        // From inside a bigger buffer, which is then overwritten, as a ring's space is.
        const ring = new Uint8Array(u8.length + 2);
        ring.set(u8, 1);
        ro.deliver(s.seq, s.shard, ring, 1, u8.length, r.partial, r.span);
        ring.fill(0x23);
      }
      expect(ro.inFlight).toBeGreaterThanOrEqual(0);
    }
    // The socket takes what is there now and then.
    if ((choices[ci] ?? 0) % 3 === 0) {
      const o = ro.takeOutput();
      if (o !== null) bytes += o.bytes.toString('latin1');
    }
  }
  const o = ro.takeOutput();
  if (o !== null) bytes += o.bytes.toString('latin1');
  return { bytes, ro };
}

describe('ReplyOrder: property', () => {
  const runs = Number(process.env.FC_RUNS ?? 300);

  it('any delivery order of the replies (merged, streamed, squashed, silenced, inline) writes the bytes in-order delivery writes', () => {
    assertProperty(
      fc.property(
        fc.array(cmdArb, { minLength: 1, maxLength: 14 }),
        fc.array(fc.nat(), { maxLength: 200 }),
        fc.array(fc.nat({ max: 3 }), { maxLength: 20 }),
        (cmds, choices, takeEvery) => {
          const want = cmds
            .map(expected)
            .filter((x) => x !== null)
            .join('');
          // In order: every number taken first, then each reply's records one reply after the other.
          const inOrder = runOrder(cmds, [], [0]);
          expect(inOrder.bytes).toBe(want);
          const shuffled = runOrder(cmds, choices, takeEvery);
          expect(shuffled.bytes).toBe(inOrder.bytes);
          for (const { ro } of [inOrder, shuffled]) {
            expect(ro.idle).toBe(true);
            expect(ro.inFlight).toBe(0);
            expect(ro.outSeq).toBe(ro.nextSeq);
            expect(ro.sendsAll).toBe(true);
          }
        },
      ),
      runs,
    );
  });
});
