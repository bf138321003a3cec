/**
 * RESP helpers for tests and benchmarks: an encoder for commands (RESP2
 * multibulk, which is also what a RESP3 client sends) and a small, strict
 * parser for RESP2 and RESP3 replies.
 *
 * The parser exists to find reply boundaries in a raw byte stream and to let
 * the differential tests normalise the few replies that are nondeterministic.
 * Everything else is compared byte for byte, which is the strongest check.
 */

export type Arg = string | number | bigint | Uint8Array;

function argBytes(a: Arg): Buffer {
  if (typeof a === 'string') return Buffer.from(a, 'utf8');
  if (typeof a === 'number' || typeof a === 'bigint') return Buffer.from(String(a), 'utf8');
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

/** Encodes one command as a RESP multibulk: `resp('SET', 'k', 'v')`. */
export function resp(...args: Arg[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`, 'latin1')];
  for (const a of args) {
    const b = argBytes(a);
    parts.push(Buffer.from(`$${b.length}\r\n`, 'latin1'), b, CRLF);
  }
  return Buffer.concat(parts);
}

/** Encodes many commands back to back (one pipeline). */
export function respMany(commands: readonly (readonly Arg[])[]): Buffer {
  return Buffer.concat(commands.map((c) => resp(...c)));
}

const CRLF = Buffer.from('\r\n', 'latin1');

export type Reply =
  | { type: 'simple'; value: string }
  | { type: 'error'; value: string }
  | { type: 'integer'; value: bigint }
  /** `$n` bulk string; value null is the RESP2 null bulk `$-1`. */
  | { type: 'bulk'; value: Buffer | null }
  /** `*n` array; value null is the RESP2 null array `*-1`. */
  | { type: 'array'; value: Reply[] | null }
  /** RESP3 `_` */
  | { type: 'null' }
  /** RESP3 `,` — kept as the exact text sent by the server. */
  | { type: 'double'; value: string }
  | { type: 'boolean'; value: boolean }
  | { type: 'bignum'; value: string }
  /** RESP3 `=` — format is the 3-letter prefix ("txt", "mkd"). */
  | { type: 'verbatim'; format: string; value: Buffer }
  /** RESP3 `!` */
  | { type: 'blobError'; value: Buffer }
  | { type: 'map'; value: Array<[Reply, Reply]> }
  | { type: 'set'; value: Reply[] }
  | { type: 'push'; value: Reply[] }
  /** RESP3 `|` attributes, attached to the reply that follows them. */
  | { type: 'attribute'; attributes: Array<[Reply, Reply]>; reply: Reply };

export class RespParseError extends Error {}

export interface Parsed {
  reply: Reply;
  /** Offset just past the reply. */
  end: number;
}

/** Position of the CRLF ending the line that starts at `from`, or -1 if not yet there. */
function lineEnd(buf: Uint8Array, from: number, limit: number): number {
  for (let i = from; i + 1 < limit; i++) {
    if (buf[i] === 13 && buf[i + 1] === 10) return i;
  }
  return -1;
}

function parseIntStrict(text: string, what: string): bigint {
  if (!/^-?\d+$/.test(text)) throw new RespParseError(`bad ${what}: ${JSON.stringify(text)}`);
  return BigInt(text);
}

function parseLen(text: string, what: string): number {
  const n = parseIntStrict(text, what);
  if (n < -1n || n > BigInt(Number.MAX_SAFE_INTEGER)) throw new RespParseError(`bad ${what}: ${text}`);
  return Number(n);
}

/**
 * Parses one reply starting at `offset`. Returns null if the buffer does not
 * yet hold the complete reply; throws RespParseError on malformed input.
 * `limit` (default buf.length) is the end of valid data in `buf`.
 */
export function parseReply(buf: Uint8Array, offset = 0, limit = buf.length): Parsed | null {
  if (offset >= limit) return null;
  const type = buf[offset];
  const le = lineEnd(buf, offset + 1, limit);
  if (le < 0) return null;
  const line = Buffer.from(buf.buffer, buf.byteOffset + offset + 1, le - offset - 1).toString('latin1');
  const next = le + 2;
  switch (type) {
    case 0x2b /* + */:
      return { reply: { type: 'simple', value: line }, end: next };
    case 0x2d /* - */:
      return { reply: { type: 'error', value: line }, end: next };
    case 0x3a /* : */:
      return { reply: { type: 'integer', value: parseIntStrict(line, 'integer') }, end: next };
    case 0x5f /* _ */:
      if (line !== '') throw new RespParseError('bad null');
      return { reply: { type: 'null' }, end: next };
    case 0x2c /* , */:
      return { reply: { type: 'double', value: line }, end: next };
    case 0x23 /* # */:
      if (line !== 't' && line !== 'f') throw new RespParseError(`bad boolean ${line}`);
      return { reply: { type: 'boolean', value: line === 't' }, end: next };
    case 0x28 /* ( */:
      return { reply: { type: 'bignum', value: line }, end: next };
    case 0x24 /* $ */:
    case 0x21 /* ! */:
    case 0x3d /* = */: {
      const n = parseLen(line, 'bulk length');
      if (n === -1) {
        if (type !== 0x24) throw new RespParseError('negative length');
        return { reply: { type: 'bulk', value: null }, end: next };
      }
      if (next + n + 2 > limit) return null;
      if (buf[next + n] !== 13 || buf[next + n + 1] !== 10) throw new RespParseError('bulk not followed by CRLF');
      const data = Buffer.from(buf.subarray(next, next + n));
      const end = next + n + 2;
      if (type === 0x24) return { reply: { type: 'bulk', value: data }, end };
      if (type === 0x21) return { reply: { type: 'blobError', value: data }, end };
      if (n < 4 || data[3] !== 0x3a) throw new RespParseError('bad verbatim string');
      return { reply: { type: 'verbatim', format: data.subarray(0, 3).toString('latin1'), value: data.subarray(4) }, end };
    }
    case 0x2a /* * */:
    case 0x7e /* ~ */:
    case 0x3e /* > */: {
      const n = parseLen(line, 'aggregate length');
      if (n === -1) {
        if (type !== 0x2a) throw new RespParseError('negative length');
        return { reply: { type: 'array', value: null }, end: next };
      }
      const items: Reply[] = [];
      let pos = next;
      for (let i = 0; i < n; i++) {
        const p = parseReply(buf, pos, limit);
        if (!p) return null;
        items.push(p.reply);
        pos = p.end;
      }
      const kind = type === 0x2a ? 'array' : type === 0x7e ? 'set' : 'push';
      return { reply: { type: kind, value: items } as Reply, end: pos };
    }
    case 0x25 /* % */:
    case 0x7c /* | */: {
      const n = parseLen(line, 'map length');
      if (n < 0) throw new RespParseError('negative map length');
      const entries: Array<[Reply, Reply]> = [];
      let pos = next;
      for (let i = 0; i < n; i++) {
        const k = parseReply(buf, pos, limit);
        if (!k) return null;
        const v = parseReply(buf, k.end, limit);
        if (!v) return null;
        entries.push([k.reply, v.reply]);
        pos = v.end;
      }
      if (type === 0x25) return { reply: { type: 'map', value: entries }, end: pos };
      const inner = parseReply(buf, pos, limit);
      if (!inner) return null;
      return { reply: { type: 'attribute', attributes: entries, reply: inner.reply }, end: inner.end };
    }
    default:
      throw new RespParseError(`unknown reply type byte 0x${(type ?? 0).toString(16)} at offset ${offset}`);
  }
}

/**
 * Where the reply starting at `offset` ends, or -1 while the buffer does not
 * yet hold all of it. Only the framing is read (no payload is copied), so a
 * reader can call it on every chunk of a long reply without going
 * quadratic; parseReply on the complete reply validates it.
 */
export function replyEnd(buf: Uint8Array, offset = 0, limit = buf.length): number {
  let pos = offset;
  let pending = 1;
  while (pending > 0) {
    if (pos >= limit) return -1;
    const type = buf[pos]!;
    const le = lineEnd(buf, pos + 1, limit);
    if (le < 0) return -1;
    const next = le + 2;
    pending--;
    if (type === 0x24 /* $ */ || type === 0x21 /* ! */ || type === 0x3d /* = */) {
      const n = parseLen(Buffer.from(buf.buffer, buf.byteOffset + pos + 1, le - pos - 1).toString('latin1'), 'bulk length');
      if (n >= 0 && next + n + 2 > limit) return -1;
      pos = n >= 0 ? next + n + 2 : next;
    } else if (type === 0x2a /* * */ || type === 0x7e /* ~ */ || type === 0x3e /* > */ || type === 0x25 /* % */ || type === 0x7c /* | */) {
      const n = parseLen(Buffer.from(buf.buffer, buf.byteOffset + pos + 1, le - pos - 1).toString('latin1'), 'aggregate length');
      if (n > 0) pending += type === 0x25 ? 2 * n : type === 0x7c ? 2 * n + 1 : n;
      else if (type === 0x7c) pending += 1;
      pos = next;
    } else {
      pos = next;
    }
  }
  return pos;
}

/** Parses a buffer that must contain exactly one complete reply. */
export function parseOne(buf: Uint8Array): Reply {
  const p = parseReply(buf, 0);
  if (!p) throw new RespParseError(`incomplete reply: ${printable(buf)}`);
  if (p.end !== buf.length) throw new RespParseError(`trailing bytes after reply: ${printable(buf)}`);
  return p.reply;
}

/** Splits a buffer holding complete replies into the raw bytes of each. */
export function splitReplies(buf: Uint8Array): Buffer[] {
  const out: Buffer[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const p = parseReply(buf, pos);
    if (!p) throw new RespParseError(`incomplete reply at offset ${pos}`);
    out.push(Buffer.from(buf.subarray(pos, p.end)));
    pos = p.end;
  }
  return out;
}

/** Re-encodes a parsed reply to its wire form (inverse of parseReply). */
export function encodeReply(r: Reply): Buffer {
  const parts: Buffer[] = [];
  const put = (s: string) => parts.push(Buffer.from(s, 'latin1'));
  const walk = (x: Reply): void => {
    switch (x.type) {
      case 'simple': put(`+${x.value}\r\n`); break;
      case 'error': put(`-${x.value}\r\n`); break;
      case 'integer': put(`:${x.value}\r\n`); break;
      case 'null': put('_\r\n'); break;
      case 'double': put(`,${x.value}\r\n`); break;
      case 'boolean': put(`#${x.value ? 't' : 'f'}\r\n`); break;
      case 'bignum': put(`(${x.value}\r\n`); break;
      case 'bulk':
        if (x.value === null) put('$-1\r\n');
        else { put(`$${x.value.length}\r\n`); parts.push(x.value); put('\r\n'); }
        break;
      case 'blobError': put(`!${x.value.length}\r\n`); parts.push(x.value); put('\r\n'); break;
      case 'verbatim': put(`=${x.value.length + 4}\r\n${x.format}:`); parts.push(x.value); put('\r\n'); break;
      case 'array':
        if (x.value === null) { put('*-1\r\n'); break; }
        put(`*${x.value.length}\r\n`); x.value.forEach(walk); break;
      case 'set': put(`~${x.value.length}\r\n`); x.value.forEach(walk); break;
      case 'push': put(`>${x.value.length}\r\n`); x.value.forEach(walk); break;
      case 'map': put(`%${x.value.length}\r\n`); for (const [k, v] of x.value) { walk(k); walk(v); } break;
      case 'attribute':
        put(`|${x.attributes.length}\r\n`);
        for (const [k, v] of x.attributes) { walk(k); walk(v); }
        walk(x.reply);
        break;
    }
  };
  walk(r);
  return Buffer.concat(parts);
}

/** A short, human-readable, escaped rendering of raw bytes for failure messages. */
export function printable(buf: Uint8Array | string, max = 300): string {
  const b = typeof buf === 'string' ? Buffer.from(buf, 'utf8') : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const shown = b.subarray(0, max);
  let s = '';
  for (const c of shown) {
    if (c === 0x5c) s += '\\\\';
    else if (c === 0x22) s += '\\"';
    else if (c >= 0x20 && c < 0x7f) s += String.fromCharCode(c);
    else if (c === 13) s += '\\r';
    else if (c === 10) s += '\\n';
    else if (c === 9) s += '\\t';
    else s += '\\x' + c.toString(16).padStart(2, '0');
  }
  return `"${s}"${b.length > max ? `…(+${b.length - max} bytes)` : ''}`;
}

/** Renders a command (list of args) for failure messages. */
export function printableCommand(args: readonly Arg[], maxArg = 80): string {
  return args.map((a) => printable(argBytes(a), maxArg)).join(' ');
}
