/**
 * The AOF file format (src/persistence/aof-*.ts): the multi-part manifest
 * (parse, format, refusals, file naming, the rewrite transitions), the
 * command encoding and AofBuffer, and the reader against round trips,
 * truncation at every byte, corruption and garbage, which may only ever end
 * in a clean result or AofError.
 *
 * Property tests print FC_SEED=<n> on failure; FC_SEED=<n> replays one.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type AofManifest,
  baseName,
  formatManifest,
  incrName,
  manifestName,
  manifestWithoutHistory,
  nextManifestAfterRewrite,
  nextManifestWithNewIncr,
  parseManifest,
} from '../../src/persistence/aof-manifest.js';
import { AofError, MultiTracker, hasRdbPreamble, loadableEnd, readAof, type AofReadResult } from '../../src/persistence/aof-reader.js';
import { AofBuffer, encodeCommand, timestampAnnotation } from '../../src/persistence/aof-writer.js';
import { assertProperty } from '../helpers/property.js';

const enc = new TextEncoder();
const u8 = (s: string) => enc.encode(s);
const latin1 = (b: Uint8Array) => Buffer.from(b).toString('latin1');
const concat = (parts: Uint8Array[]) => new Uint8Array(Buffer.concat(parts));

/** Reads everything, collecting commands (as latin1 strings for easy comparison) and the offsets after them. */
function readAll(buf: Uint8Array, start = 0): { cmds: Uint8Array[][]; offsets: number[]; result: AofReadResult } {
  const cmds: Uint8Array[][] = [];
  const offsets: number[] = [];
  const result = readAof(buf, (args, after) => {
    cmds.push(args);
    offsets.push(after);
  }, { start });
  return { cmds, offsets, result };
}

/** readAof that may only return or throw AofError. */
function readOnlyAofError(buf: Uint8Array): AofReadResult | AofError {
  try {
    return readAll(buf).result;
  } catch (e) {
    if (e instanceof AofError) {
      expect(e.offset).toBeGreaterThanOrEqual(0);
      expect(e.offset).toBeLessThanOrEqual(buf.length);
      return e;
    }
    throw new Error(`readAof threw something other than AofError on ${JSON.stringify(latin1(buf).slice(0, 200))}: ${String(e)}`);
  }
}

