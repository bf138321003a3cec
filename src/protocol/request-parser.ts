/**
 * Incremental parser of client requests: RESP multibulk and inline commands,
 * with Redis's limits and error texts.
 *
 * The common case costs no copy: a socket chunk is parsed in place, and the
 * arguments handed to `onCommand` are (offset, length) pairs into `argBuf`,
 * valid only during the call (the caller copies what it keeps). Only the
 * unparsed tail of a chunk is copied into an owned query buffer, so no view
 * ever pins a socket chunk. A partial command is resumed where it stopped,
 * so a 100 MB bulk arriving in 64 KiB chunks is parsed once, not rescanned.
 */
import { copyBytes } from '../util/bytes.js';
import { giveBuffer, takeBuffer } from '../util/buffer-pool.js';

export const PROTO_INLINE_MAX_SIZE = 64 * 1024;
const PROTO_MBULK_BIG_ARG = 32 * 1024;
const CR = 13;
const LF = 10;

export interface ParserLimits {
  protoMaxBulkLen: number;
  queryBufferLimit: number;
}

export const enum ParseStatus {
  /** Every complete command was consumed; more bytes are needed. */
  NeedMore = 0,
  /** `onCommand` refused a command (backpressure); `resume()` delivers it again. */
  Paused = 1,
  /** A protocol error: `error` holds Redis's reply text; the connection must close after it. */
  Error = 2,
}

/** Return false from the callback to pause parsing after this command. */
export type CommandCallback = (p: RequestParser) => boolean;

export class RequestParser {
  /** Buffer holding the arguments of the command being delivered. */
  argBuf: Uint8Array = EMPTY;
  argOff = new Int32Array(16);
  argLen = new Int32Array(16);
  argc = 0;
  /** Protocol error text (without the leading '-' and CRLF). */
  error = '';
  /** Whether the client is authenticated (tighter limits before that, as Redis). */
  authenticated = true;

  private qb: Uint8Array = EMPTY;
  private qbLen = 0;
  private owned = false;
  private pos = 0;
  /** Start of the command being delivered (where a refused command is parsed again from). */
  private begin = 0;
  /** Start of the command being parsed (for compaction). */
  private cmdStart = 0;
  /** Remaining bulks of the current multibulk, 0 when between commands. */
  private mbRemaining = 0;
  /** Declared length of the next bulk, -1 when its header was not read yet. */
  private bulkLen = -1;

  constructor(private readonly limits: ParserLimits) {}

  /** Bytes buffered but not yet consumed (for CLIENT LIST qbuf). */
  get buffered(): number {
    return this.qbLen - this.cmdStart;
  }

  /** The connection's own query buffer (CLIENT LIST rbs): 0 while it parses the thread's read buffer in place. */
  get capacity(): number {
    return this.owned ? this.qb.length : 0;
  }

  /** Room left in it (CLIENT LIST qbuf-free). */
  get free(): number {
    return this.owned ? this.qb.length - this.qbLen : 0;
  }

  /** Adds a chunk and parses every complete command in it. */
  feed(chunk: Uint8Array, onCommand: CommandCallback): ParseStatus {
    if (this.qbLen === 0) {
      this.qb = chunk; // parse in place
      this.qbLen = chunk.length;
      this.owned = false;
      this.pos = 0;
      this.cmdStart = 0;
    } else {
      this.append(chunk);
    }
    return this.run(onCommand);
  }

  /** Continues after a pause. */
  resume(onCommand: CommandCallback): ParseStatus {
    return this.run(onCommand);
  }

  private run(onCommand: CommandCallback): ParseStatus {
    let status: ParseStatus = ParseStatus.NeedMore;
    for (;;) {
      if (this.pos >= this.qbLen && this.mbRemaining === 0) break;
      // Where this command starts (for a command resumed from an earlier chunk, cmdStart already points
      // there). Kept in a field because compaction during the parse moves it.
      this.begin = this.mbRemaining > 0 ? this.cmdStart : this.pos;
      const r = this.mbRemaining > 0 || this.qb[this.pos] === 0x2a /* '*' */ ? this.parseMultibulk() : this.parseInline();
      if (r === 0) break; // need more
      if (r < 0) {
        status = ParseStatus.Error;
        break;
      }
      if (this.argc > 0 && !onCommand(this)) {
        // Refused (backpressure, a barrier): keep it to deliver again on resume.
        this.pos = this.begin;
        this.cmdStart = this.begin;
        this.argc = 0;
        status = ParseStatus.Paused;
        break;
      }
    }
    this.keepTail();
    if (status === ParseStatus.NeedMore && this.qbLen - this.cmdStart > this.limits.queryBufferLimit) {
      this.error = 'query buffer limit';
      return ParseStatus.Error;
    }
    return status;
  }

