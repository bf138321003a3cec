import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ParseStatus, RequestParser, splitInlineArgs } from '../../src/protocol/request-parser.js';
import { giveBuffer } from '../../src/util/buffer-pool.js';
import { assertProperty } from '../helpers/property.js';

const limits = { protoMaxBulkLen: 512 * 1024 * 1024, queryBufferLimit: 1024 * 1024 * 1024 };
const enc = (s: string) => new TextEncoder().encode(s);

function collect(p: RequestParser, chunks: Uint8Array[]): { cmds: string[][]; status: ParseStatus } {
  const cmds: string[][] = [];
  let status = ParseStatus.NeedMore;
  for (const c of chunks) {
    status = p.feed(c, (q) => {
      const args: string[] = [];
      for (let i = 0; i < q.argc; i++) args.push(Buffer.from(q.argBuf.subarray(q.argOff[i], q.argOff[i] + q.argLen[i])).toString('latin1'));
      cmds.push(args);
      return true;
    });
    if (status === ParseStatus.Error) break;
  }
  return { cmds, status };
}

describe('RequestParser', () => {
  it('parses pipelined multibulk commands in one chunk', () => {
    const { cmds } = collect(new RequestParser(limits), [enc('*1\r\n$4\r\nPING\r\n*3\r\n$3\r\nSET\r\n$1\r\na\r\n$3\r\nb\r\n\r\n')]);
    expect(cmds).toEqual([['PING'], ['SET', 'a', 'b\r\n'].map((s, i) => (i === 2 ? 'b\r\n'.slice(0, 3) : s))]);
  });

  it('resumes a command split at every byte', () => {
    const wire = enc('*2\r\n$3\r\nGET\r\n$5\r\nk\r\n\0x\r\n*1\r\n$4\r\nPING\r\n');
    const chunks = Array.from(wire, (b) => Uint8Array.of(b));
    const { cmds } = collect(new RequestParser(limits), chunks);
    expect(cmds).toEqual([['GET', 'k\r\n\0x'], ['PING']]);
  });

  it('receives a big bulk in many chunks without losing bytes', () => {
    const value = Buffer.alloc(3 * 1024 * 1024 + 7, 'v');
    value[12345] = 13;
    const wire = Buffer.concat([enc(`*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$${value.length}\r\n`), value, enc('\r\n')]);
    const chunks: Uint8Array[] = [];
    for (let i = 0; i < wire.length; i += 65536) chunks.push(wire.subarray(i, i + 65536));
    const p = new RequestParser(limits);
    let got: Buffer | null = null;
    for (const c of chunks) {
      p.feed(c, (q) => {
        got = Buffer.from(q.argBuf.subarray(q.argOff[2], q.argOff[2] + q.argLen[2]));
        return true;
      });
    }
    expect(got).not.toBeNull();
    expect(Buffer.compare(got!, value)).toBe(0);
  });

  it('parses inline commands with quotes and escapes', () => {
    const { cmds } = collect(new RequestParser(limits), [enc('set "a b" \'c\\\'d\' "\\x41\\n"\r\nPING\n\r\n')]);
    expect(cmds).toEqual([['set', 'a b', "c'd", 'A\n'], ['PING']]);
  });

  it('rejects unbalanced quotes', () => {
    const p = new RequestParser(limits);
    expect(collect(p, [enc('set "a b\r\n')]).status).toBe(ParseStatus.Error);
    expect(p.error).toBe('ERR Protocol error: unbalanced quotes in request');
    expect(splitInlineArgs(enc('"a"b'), 0, 4)).toBeNull();
  });

  it.each([
    ['*abc\r\n', 'ERR Protocol error: invalid multibulk length'],
    ['*1\r\n$abc\r\n', 'ERR Protocol error: invalid bulk length'],
    ['*1\r\n$600000000\r\n', 'ERR Protocol error: invalid bulk length'],
    ['*1\r\n$-1\r\n', 'ERR Protocol error: invalid bulk length'],
    ['*1\r\nx3\r\n', "ERR Protocol error: expected '$', got 'x'"],
    ['*3000000000\r\n', 'ERR Protocol error: invalid multibulk length'],
  ])('reports %j as Redis does', (wire, error) => {
    const p = new RequestParser(limits);
    expect(collect(p, [enc(wire)]).status).toBe(ParseStatus.Error);
    expect(p.error).toBe(error);
  });

  it('rejects an inline line longer than 64 KiB without a newline', () => {
    const p = new RequestParser(limits);
    expect(collect(p, [Buffer.alloc(70 * 1024, 'a')]).status).toBe(ParseStatus.Error);
    expect(p.error).toBe('ERR Protocol error: too big inline request');
  });

  it('applies the unauthenticated limits', () => {
    const p = new RequestParser(limits);
    p.authenticated = false;
    collect(p, [enc('*20\r\n')]);
    expect(p.error).toBe('ERR Protocol error: unauthenticated multibulk length');
  });

  it('skips empty multibulks and empty inline lines', () => {
    const { cmds } = collect(new RequestParser(limits), [enc('*0\r\n\r\n*-1\r\n*1\r\n$4\r\nPING\r\n')]);
    expect(cmds).toEqual([['PING']]);
  });

  it('can refuse a command and deliver it again on resume', () => {
    const p = new RequestParser(limits);
    const seen: string[] = [];
    let refuse = true;
    const cb = (q: RequestParser) => {
      const name = Buffer.from(q.argBuf.subarray(q.argOff[0], q.argOff[0] + q.argLen[0])).toString();
      if (name === 'B' && refuse) return false;
      seen.push(name);
      return true;
    };
    expect(p.feed(enc('*1\r\n$1\r\nA\r\n*1\r\n$1\r\nB\r\n*1\r\n$1\r\nC\r\n'), cb)).toBe(ParseStatus.Paused);
    expect(seen).toEqual(['A']);
    refuse = false;
    p.resume(cb);
    expect(seen).toEqual(['A', 'B', 'C']);
  });

  it('keeps its place when a big bulk moves the buffer mid-command, at any chunking', () => {
    let seed = 42;
    const rand = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    for (let round = 0; round < 20; round++) {
      const sent: string[][] = [];
      const parts: Buffer[] = [];
      for (let k = 0; k < 30; k++) {
        const big = rand() < 0.3;
        const args = ['MSET', `k${k}`, (big ? 'x' : 'y').repeat(big ? 33000 + Math.floor(rand() * 50000) : Math.floor(rand() * 100)), `j${k}`, 'v'];
        sent.push(args);
        parts.push(Buffer.from(`*${args.length}\r\n` + args.map((a) => `$${a.length}\r\n${a}\r\n`).join('')));
      }
      const wire = Buffer.concat(parts);
      const chunks: Uint8Array[] = [];
      for (let i = 0; i < wire.length; ) {
        const n = 1 + Math.floor(rand() * 70000);
        chunks.push(wire.subarray(i, i + n));
        i += n;
      }
      const { cmds, status } = collect(new RequestParser(limits), chunks);
      expect(status).toBe(ParseStatus.NeedMore);
      expect(cmds).toEqual(sent);
    }
  });

  it('delivers refused commands again intact, big bulks included, at any chunking', () => {
    let seed = 9;
    const rand = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    for (let round = 0; round < 20; round++) {
      const sent: string[][] = [];
      const parts: Buffer[] = [];
      for (let k = 0; k < 25; k++) {
        const big = rand() < 0.4;
        const args = ['SET', `k${k}`, (big ? 'x' : 'y').repeat(big ? 33000 + Math.floor(rand() * 40000) : Math.floor(rand() * 50))];
        sent.push(args);
        parts.push(Buffer.from(`*${args.length}\r\n` + args.map((a) => `$${a.length}\r\n${a}\r\n`).join('')));
      }
      const wire = Buffer.concat(parts);
      const p = new RequestParser(limits);
      const got: string[][] = [];
      const cb = (q: RequestParser) => {
        if (rand() < 0.3) return false; // refuse: must come back unchanged
        const args: string[] = [];
        for (let i = 0; i < q.argc; i++) args.push(Buffer.from(q.argBuf.subarray(q.argOff[i], q.argOff[i] + q.argLen[i])).toString('latin1'));
        got.push(args);
        return true;
      };
      for (let i = 0; i < wire.length; ) {
        const n = 1 + Math.floor(rand() * 60000);
        let st = p.feed(wire.subarray(i, i + n), cb);
        while (st === ParseStatus.Paused) st = p.resume(cb);
        i += n;
      }
      expect(got).toEqual(sent);
    }
  });
});