describe('manifest', () => {
  const REDIS_WRITTEN =
    'file appendonly.aof.2.base.rdb seq 2 type b\n' +
    'file appendonly.aof.1.incr.aof seq 1 type h\n' +
    'file appendonly.aof.1.base.rdb seq 1 type h\n' +
    'file appendonly.aof.2.incr.aof seq 2 type i\n' +
    'file appendonly.aof.3.incr.aof seq 3 type i\n';

  it('parses and re-formats a manifest byte for byte', () => {
    const m = parseManifest(REDIS_WRITTEN);
    expect(m).toEqual({
      base: { name: 'appendonly.aof.2.base.rdb', seq: 2, type: 'b' },
      history: [
        { name: 'appendonly.aof.1.incr.aof', seq: 1, type: 'h' },
        { name: 'appendonly.aof.1.base.rdb', seq: 1, type: 'h' },
      ],
      incr: [
        { name: 'appendonly.aof.2.incr.aof', seq: 2, type: 'i' },
        { name: 'appendonly.aof.3.incr.aof', seq: 3, type: 'i' },
      ],
    });
    expect(formatManifest(m)).toBe(REDIS_WRITTEN);
    expect(parseManifest(u8(REDIS_WRITTEN))).toEqual(m);
  });

  it('formats quoted names exactly as redis-server 7.0.15 wrote them', () => {
    // Written by redis-server --appendfilename 'my file"x.aof' and "it's é.aof".
    for (const sample of [
      'file "my file\\"x.aof.1.base.rdb" seq 1 type b\nfile "my file\\"x.aof.1.incr.aof" seq 1 type i\n',
      'file "it\'s \\xc3\\xa9.aof.1.base.rdb" seq 1 type b\nfile "it\'s \\xc3\\xa9.aof.1.incr.aof" seq 1 type i\n',
    ]) {
      const m = parseManifest(sample);
      expect(formatManifest(m)).toBe(sample);
    }
    expect(parseManifest('file "my file\\"x.aof.1.base.rdb" seq 1 type b\n').base!.name).toBe('my file"x.aof.1.base.rdb');
    expect(parseManifest('file "it\'s \\xc3\\xa9.aof.1.base.rdb" seq 1 type b\n').base!.name).toBe("it's é.aof.1.base.rdb");
    // Redis writes "it's.aof.1.base.rdb" bare and then refuses its own manifest; it is quoted here.
    expect(formatManifest({ base: { name: "it's.aof.1.base.rdb", seq: 1, type: 'b' }, incr: [], history: [] })).toBe(
      'file "it\'s.aof.1.base.rdb" seq 1 type b\n',
    );
    expect(() => parseManifest("file it's.aof.1.base.rdb seq 1 type b\n")).toThrow(/unbalanced single quotes/);
  });

  it('writes the base first, then history, then incr, whatever order it read them in', () => {
    const m = parseManifest('file a.1.incr.aof seq 1 type i\nfile old seq 1 type h\nfile a.1.base.rdb seq 1 type b\n');
    expect(formatManifest(m)).toBe('file a.1.base.rdb seq 1 type b\nfile old seq 1 type h\nfile a.1.incr.aof seq 1 type i\n');
  });

  it('reads what Redis reads: comments, any key order and case, unknown keys, quotes, escapes, CRLF, blanks', () => {
    const text = [
      '# written by hand',
      'seq 1 type b file appendonly.aof.1.base.aof',
      'TYPE i SEQ 4 FILE appendonly.aof.4.incr.aof some-later-key "some value"',
      '  file   "my file\\"x.aof.5.incr.aof"\tseq 5  type i  \r',
      "file 'single quoted.aof' seq 6 type i",
      'file "\\x41\\x62c\\n\\r\\t\\a\\b" seq 7 type i',
      "file 'it\\'s' seq 8 type i",
      'file "caf\\xc3\\xa9.aof" seq 9 type i',
      'file a"b c" seq 10 type i',
      'file x.aof seq 2 type history',
      '#file ignored seq 1 type b',
      '',
    ].join('\n');
    const m = parseManifest(text);
    expect(m.base).toEqual({ name: 'appendonly.aof.1.base.aof', seq: 1, type: 'b' });
    expect(m.history).toEqual([{ name: 'x.aof', seq: 2, type: 'h' }]);
    expect(m.incr.map((f) => [f.name, f.seq])).toEqual([
      ['appendonly.aof.4.incr.aof', 4],
      ['my file"x.aof.5.incr.aof', 5],
      ['single quoted.aof', 6],
      ['Abc\n\r\t\x07\b', 7],
      ["it's", 8],
      ['café.aof', 9],
      ['ab c', 10],
    ]);
    // Formatting quotes what needs it, as sdscatrepr does, and reads back the same.
    const out = formatManifest(m);
    expect(out).toContain('file "my file\\"x.aof.5.incr.aof" seq 5 type i\n');
    expect(out).toContain('file "Abc\\n\\r\\t\\a\\b" seq 7 type i\n');
    expect(out).toContain('file "caf\\xc3\\xa9.aof" seq 9 type i\n');
    expect(out).toContain('file "it\'s" seq 8 type i\n');
    expect(parseManifest(out)).toEqual(m);
  });

  it('a manifest of comments only is empty', () => {
    expect(parseManifest('# nothing yet\n')).toEqual({ base: null, incr: [], history: [] });
  });

  const refusals: Array<[string, string | Uint8Array, RegExp]> = [
    ['an empty manifest', '', /empty/],
    ['an empty line', 'file a seq 1 type b\n\nfile b seq 1 type i\n', /line 2.*empty/],
    ['a blank line', '   \t\n', /line 1.*empty/],
    ['missing file', 'seq 1 type b x y\n', /line 1.*"file" key is missing/],
    ['missing seq', 'file a type b x y\n', /"seq" key is missing/],
    ['missing type', 'file a seq 1 x y\n', /"type" key is missing/],
    ['too few fields', 'file a seq 1\n', /key\/value pairs/],
    ['an odd number of fields', 'file a seq 1 type b extra\n', /key\/value pairs/],
    ['a non-numeric seq', 'file a seq one type b\n', /seq "one" is not a positive decimal number/],
    ['a negative seq', 'file a seq -1 type b\n', /not a positive/],
    ['a zero seq', 'file a seq 0 type b\n', /not a positive/],
    ['a seq with trailing junk', 'file a seq 5abc type b\n', /not a positive/],
    ['an empty type', 'file a seq 1 type ""\n', /"type" key is missing/],
    ['an unknown type', 'file a seq 1 type x\n', /unknown file type "x"/],
    ['a duplicate base', 'file a seq 1 type b\nfile b seq 2 type b\n', /line 2.*second base file/],
    ['decreasing incr seqs', 'file a seq 2 type i\nfile b seq 1 type i\n', /line 2.*seqs must increase/],
    ['repeated incr seqs', 'file a seq 2 type i\nfile b seq 2 type i\n', /line 2.*seqs must increase/],
    ['a path', 'file ../etc/passwd seq 1 type b\n', /is a path/],
    ['a backslash path', 'file "a\\\\b" seq 1 type b\n', /is a path/],
    ['an empty name', 'file "" seq 1 type b\n', /file name is empty/],
    ['a line over 1024 bytes', `file ${'a'.repeat(1010)} seq 1 type b\n`, /line 1.*longer than 1024/],
    ['a long comment', `#${'c'.repeat(1100)}\nfile a seq 1 type b\n`, /line 1.*longer than 1024/],
    ['a last line without newline', 'file a seq 1 type b\nfile b seq 2 type i', /line 2.*truncated/],
    ['unbalanced double quotes', 'file "abc seq 1 type b\n', /unbalanced double quotes/],
    ['unbalanced single quotes', "file 'abc seq 1 type b\n", /unbalanced single quotes/],
    ['a closing quote glued to text', 'file "abc"d seq 1 type b\n', /closing double quote/],
    ['a NUL byte', 'file a\0b seq 1 type b\n', /NUL/],
    ['a name that is not UTF-8', 'file "\\xff" seq 1 type b\n', /not valid UTF-8/],
  ];
  for (const [what, text, re] of refusals) {
    it(`refuses ${what}`, () => {
      expect(() => parseManifest(text)).toThrow(re);
    });
  }

  it('accepts a line of exactly 1024 bytes with its newline', () => {
    const name = 'a'.repeat(1024 - 'file  seq 1 type b\n'.length);
    const line = `file ${name} seq 1 type b\n`;
    expect(line.length).toBe(1024);
    expect(parseManifest(line).base!.name).toBe(name);
  });

  it('round-trips random manifests (names of any characters)', () => {
    const fileArb = fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }).filter((s) => !s.includes('/') && !s.includes('\\') && !s.includes('\0'));
    const arb = fc.record({
      base: fc.option(fc.record({ name: fileArb, seq: fc.integer({ min: 1, max: 1e9 }) }), { nil: null }),
      incr: fc.uniqueArray(fc.integer({ min: 1, max: 1e9 }), { maxLength: 5 }),
      history: fc.array(fc.record({ name: fileArb, seq: fc.integer({ min: 1, max: 1e9 }) }), { maxLength: 4 }),
      incrNames: fc.array(fileArb, { minLength: 5, maxLength: 5 }),
    });
    assertProperty(
      fc.property(arb, (r) => {
        const m: AofManifest = {
          base: r.base && { ...r.base, type: 'b' },
          incr: [...r.incr].sort((a, b) => a - b).map((seq, i) => ({ name: r.incrNames[i]!, seq, type: 'i' as const })),
          history: r.history.map((h) => ({ ...h, type: 'h' as const })),
        };
        const text = formatManifest(m);
        // An empty manifest is refused, as Redis refuses it.
        if (text === '') return;
        expect(parseManifest(text)).toEqual(m);
        // Every line stays printable ASCII.
        expect(/^[\x20-\x7e\n]*$/.test(text)).toBe(true);
      }),
      300,
    );
  });

  it('names files as Redis does', () => {
    expect(manifestName('appendonly.aof')).toBe('appendonly.aof.manifest');
    expect(baseName('appendonly.aof', 1, true)).toBe('appendonly.aof.1.base.rdb');
    expect(baseName('appendonly.aof', 12, false)).toBe('appendonly.aof.12.base.aof');
    expect(incrName('appendonly.aof', 3)).toBe('appendonly.aof.3.incr.aof');
  });

  it('opens a new incr file at the next seq, and installs a rewrite as Redis does', () => {
    const start: AofManifest = parseManifest('file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n');
    // A rewrite starts: a new incr file takes the writes from now on.
    const opened = nextManifestWithNewIncr(start, 'appendonly.aof');
    expect(opened.file).toEqual({ name: 'appendonly.aof.2.incr.aof', seq: 2, type: 'i' });
    expect(formatManifest(opened.manifest)).toBe(
      'file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\nfile appendonly.aof.2.incr.aof seq 2 type i\n',
    );
    expect(start.incr).toHaveLength(1); // not modified
    // It is done: the new base, the old base and the covered incr become history.
    const done = nextManifestAfterRewrite(opened.manifest, 'appendonly.aof', true);
    expect(done.file).toEqual({ name: 'appendonly.aof.2.base.rdb', seq: 2, type: 'b' });
    expect(formatManifest(done.manifest)).toBe(
      'file appendonly.aof.2.base.rdb seq 2 type b\n' +
        'file appendonly.aof.1.incr.aof seq 1 type h\n' +
        'file appendonly.aof.1.base.rdb seq 1 type h\n' +
        'file appendonly.aof.2.incr.aof seq 2 type i\n',
    );
    expect(formatManifest(manifestWithoutHistory(done.manifest))).toBe(
      'file appendonly.aof.2.base.rdb seq 2 type b\nfile appendonly.aof.2.incr.aof seq 2 type i\n',
    );
    // With AOF off every incr file is covered; without a base the first one is seq 1.
    const off = nextManifestAfterRewrite(parseManifest('file a.1.incr.aof seq 1 type i\nfile a.2.incr.aof seq 2 type i\n'), 'a', false, false);
    expect(off.manifest).toEqual({
      base: { name: 'a.1.base.aof', seq: 1, type: 'b' },
      incr: [],
      history: [
        { name: 'a.1.incr.aof', seq: 1, type: 'h' },
        { name: 'a.2.incr.aof', seq: 2, type: 'h' },
      ],
    });
    // A name still held by a history file is not reused.
    const next = nextManifestWithNewIncr(off.manifest, 'a');
    expect(next.file.name).toBe('a.3.incr.aof');
  });
});