  /** Returns 1 with a command ready, 0 when more bytes are needed, -1 on error. */
  private parseMultibulk(): number {
    const qb = this.qb;
    if (this.mbRemaining === 0) {
      // Header "*<count>\r\n".
      this.cmdStart = this.pos;
      const cr = indexOfCR(qb, this.pos, this.qbLen);
      if (cr < 0) {
        if (this.qbLen - this.pos > PROTO_INLINE_MAX_SIZE) return this.fail('Protocol error: too big mbulk count string');
        return 0;
      }
      if (cr + 1 >= this.qbLen) return 0; // wait for the '\n'
      const n = parseLen(qb, this.pos + 1, cr);
      if (n === BAD_NUMBER || n > 0x7fffffff) return this.fail('Protocol error: invalid multibulk length');
      if (!this.authenticated && n > 10) return this.fail('Protocol error: unauthenticated multibulk length');
      this.pos = cr + 2;
      this.argc = 0;
      if (n <= 0) {
        // "*0" and "*-1" are empty commands: skipped.
        this.cmdStart = this.pos;
        return 1;
      }
      this.mbRemaining = n;
      this.bulkLen = -1;
    }
    while (this.mbRemaining > 0) {
      // reserveForBulk may move the query buffer: always read it afresh.
      const qb = this.qb;
      if (this.bulkLen < 0) {
        const cr = indexOfCR(qb, this.pos, this.qbLen);
        if (cr < 0) {
          if (this.qbLen - this.pos > PROTO_INLINE_MAX_SIZE) return this.fail('Protocol error: too big bulk count string');
          return 0;
        }
        if (cr + 1 >= this.qbLen) return 0;
        if (qb[this.pos] !== 0x24 /* '$' */) {
          return this.fail(`Protocol error: expected '$', got '${String.fromCharCode(qb[this.pos])}'`);
        }
        const n = parseLen(qb, this.pos + 1, cr);
        if (n === BAD_NUMBER || n < 0 || n > this.limits.protoMaxBulkLen) return this.fail('Protocol error: invalid bulk length');
        if (!this.authenticated && n > 16384) return this.fail('Protocol error: unauthenticated bulk length');
        this.pos = cr + 2;
        this.bulkLen = n;
        if (n >= PROTO_MBULK_BIG_ARG) this.reserveForBulk(n + 2);
      }
      if (this.qbLen - this.pos < this.bulkLen + 2) return 0;
      this.pushArg(this.pos, this.bulkLen);
      this.pos += this.bulkLen + 2;
      this.bulkLen = -1;
      this.mbRemaining--;
    }
    this.argBuf = this.qb;
    this.cmdStart = this.pos;
    return 1;
  }

  private parseInline(): number {
    const qb = this.qb;
    this.cmdStart = this.pos;
    let nl = -1;
    for (let i = this.pos; i < this.qbLen; i++) {
      if (qb[i] === LF) {
        nl = i;
        break;
      }
    }
    if (nl < 0) {
      if (this.qbLen - this.pos > PROTO_INLINE_MAX_SIZE) return this.fail('Protocol error: too big inline request');
      return 0;
    }
    let end = nl;
    if (end > this.pos && qb[end - 1] === CR) end--;
    const args = splitInlineArgs(qb, this.pos, end);
    this.pos = nl + 1;
    this.cmdStart = this.pos;
    if (args === null) return this.fail('Protocol error: unbalanced quotes in request');
    // Inline arguments are unescaped into a fresh buffer (inline is rare).
    let total = 0;
    for (const a of args) total += a.length;
    const buf = new Uint8Array(total);
    this.argc = 0;
    let o = 0;
    for (const a of args) {
      buf.set(a, o);
      this.pushArg(o, a.length);
      o += a.length;
    }
    this.argBuf = buf;
    return 1;
  }

  private pushArg(off: number, len: number): void {
    if (this.argc === this.argOff.length) {
      const n = this.argc * 2;
      const o = new Int32Array(n);
      o.set(this.argOff);
      this.argOff = o;
      const l = new Int32Array(n);
      l.set(this.argLen);
      this.argLen = l;
    }
    this.argOff[this.argc] = off;
    this.argLen[this.argc] = len;
    this.argc++;
  }

  private fail(text: string): number {
    this.error = 'ERR ' + text;
    this.mbRemaining = 0;
    return -1;
  }

  /** Makes room for a big bulk so it is received straight into place. */
  private reserveForBulk(bytes: number): void {
    const need = this.pos - this.cmdStart + bytes;
    if (this.owned && this.qb.length - this.cmdStart >= need) return;
    this.compactInto(need);
  }

  /** Copies [cmdStart, qbLen) to the start of an owned buffer of at least `cap` bytes. */
  private compactInto(cap: number): void {
    const keep = this.qbLen - this.cmdStart;
    const shift = this.cmdStart;
    let dst = this.qb;
    if (!this.owned || dst.length < cap) dst = takeBuffer(Math.max(cap, keep, 1024));
    copyBytes(dst, 0, this.qb, shift, this.qbLen - shift);
    if (this.owned && dst !== this.qb) giveBuffer(this.qb);
    for (let i = 0; i < this.argc; i++) this.argOff[i] -= shift;
    this.begin -= shift;
    this.qb = dst;
    this.owned = true;
    this.qbLen = keep;
    this.pos -= shift;
    this.cmdStart = 0;
  }