describe('RequestParser: property', () => {
  /** Fills the thread's buffer pool with dirty buffers, as other connections leave them. */
  function dirtyPool(rng: () => number): void {
    for (let i = 0; i < 12; i++) {
      const b = new Uint8Array(16 * 1024 * (1 + Math.floor(rng() * 16)));
      for (let j = 0; j < b.length; j++) b[j] = [13, 10, 42, 36, 48][j % 5];
      giveBuffer(b);
    }
  }

  const arg = fc.oneof(
    { weight: 8, arbitrary: fc.uint8Array({ maxLength: 40 }) },
    { weight: 1, arbitrary: fc.integer({ min: 30 * 1024, max: 150 * 1024 }).map((n) => Uint8Array.from({ length: n }, (_, i) => (i * 13 + n) & 0xff)) },
  );
  const command = fc.array(arg, { minLength: 1, maxLength: 4 });

  it('gives every command back whole, however the bytes are cut, paused and resumed, from one reused read buffer and a dirty pool', () => {
    assertProperty(
      fc.property(
        fc.array(command, { minLength: 1, maxLength: 12 }),
        fc.array(fc.integer({ min: 1, max: 200 * 1024 }), { minLength: 1, maxLength: 30 }),
        fc.array(fc.boolean(), { minLength: 1, maxLength: 30 }),
        fc.integer(),
        (commands, cuts, refusals, seed) => {
          let state = seed | 0;
          const rng = (): number => ((state = (Math.imul(state, 1103515245) + 12345) | 0) >>> 0) / 2 ** 32;
          dirtyPool(rng);
          const parts: Uint8Array[] = [];
          for (const args of commands) {
            parts.push(enc(`*${args.length}\r\n`));
            for (const a of args) parts.push(enc(`$${a.length}\r\n`), a, enc('\r\n'));
          }
          const wire = Buffer.concat(parts);
          const p = new RequestParser(limits);
          const got: Buffer[][] = [];
          let r = 0;
          const onCommand = (q: RequestParser): boolean => {
            // Refuse now and then (backpressure): the same command comes again on resume.
            if (refusals[r++ % refusals.length] && r % 3 === 0) return false;
            const args: Buffer[] = [];
            for (let i = 0; i < q.argc; i++) args.push(Buffer.from(q.argBuf.subarray(q.argOff[i], q.argOff[i] + q.argLen[i])));
            got.push(args);
            return true;
          };
          // One read buffer for every chunk, overwritten after each read, as a socket's onread buffer is.
          const readBuffer = new Uint8Array(200 * 1024);
          let at = 0;
          let c = 0;
          while (at < wire.length) {
            const n = Math.min(cuts[c++ % cuts.length], wire.length - at);
            readBuffer.set(wire.subarray(at, at + n));
            at += n;
            let status = p.feed(readBuffer.subarray(0, n), onCommand);
            while (status === ParseStatus.Paused) status = p.resume(onCommand);
            expect(status).toBe(ParseStatus.NeedMore);
            readBuffer.fill(13);
          }
          expect(got.length).toBe(commands.length);
          for (let i = 0; i < commands.length; i++) {
            expect(got[i].length).toBe(commands[i].length);
            for (let j = 0; j < commands[i].length; j++) expect(Buffer.compare(got[i][j], Buffer.from(commands[i][j]))).toBe(0);
          }
        },
      ),
      Number(process.env.FC_RUNS ?? 200),
    );
  });
});
