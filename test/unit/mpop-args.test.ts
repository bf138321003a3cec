/**
 * LMPOP/BLMPOP/ZMPOP/BZMPOP argument parsing (src/commands/mpop-args.ts)
 * against the replies of redis-server 7.0.15: every error text below is what
 * Redis answered for the same arguments (on keys that do not exist).
 */
import { describe, expect, it } from 'vitest';
import { type MpopCommand, arrayArgs, parseMpopArgs } from '../../src/commands/mpop-args.js';

const NUMKEYS = 'ERR numkeys should be greater than 0';
const COUNT = 'ERR count should be greater than 0';
const SYNTAX = 'ERR syntax error';

function parse(line: string): ReturnType<typeof parseMpopArgs> {
  const argv = line.split(' ');
  return parseMpopArgs(arrayArgs(argv.map((s) => Buffer.from(s, 'latin1'))), argv[0].toLowerCase() as MpopCommand);
}

describe('parseMpopArgs', () => {
  it('reads keys, direction and COUNT', () => {
    expect(parse('LMPOP 2 a b LEFT')).toEqual({ firstKey: 2, numkeys: 2, left: true, count: 1, timeoutIndex: -1 });
    expect(parse('LMPOP 1 a right count 5')).toEqual({ firstKey: 2, numkeys: 1, left: false, count: 5, timeoutIndex: -1 });
    expect(parse('ZMPOP 1 a MIN')).toEqual({ firstKey: 2, numkeys: 1, left: true, count: 1, timeoutIndex: -1 });
    expect(parse('ZMPOP 3 a b c max COUNT 2')).toEqual({ firstKey: 2, numkeys: 3, left: false, count: 2, timeoutIndex: -1 });
    expect(parse('BLMPOP 0 1 a LEFT')).toEqual({ firstKey: 3, numkeys: 1, left: true, count: 1, timeoutIndex: 1 });
    expect(parse('BZMPOP 1.5 2 a b MAX COUNT 3')).toEqual({ firstKey: 3, numkeys: 2, left: false, count: 3, timeoutIndex: 1 });
    expect(parse('LMPOP 1 a LEFT COUNT 9223372036854775807')).toMatchObject({ count: 9223372036854775807 });
  });

  it('refuses numkeys that is not an integer of at least 1', () => {
    for (const n of ['0', '-1', 'x', '1.5', '01', '+1', '9223372036854775808']) {
      expect([n, parse(`LMPOP ${n} a LEFT`)]).toEqual([n, NUMKEYS]);
    }
    expect(parse('ZMPOP 0 a MIN')).toBe(NUMKEYS);
  });

  it('refuses numkeys larger than the keys given: the direction is missing', () => {
    expect(parse('LMPOP 3 a b LEFT')).toBe(SYNTAX);
    expect(parse('LMPOP 2 a LEFT')).toBe(SYNTAX);
    expect(parse('LMPOP 2 a b')).toBe(SYNTAX);
    expect(parse('ZMPOP 2 a MIN')).toBe(SYNTAX);
    expect(parse('LMPOP 9223372036854775807 a LEFT')).toBe(SYNTAX);
  });

  it('refuses an unknown direction, and the other family\'s', () => {
    expect(parse('LMPOP 1 a UP')).toBe(SYNTAX);
    expect(parse('LMPOP 1 a MIN')).toBe(SYNTAX);
    expect(parse('ZMPOP 1 a LEFT')).toBe(SYNTAX);
  });

  it('refuses a COUNT that is not an integer of at least 1', () => {
    for (const c of ['0', '-1', 'x', '01', '9223372036854775808']) {
      expect([c, parse(`LMPOP 1 a LEFT COUNT ${c}`)]).toEqual([c, COUNT]);
    }
    expect(parse('ZMPOP 1 a MIN COUNT 0')).toBe(COUNT);
    expect(parse('BZMPOP 0.01 1 a MIN COUNT -5')).toBe(COUNT);
  });

  it('refuses COUNT twice, COUNT without its value and anything else after the direction', () => {
    expect(parse('LMPOP 1 a LEFT COUNT 1 COUNT 2')).toBe(SYNTAX);
    expect(parse('ZMPOP 1 a MIN COUNT 1 COUNT 2')).toBe(SYNTAX);
    expect(parse('LMPOP 1 a LEFT COUNT')).toBe(SYNTAX);
    expect(parse('LMPOP 1 a LEFT COUNT 2 COUNT')).toBe(SYNTAX);
    expect(parse('LMPOP 1 a LEFT junk')).toBe(SYNTAX);
    expect(parse('LMPOP 1 a LEFT COUNT 2 x')).toBe(SYNTAX);
    expect(parse('ZMPOP 1 a max junk')).toBe(SYNTAX);
  });

  it('leaves a bad timeout to the caller, which Redis checks after everything else', () => {
    // Redis: "ERR timeout is not a float or out of range" / "ERR timeout is negative",
    // but only when the other arguments are valid.
    expect(parse('BLMPOP x 1 a LEFT')).toMatchObject({ timeoutIndex: 1 });
    expect(parse('BZMPOP -1 1 a MIN')).toMatchObject({ timeoutIndex: 1 });
    expect(parse('BLMPOP x 0 a LEFT')).toBe(NUMKEYS);
    expect(parse('BZMPOP x 0 a MIN')).toBe(NUMKEYS);
    expect(parse('BLMPOP -1 1 a UP')).toBe(SYNTAX);
    expect(parse('BZMPOP x 1 a UP')).toBe(SYNTAX);
    expect(parse('BLMPOP -1 1 a LEFT COUNT 0')).toBe(COUNT);
  });
});