  /** After a run: drop consumed bytes, and copy an unparsed tail out of a borrowed chunk. */
  private keepTail(): void {
    if (this.cmdStart >= this.qbLen && this.mbRemaining === 0) {
      this.qbLen = 0;
      this.pos = 0;
      this.cmdStart = 0;
      if (!this.owned || this.qb.length > KEPT_BUFFER_MAX) {
        if (this.owned) giveBuffer(this.qb);
        this.qb = EMPTY;
        this.owned = false;
      }
      return;
    }
    if (!this.owned || this.cmdStart > 0) {
      const keep = this.qbLen - this.cmdStart;
      const wanted = this.bulkLen >= PROTO_MBULK_BIG_ARG ? this.pos - this.cmdStart + this.bulkLen + 2 : keep * 2;
      this.compactInto(Math.max(wanted, 4096));
    }
  }

  private append(chunk: Uint8Array): void {
    const need = this.qbLen + chunk.length;
    if (!this.owned || need > this.qb.length) {
      if (this.cmdStart > 0 || !this.owned) {
        this.compactInto(Math.max((this.qbLen - this.cmdStart + chunk.length) * 2, 4096));
      }
      if (this.qbLen + chunk.length > this.qb.length) {
        const grown = takeBuffer(Math.max(this.qbLen + chunk.length, this.qb.length * 2));
        copyBytes(grown, 0, this.qb, 0, this.qbLen);
        giveBuffer(this.qb);
        this.qb = grown;
      }
    }
    this.qb.set(chunk, this.qbLen);
    this.qbLen += chunk.length;
  }
}

const EMPTY = new Uint8Array(0);

/** A connection keeps its query buffer between commands up to this size; a bigger one goes back to the pool. */
const KEPT_BUFFER_MAX = 64 * 1024;

const BAD_NUMBER = -0x7fffffff - 2;

function indexOfCR(u8: Uint8Array, from: number, to: number): number {
  for (let i = from; i < to; i++) if (u8[i] === CR) return i;
  return -1;
}

/** Parses the decimal length of a header (string2ll rules: optional '-', digits only). */
function parseLen(u8: Uint8Array, from: number, to: number): number {
  if (from >= to || to - from > 20) return BAD_NUMBER;
  let i = from;
  let neg = false;
  if (u8[i] === 0x2d) {
    neg = true;
    i++;
    if (i === to) return BAD_NUMBER;
  }
  // No leading zeros (string2ll): "0" alone is the only number starting with 0.
  if (u8[i] === 48 && to - i > 1) return BAD_NUMBER;
  let n = 0;
  for (; i < to; i++) {
    const d = u8[i] - 48;
    if (d < 0 || d > 9) return BAD_NUMBER;
    n = n * 10 + d;
  }
  if (n > Number.MAX_SAFE_INTEGER) return BAD_NUMBER;
  return neg ? -n : n;
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0b || c === 0x0c || c === 0x0d;
}

function hexVal(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/**
 * Splits an inline command line the way Redis's sdssplitargs does: spaces
 * separate arguments; "double quotes" understand \xHH, \n, \r, \t, \b, \a and
 * \<char>; 'single quotes' understand \'; a closing quote must be followed by
 * a space or the end. Returns null on unbalanced quotes.
 */
export function splitInlineArgs(u8: Uint8Array, from: number, to: number): Uint8Array[] | null {
  const out: Uint8Array[] = [];
  let p = from;
  for (;;) {
    while (p < to && isSpace(u8[p])) p++;
    if (p >= to) return out;
    const cur: number[] = [];
    let inq = false;
    let insq = false;
    let done = false;
    while (!done) {
      if (inq) {
        if (p >= to) return null;
        const c = u8[p];
        if (c === 0x5c && p + 3 < to && u8[p + 1] === 0x78 && hexVal(u8[p + 2]) >= 0 && hexVal(u8[p + 3]) >= 0) {
          cur.push(hexVal(u8[p + 2]) * 16 + hexVal(u8[p + 3]));
          p += 3;
        } else if (c === 0x5c && p + 1 < to) {
          p++;
          const e = u8[p];
          cur.push(e === 0x6e ? 10 : e === 0x72 ? 13 : e === 0x74 ? 9 : e === 0x62 ? 8 : e === 0x61 ? 7 : e);
        } else if (c === 0x22) {
          if (p + 1 < to && !isSpace(u8[p + 1])) return null;
          done = true;
        } else {
          cur.push(c);
        }
      } else if (insq) {
        if (p >= to) return null;
        const c = u8[p];
        if (c === 0x5c && p + 1 < to && u8[p + 1] === 0x27) {
          p++;
          cur.push(0x27);
        } else if (c === 0x27) {
          if (p + 1 < to && !isSpace(u8[p + 1])) return null;
          done = true;
        } else {
          cur.push(c);
        }
      } else {
        if (p >= to) {
          done = true;
          break;
        }
        const c = u8[p];
        if (isSpace(c)) done = true;
        else if (c === 0x22) inq = true;
        else if (c === 0x27) insq = true;
        else cur.push(c);
      }
      if (p < to) p++;
    }
    out.push(Uint8Array.from(cur));
  }
}
