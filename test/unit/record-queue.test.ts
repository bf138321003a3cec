/**
 * The ring's overflow queue (src/transport/record-queue.ts) against a plain
 * array of records: any interleaving of pushes (small, across chunk ends,
 * larger than a chunk) and shifts gives back the same records, flags and
 * byte count, in order.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RecordQueue } from '../../src/transport/record-queue.js';
import { assertProperty } from '../helpers/property.js';

type Op = { push: number; reply: boolean } | { shift: true };

const op = fc.oneof(
  fc.record({ push: fc.oneof(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 60_000, max: 300_000 })), reply: fc.boolean() }),
  fc.constant({ shift: true as const }),
);

describe('RecordQueue', () => {
  it('gives back what was queued, in order, with its flag, across chunks', () => {
    assertProperty(
      fc.property(fc.array(op, { maxLength: 200 }), fc.integer({ min: 0, max: 255 }), (ops: Op[], salt) => {
        const q = new RecordQueue();
        const model: { bytes: Uint8Array; reply: boolean }[] = [];
        let counter = salt;
        const check = () => {
          const want = model.shift()!;
          expect(q.frontLength).toBe(want.bytes.length);
          expect(q.frontIsReply).toBe(want.reply);
          expect(Buffer.from(q.frontU8.subarray(q.frontOffset, q.frontOffset + q.frontLength)).equals(want.bytes)).toBe(true);
          q.shift();
        };
        for (const o of ops) {
          if ('shift' in o) {
            if (model.length > 0) check();
          } else {
            const bytes = new Uint8Array(o.push);
            for (let i = 0; i < bytes.length; i++) bytes[i] = (counter + i * 7) & 0xff;
            counter++;
            q.push(bytes, 0, bytes.length, o.reply);
            model.push({ bytes, reply: o.reply });
          }
          expect(q.length).toBe(model.length);
          expect(q.bytes).toBe(model.reduce((a, r) => a + r.bytes.length, 0));
        }
        while (model.length > 0) check();
        expect(q.length).toBe(0);
        expect(q.bytes).toBe(0);
      }),
      100,
    );
  });
});
