import { describe, expect, it } from 'vitest';
import { crc16, keyHashSlot } from '../../src/util/crc16.js';
import { L, fixtures } from './util-fixtures.js';

const b = (s: string) => L(s);
const slot = (s: string) => {
  const u = b(s);
  return keyHashSlot(u, 0, u.length);
};

/** Bit-by-bit reference CRC16/XMODEM, to check the table-driven version. */
function crc16Slow(u8: Uint8Array): number {
  let crc = 0;
  for (const byte of u8) {
    crc ^= byte << 8;
    for (let k = 0; k < 8; k++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}

describe('crc16', () => {
  it('matches the published CRC16/XMODEM check value', () => {
    expect(crc16(b('123456789'), 0, 9)).toBe(0x31c3);
  });

  it('is 0 for empty input', () => {
    expect(crc16(new Uint8Array(0), 0, 0)).toBe(0);
  });

  it('honours offset and length', () => {
    const u = b('xx123456789yy');
    expect(crc16(u, 2, 9)).toBe(0x31c3);
  });

  it('agrees with a bitwise implementation on random data', () => {
    let s = 12345;
    for (let n = 0; n < 200; n++) {
      const u = new Uint8Array(n % 40);
      for (let i = 0; i < u.length; i++) {
        s = (Math.imul(s, 1103515245) + 12345) >>> 0;
        u[i] = s >>> 24;
      }
      expect(crc16(u, 0, u.length)).toBe(crc16Slow(u));
    }
  });
});

describe('keyHashSlot', () => {
  // Values verified with CLUSTER KEYSLOT on redis-server 7.0.15 (cluster mode).
  it('hashes whole keys without tags', () => {
    expect(slot('')).toBe(0);
    expect(slot('foo')).toBe(12182);
    expect(slot('bar')).toBe(5061);
    expect(slot('123456789')).toBe(0x31c3 & 0x3fff);
    expect(slot('hello')).toBe(866);
    expect(slot('user:1000')).toBe(1649);
  });

  it('applies the hash-tag rules', () => {
    expect(slot('{user1000}.following')).toBe(slot('{user1000}.followers'));
    expect(slot('{user1000}.following')).toBe(slot('user1000'));
    expect(slot('{user1000}.following')).toBe(3443);
    // empty tag: the whole key
    expect(slot('foo{}{bar}')).toBe(8363);
    expect(slot('foo{}{bar}')).toBe(crc16(b('foo{}{bar}'), 0, 10) & 0x3fff);
    // first '{' and the first '}' after it: hashes "{bar"
    expect(slot('foo{{bar}}zap')).toBe(slot('{bar'));
    expect(slot('foo{{bar}}zap')).toBe(crc16(b('{bar'), 0, 4) & 0x3fff);
    // only the first tag counts
    expect(slot('foo{bar}{zap}')).toBe(slot('bar'));
    // unterminated: the whole key
    expect(slot('{bar')).toBe(4015);
    expect(slot('{}')).toBe(15257);
  });

  it('works on a view inside a larger buffer', () => {
    const u = b('junk{user1000}.followingjunk');
    expect(keyHashSlot(u, 4, 20)).toBe(slot('{user1000}.following'));
    // a '}' beyond the view must not be used
    const v = b('{abc}');
    expect(keyHashSlot(v, 0, 4)).toBe(crc16(v, 0, 4) & 0x3fff);
  });

  it('is always in range', () => {
    for (let i = 0; i < 1000; i++) {
      const s = slot('key:' + i);
      expect(s).toBeGreaterThanOrEqual(0);
      expect(s).toBeLessThan(16384);
    }
  });

  it(`matches CLUSTER KEYSLOT of redis ${fixtures.redisVersion} on ${fixtures.keyslot.length} recorded keys`, () => {
    const bad: unknown[] = [];
    for (const [k, expected] of fixtures.keyslot) {
      if (slot(k) !== expected) bad.push([k, expected, slot(k)]);
    }
    expect(bad).toEqual([]);
  });
});