describe('encodeCommand and AofBuffer', () => {
  it('encodes a command as Redis appends it', () => {
    expect(latin1(encodeCommand(['SET', 'k', 'v']))).toBe('*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n');
    expect(latin1(encodeCommand([u8('x'), new Uint8Array(0), new Uint8Array([0, 13, 10, 255])]))).toBe(
      '*3\r\n$1\r\nx\r\n$0\r\n\r\n$4\r\n\0\r\n\xff\r\n',
    );
    expect(latin1(encodeCommand(['é']))).toBe('*1\r\n$2\r\n\xc3\xa9\r\n');
    const long = new Uint8Array(12345).fill(97);
    expect(encodeCommand([long]).length).toBe('*1\r\n$12345\r\n'.length + 12345 + 2);
    expect(() => encodeCommand([])).toThrow();
  });

  it('writes timestamp annotations', () => {
    expect(latin1(timestampAnnotation(1700000000))).toBe('#TS:1700000000\r\n');
    expect(() => timestampAnnotation(-1)).toThrow();
    expect(() => timestampAnnotation(1.5)).toThrow();
  });

  it('inserts SELECT when the db changes, none for db -1, again after startNewFile', () => {
    const b = new AofBuffer();
    b.append(0, ['SET', 'a', '1']);
    b.append(0, ['SET', 'b', '2']);
    b.append(3, ['SET', 'c', '3']);
    b.append(-1, ['MULTI']);
    b.append(3, ['INCR', 'c']);
    b.append(0, ['INCR', 'a']);
    b.append(-1, ['EXEC']);
    expect(b.pending).toBeGreaterThan(0);
    const expected = concat([
      encodeCommand(['SELECT', '0']),
      encodeCommand(['SET', 'a', '1']),
      encodeCommand(['SET', 'b', '2']),
      encodeCommand(['SELECT', '3']),
      encodeCommand(['SET', 'c', '3']),
      encodeCommand(['MULTI']),
      encodeCommand(['INCR', 'c']),
      encodeCommand(['SELECT', '0']),
      encodeCommand(['INCR', 'a']),
      encodeCommand(['EXEC']),
    ]);
    expect(latin1(b.take())).toBe(latin1(expected));
    expect(b.pending).toBe(0);
    expect(b.take().length).toBe(0);
    b.append(0, ['DEL', 'a']);
    expect(latin1(b.take())).toBe(latin1(encodeCommand(['DEL', 'a'])));
    b.startNewFile();
    b.append(0, ['DEL', 'b']);
    expect(latin1(b.take())).toBe(latin1(concat([encodeCommand(['SELECT', '0']), encodeCommand(['DEL', 'b'])])));
  });

  it('writes a timestamp before the SELECT when the second changes', () => {
    const b = new AofBuffer({ timestamps: true });
    b.append(0, ['SET', 'a', '1'], 100);
    b.append(0, ['SET', 'a', '2'], 100);
    b.append(1, ['SET', 'a', '3'], 101);
    const text = latin1(b.take());
    expect(text).toBe(
      '#TS:100\r\n' + latin1(encodeCommand(['SELECT', '0'])) + latin1(encodeCommand(['SET', 'a', '1'])) + latin1(encodeCommand(['SET', 'a', '2'])) +
        '#TS:101\r\n' + latin1(encodeCommand(['SELECT', '1'])) + latin1(encodeCommand(['SET', 'a', '3'])),
    );
    const seen: string[] = [];
    const r = readAof(u8(''), () => {});
    expect(r).toEqual({ rdbPreamble: false, end: 0, truncatedAt: null });
    const buf = Buffer.from(text, 'latin1');
    const { cmds } = readAll(buf);
    readAof(buf, () => {}, { onAnnotation: (t, at) => seen.push(`${t}@${at}`) });
    expect(cmds.map((c) => c.map(latin1).join(' '))).toEqual(['SELECT 0', 'SET a 1', 'SET a 2', 'SELECT 1', 'SET a 3']);
    expect(seen[0]).toBe('TS:100@0');
    expect(seen[1]).toMatch(/^TS:101@\d+$/);
  });
});

