import { describe, expect, it } from 'vitest';
import { ParseStatus, RequestParser, splitInlineArgs } from '../../src/protocol/request-parser.js';

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
