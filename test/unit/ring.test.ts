import { describe, expect, it } from 'vitest';
import { RingConsumer, RingProducer, createRingBuffer } from '../../src/transport/ring.js';

function writeRecord(p: RingProducer, payload: Uint8Array, more = false): boolean {
  const off = p.reserve(payload.length + 4);
  if (off < 0) return false;
  new DataView(p.u8.buffer, p.u8.byteOffset).setInt32(off, payload.length, true);
  p.u8.set(payload, off + 4);
  p.commit(more);
  return true;
}

function readAll(c: RingConsumer): Uint8Array[] {
  const out: Uint8Array[] = [];
  c.poll();
  for (;;) {
    const off = c.next();
    if (off < 0) break;
    const n = new DataView(c.u8.buffer, c.u8.byteOffset).getInt32(off, true);
    out.push(c.u8.slice(off + 4, off + 4 + n));
  }
  c.release();
  return out;
}

describe('SPSC ring', () => {
  it('delivers records in order across many wraps, never losing or splitting one', () => {
    const sab = createRingBuffer(4096);
    const p = new RingProducer(sab);
    const c = new RingConsumer(sab);
    let seed = 7;
    const rand = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    const sent: number[][] = [];
    const got: number[][] = [];
    for (let round = 0; round < 2000; round++) {
      const n = 1 + Math.floor(rand() * 5);
      for (let k = 0; k < n; k++) {
        const len = Math.floor(rand() * 600);
        const rec = Array.from({ length: len }, (_, i) => (round + k + i) & 255);
        if (!writeRecord(p, Uint8Array.from(rec))) break;
        sent.push(rec);
      }
      if (rand() < 0.7) p.publish();
      if (rand() < 0.6) for (const r of readAll(c)) got.push(Array.from(r));
    }
    p.publish();
    for (const r of readAll(c)) got.push(Array.from(r));
    expect(got.length).toBe(sent.length);
    expect(got).toEqual(sent);
  });

  it('grows the last unpublished record (squashing) and never past the head, the end or a publish', () => {
    const sab = createRingBuffer(4096);
    const p = new RingProducer(sab);
    const c = new RingConsumer(sab);
    let seed = 11;
    const rand = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    const sent: number[][] = [];
    const got: number[][] = [];
    let grown = 0;
    let refused = 0;
    let last: number[] | null = null;
    for (let round = 0; round < 3000; round++) {
      const len = Math.floor(rand() * 300);
      const add = Array.from({ length: len }, (_, i) => (round * 7 + i) & 255);
      let off = -1;
      if (last !== null && rand() < 0.6) {
        // Grow: the payload is [u32 length, bytes]; append to it.
        off = p.growLast(4 + last.length + len);
        if (off >= 0) {
          new DataView(p.u8.buffer, p.u8.byteOffset).setInt32(off, last.length + len, true);
          p.u8.set(add, off + 4 + last.length);
          last.push(...add);
          grown++;
        } else refused++;
      }
      if (off < 0) {
        if (writeRecord(p, Uint8Array.from(add))) {
          last = add.slice();
          sent.push(last);
        } else last = null;
      }
      if (rand() < 0.2) {
        p.publish();
        last = null; // published: no longer growable
        expect(p.growLast(16)).toBe(-1);
      }
      if (rand() < 0.3) for (const r of readAll(c)) got.push(Array.from(r));
    }
    p.publish();
    for (const r of readAll(c)) got.push(Array.from(r));
    expect(grown).toBeGreaterThan(500);
    expect(refused).toBeGreaterThan(0);
    expect(got).toEqual(sent);
  });

  it('reports full and accepts again after the consumer releases', () => {
    const sab = createRingBuffer(1024);
    const p = new RingProducer(sab);
    const c = new RingConsumer(sab);
    let n = 0;
    while (writeRecord(p, new Uint8Array(100))) n++;
    expect(n).toBeGreaterThan(5);
    expect(writeRecord(p, new Uint8Array(100))).toBe(false);
    p.publish();
    expect(readAll(c).length).toBe(n);
    expect(writeRecord(p, new Uint8Array(100))).toBe(true);
  });

  it('marks records that continue a frame', () => {
    const sab = createRingBuffer(1024);
    const p = new RingProducer(sab);
    const c = new RingConsumer(sab);
    writeRecord(p, new Uint8Array(8), true);
    writeRecord(p, new Uint8Array(8), false);
    p.publish();
    c.poll();
    c.next();
    expect(c.recordMore).toBe(true);
    c.next();
    expect(c.recordMore).toBe(false);
  });

  it('does not sleep while records are pending; wakeConsumer wakes a sleeper, once', () => {
    const sab = createRingBuffer(1024);
    const p = new RingProducer(sab);
    const c = new RingConsumer(sab);
    expect(p.wakeConsumer()).toBe(false); // nobody sleeps
    expect(c.prepareSleep()).toBe(true); // an empty ring: the consumer may sleep
    expect(p.wakeConsumer()).toBe(true);
    expect(p.wakeConsumer()).toBe(false); // the flag was cleared: no second wake-up
    writeRecord(p, Uint8Array.of(1, 2, 3, 4));
    p.publish();
    expect(c.prepareSleep()).toBe(false); // a record is pending: the consumer must not sleep
    expect(p.wakeConsumer()).toBe(false);
    c.sleep(1000); // refused by prepareSleep, so it returns at once
    expect(readAll(c)).toEqual([Uint8Array.of(1, 2, 3, 4)]);
  });
});