describe('reader', () => {
  const argsArb = fc.array(fc.uint8Array({ maxLength: 40 }), { minLength: 1, maxLength: 6 });
  const streamArb = fc.array(fc.tuple(fc.integer({ min: -1, max: 3 }), argsArb), { minLength: 1, maxLength: 12 });

  it('reads back what AofBuffer wrote, with the offsets after each command (property)', () => {
    assertProperty(
      fc.property(streamArb, fc.boolean(), (cmds, ts) => {
        const b = new AofBuffer({ timestamps: ts });
        const expected: string[][] = [];
        let db = -1;
        cmds.forEach(([d, args], i) => {
          b.append(d, args, 1000 + (i >> 1));
          if (d !== -1 && d !== db) {
            expected.push(['SELECT', String(d)]);
            db = d;
          }
          expected.push(args.map(latin1));
        });
        const buf = b.take();
        const { cmds: got, offsets, result } = readAll(buf);
        expect(got.map((c) => c.map(latin1))).toEqual(expected);
        expect(result).toEqual({ rdbPreamble: false, end: buf.length, truncatedAt: null });
        expect(offsets[offsets.length - 1]).toBe(buf.length);
        // Every offset is just past the command: the next one (or an annotation) starts there.
        for (const o of offsets.slice(0, -1)) expect([0x2a, 0x23]).toContain(buf[o]);
      }),
      300,
    );
  });

  it('copies the arguments out of the input', () => {
    const buf = encodeCommand(['SET', 'k', 'v']);
    const { cmds } = readAll(buf);
    buf.fill(0);
    expect(cmds[0]!.map(latin1)).toEqual(['SET', 'k', 'v']);
  });

  /** A stream with commands of every shape, annotations included, and where each item starts. */
  function sampleStream(): { buf: Uint8Array; starts: number[] } {
    const parts = [
      timestampAnnotation(1700000000),
      encodeCommand(['SELECT', '0']),
      encodeCommand(['SET', 'key', 'value']),
      encodeCommand(['SET', new Uint8Array([0, 13, 10, 36, 42]), new Uint8Array(0)]),
      u8('#TS:1700000001\n'),
      encodeCommand(['MULTI']),
      encodeCommand(['RPUSH', 'list', 'a', 'b', 'c'.repeat(300)]),
      encodeCommand(['EXEC']),
    ];
    const starts: number[] = [];
    let p = 0;
    for (const part of parts) {
      starts.push(p);
      p += part.length;
    }
    return { buf: concat(parts), starts };
  }

  it('a stream cut at any byte reads as the commands before the cut and truncatedAt where the cut one starts', () => {
    const { buf, starts } = sampleStream();
    for (let cut = 0; cut <= buf.length; cut++) {
      const piece = buf.slice(0, cut);
      const { cmds, result } = readAll(piece);
      const atBoundary = cut === buf.length || starts.includes(cut);
      const itemStart = [...starts, buf.length].filter((s) => s <= cut).pop()!;
      if (atBoundary) {
        expect(result, `cut at ${cut}`).toEqual({ rdbPreamble: false, end: cut, truncatedAt: null });
      } else {
        expect(result, `cut at ${cut}`).toEqual({ rdbPreamble: false, end: itemStart, truncatedAt: itemStart });
      }
      // The commands read are exactly those wholly before the cut point.
      const whole = readAll(buf.slice(0, itemStart)).cmds;
      expect(cmds.map((c) => c.map(latin1))).toEqual(whole.map((c) => c.map(latin1)));
    }
  });

  it('a cut inside an open MULTI loads up to before the MULTI', () => {
    const { buf, starts } = sampleStream();
    const multiAt = starts[5]!;
    const execAt = starts[7]!;
    // The point before the MULTI is just past the command before it: the annotation between goes too, as in Redis.
    const beforeMulti = starts[4]!;
    for (const cut of [multiAt + 3, multiAt + encodeCommand(['MULTI']).length, execAt, execAt + 2, buf.length]) {
      const tracker = new MultiTracker();
      const result = readAof(buf.slice(0, cut), (args, after) => tracker.observe(args, after));
      if (cut === buf.length) {
        expect(tracker.openMultiAt).toBeNull();
        expect(loadableEnd(result, tracker)).toBe(buf.length);
      } else if (cut === multiAt + 3) {
        expect(tracker.openMultiAt).toBeNull();
        expect(loadableEnd(result, tracker)).toBe(multiAt);
      } else {
        expect(tracker.openMultiAt).toBe(beforeMulti);
        expect(loadableEnd(result, tracker)).toBe(beforeMulti);
      }
    }
    // Lower-case names count too, and a started tracker counts from its start.
    const t = new MultiTracker(10);
    t.observe([u8('multi')], 20);
    expect(t.openMultiAt).toBe(10);
    t.observe([u8('exec')], 30);
    expect(t.openMultiAt).toBeNull();
  });

  const corrupt: Array<[string, string, number]> = [
    ['a bad command start', '+OK\r\n', 0],
    ['a non-numeric count', '*x\r\n', 1],
    ['an empty count', '*\r\n', 1],
    ['a negative count', '*-1\r\n', 1],
    ['a zero count', '*0\r\n', 0],
    ['a count without CRLF', '*1\n$1\r\na\r\n', 2],
    ['a count with CR but no LF', '*1\rx$1\r\na\r\n', 3],
    ['a huge count', `*${'9'.repeat(20)}\r\n`, 1],
    ['a missing $', '*1\r\n:1\r\n', 4],
    ['a non-numeric length', '*1\r\n$abc\r\nabc\r\n', 5],
    ['a negative length', '*1\r\n$-1\r\n', 5],
    ['a huge length', `*1\r\n$${'9'.repeat(30)}\r\n`, 5],
    ['a bulk not followed by CR', '*1\r\n$1\r\nab\r\n', 9],
    ['a bulk followed by CR but no LF', '*1\r\n$1\r\na\rx', 10],
    ['a bulk shorter than its length', '*2\r\n$5\r\nab\r\n$1\r\nc\r\n', 13],
    ['a second command broken', '*1\r\n$1\r\na\r\n*1\r\n$1\r\nab', 20],
    ['an annotation line too long', `#${'x'.repeat(1100)}\r\n`, 0],
    ['a truncated RDB signature', 'REDI', 0],
  ];
  for (const [what, text, offset] of corrupt) {
    it(`refuses ${what} with AofError at offset ${offset}`, () => {
      const r = readOnlyAofError(Buffer.from(text, 'latin1'));
      expect(r).toBeInstanceOf(AofError);
      expect((r as AofError).offset).toBe(offset);
    });
  }

  it('commands before a corruption are reported before the error', () => {
    const good = encodeCommand(['SET', 'a', 'b']);
    const buf = concat([good, u8('*1\r\n$2\r\nabXY')]);
    const seen: number[] = [];
    expect(() => readAof(buf, (_, after) => seen.push(after))).toThrow(AofError);
    expect(seen).toEqual([good.length]);
  });

  it('a bogus length that runs past the end is a cut, with no allocation for it', () => {
    const buf = u8('*1\r\n$999999999999\r\nabc');
    expect(readAll(buf).result).toEqual({ rdbPreamble: false, end: 0, truncatedAt: 0 });
  });

  it('garbage only ever ends in a result or AofError (property)', () => {
    const alphabet = fc.constantFrom(...'*$#\r\n0123456789-aR'.split('').map((c) => c.charCodeAt(0)), 0, 255);
    const garbage = fc.oneof(fc.uint8Array({ maxLength: 200 }), fc.array(alphabet, { maxLength: 200 }).map((a) => Uint8Array.from(a)));
    assertProperty(
      fc.property(garbage, (buf) => {
        const r = readOnlyAofError(buf);
        if (!(r instanceof AofError)) {
          expect(r.end).toBeLessThanOrEqual(buf.length);
          if (r.truncatedAt !== null) expect(r.truncatedAt).toBe(r.end);
        }
      }),
      2000,
    );
  });

  it('a valid stream with one byte changed only ever ends in a result or AofError (property)', () => {
    assertProperty(
      fc.property(streamArb, fc.nat(), fc.integer({ min: 0, max: 255 }), (cmds, where, byte) => {
        const b = new AofBuffer({ timestamps: true });
        cmds.forEach(([d, args], i) => b.append(d, args, i));
        const buf = b.take();
        buf[where % buf.length] = byte;
        readOnlyAofError(buf);
      }),
      1000,
    );
  });

  it('detects an RDB preamble and reads the AOF tail from a start offset', () => {
    const rdb = u8('REDIS0011\xfa...fake rdb body...');
    const tail = encodeCommand(['SET', 'k', 'v']);
    const buf = concat([rdb, tail]);
    expect(hasRdbPreamble(buf)).toBe(true);
    expect(hasRdbPreamble(tail)).toBe(false);
    expect(hasRdbPreamble(u8('REDI'))).toBe(false);
    const seen: string[][] = [];
    expect(readAof(buf, (a) => seen.push(a.map(latin1)))).toEqual({ rdbPreamble: true, end: 0, truncatedAt: null });
    expect(seen).toEqual([]);
    const r = readAof(buf, (a) => seen.push(a.map(latin1)), { start: rdb.length });
    expect(r).toEqual({ rdbPreamble: false, end: buf.length, truncatedAt: null });
    expect(seen).toEqual([['SET', 'k', 'v']]);
    expect(() => readAof(buf, () => {}, { start: buf.length + 1 })).toThrow(AofError);
  });
});
