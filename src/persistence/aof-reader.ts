/**
 * Reads an AOF command stream: RESP arrays of bulk strings
 * (`*<n>\r\n` then n times `$<len>\r\n<bytes>\r\n`), with `#...\r\n`
 * annotation lines between commands (`#TS:<unix>` when
 * aof-timestamp-enabled is on), which are skipped.
 *
 * Input is untrusted. The outcome is one of three:
 *  - the whole stream is read;
 *  - it ends inside a command (or annotation): `truncatedAt` is where that
 *    command starts, so the caller can cut the file there
 *    (aof-load-truncated yes) or refuse it (no), as Redis does;
 *  - a byte that cannot be there (bad '*' or '$' syntax, a non-numeric
 *    length, a bulk not followed by CRLF): AofError with its offset.
 * Nothing else escapes but the caller's own exceptions; nothing is
 * allocated for a length before the bytes are there, and every step moves
 * forward.
 *
 * The reader is stricter than Redis's loader, which reads lengths with
 * atoi and skips the two bytes after a bulk unseen: a file Redis writes
 * always passes.
 */
import { sliceBytes } from '../util/bytes.js';

export class AofError extends Error {
  constructor(
    message: string,
    /** Byte offset in the input where reading failed. */
    readonly offset: number,
  ) {
    super(message);
  }
}

export interface AofReadOptions {
  /** Where to start (after an RDB preamble the caller has loaded). Default 0. */
  start?: number;
  /** Gets each annotation's text (between '#' and CRLF) and the offset of its '#'. */
  onAnnotation?: (text: string, offset: number) => void;
  /** Arguments as views of `buf`, valid during the callback only (no copy). Default: fresh copies. */
  views?: boolean;
}

export interface AofReadResult {
  /** The bytes at `start` are an RDB (they begin with "REDIS"): nothing was read, load the RDB first. */
  rdbPreamble: boolean;
  /** Offset just past the last complete command or annotation. */
  end: number;
  /** When the stream ends inside a command or annotation: the offset where it starts (equal to `end`); else null. */
  truncatedAt: number | null;
}

/** Redis reads annotations and headers with fgets into a 1024-byte buffer. */
const MAX_LINE = 1024;
/** Counts and lengths of more digits than this are corruption, not data (and stay exact as doubles). */
const MAX_DIGITS = 15;
const MAX_ARGC = 0x7fffffff;

/** Whether the bytes at `at` begin an RDB file ("REDIS"): an AOF with an RDB preamble, or an RDB base file. */
export function hasRdbPreamble(buf: Uint8Array, at = 0): boolean {
  return (
    buf.length - at >= 5 && buf[at] === 0x52 && buf[at + 1] === 0x45 && buf[at + 2] === 0x44 && buf[at + 3] === 0x49 && buf[at + 4] === 0x53
  );
}

// Thrown inside the parse of one command when the input ends; never escapes.
const TRUNCATED = Symbol('truncated');

/**
 * Reads the commands of `buf` from `opts.start`, calling onCommand with
 * each command's arguments (fresh copies, or views with `opts.views`) and
 * the offset just past it.
 */
export function readAof(
  buf: Uint8Array,
  onCommand: (args: Uint8Array[], offsetAfter: number) => void,
  opts: AofReadOptions = {},
): AofReadResult {
  const start = opts.start ?? 0;
  if (!Number.isInteger(start) || start < 0 || start > buf.length) throw new AofError(`Start offset ${start} is outside the input`, 0);
  if (hasRdbPreamble(buf, start)) return { rdbPreamble: true, end: start, truncatedAt: null };
  const len = buf.length;
  const views = opts.views ?? false;
  let pos = start;

  // A decimal number ending in CRLF at p; returns [value, offset past the CRLF].
  const readNumber = (p: number, what: string): [number, number] => {
    const from = p;
    let n = 0;
    while (p < len && buf[p]! >= 0x30 && buf[p]! <= 0x39) {
      if (p - from >= MAX_DIGITS) throw new AofError(`The ${what} has too many digits (at offset ${from})`, from);
      n = n * 10 + buf[p]! - 0x30;
      p++;
    }
    if (p >= len) throw TRUNCATED;
    if (p === from) throw new AofError(`Expected digits for the ${what}, found ${byteName(buf[p]!)} (at offset ${p})`, p);
    if (buf[p] !== 0x0d) throw new AofError(`Expected CR after the ${what}, found ${byteName(buf[p]!)} (at offset ${p})`, p);
    if (p + 1 >= len) throw TRUNCATED;
    if (buf[p + 1] !== 0x0a) throw new AofError(`Expected LF after the ${what}, found ${byteName(buf[p + 1]!)} (at offset ${p + 1})`, p + 1);
    return [n, p + 2];
  };

  try {
    while (pos < len) {
      const c = buf[pos]!;
      if (c === 0x23 /* # */) {
        const limit = Math.min(len, pos + MAX_LINE);
        const nl = buf.subarray(pos, limit).indexOf(0x0a);
        if (nl < 0) {
          if (limit === len) throw TRUNCATED;
          throw new AofError(`An annotation line is longer than ${MAX_LINE} bytes (at offset ${pos})`, pos);
        }
        const lineEnd = pos + nl + 1;
        if (opts.onAnnotation) {
          const textEnd = nl > 0 && buf[lineEnd - 2] === 0x0d ? lineEnd - 2 : lineEnd - 1;
          opts.onAnnotation(Buffer.from(buf.buffer, buf.byteOffset + pos + 1, textEnd - pos - 1).toString('latin1'), pos);
        }
        pos = lineEnd;
        continue;
      }
      if (c !== 0x2a /* * */) throw new AofError(`Expected '*' at the start of a command, found ${byteName(c)} (at offset ${pos})`, pos);
      const [argc, afterCount] = readNumber(pos + 1, 'argument count');
      if (argc < 1 || argc > MAX_ARGC) throw new AofError(`Invalid argument count ${argc} (at offset ${pos})`, pos);
      let p = afterCount;
      const args: Uint8Array[] = [];
      for (let i = 0; i < argc; i++) {
        // Arguments are collected as they come: a bogus count costs nothing before its bytes are there.
        if (p >= len) throw TRUNCATED;
        if (buf[p] !== 0x24 /* $ */) throw new AofError(`Expected '$' before argument ${i + 1} of ${argc}, found ${byteName(buf[p]!)} (at offset ${p})`, p);
        const [n, dataAt] = readNumber(p + 1, 'bulk length');
        // Checked against the bytes left before anything is allocated: a bogus length reads as a cut.
        if (n > len - dataAt) throw TRUNCATED;
        if (dataAt + n + 2 > len) {
          if (dataAt + n < len && buf[dataAt + n] !== 0x0d) {
            throw new AofError(`Expected CRLF after a bulk of ${n} bytes, found ${byteName(buf[dataAt + n]!)} (at offset ${dataAt + n})`, dataAt + n);
          }
          throw TRUNCATED;
        }
        if (buf[dataAt + n] !== 0x0d || buf[dataAt + n + 1] !== 0x0a) {
          const bad = buf[dataAt + n] !== 0x0d ? dataAt + n : dataAt + n + 1;
          throw new AofError(`Expected CRLF after a bulk of ${n} bytes, found ${byteName(buf[bad]!)} (at offset ${bad})`, bad);
        }
        args.push(views ? buf.subarray(dataAt, dataAt + n) : sliceBytes(buf, dataAt, n));
        p = dataAt + n + 2;
      }
      pos = p;
      onCommand(args, pos);
    }
  } catch (e) {
    if (e === TRUNCATED) return { rdbPreamble: false, end: pos, truncatedAt: pos };
    throw e;
  }
  return { rdbPreamble: false, end: pos, truncatedAt: null };
}

function byteName(c: number): string {
  return c >= 0x20 && c < 0x7f ? `'${String.fromCharCode(c)}'` : `byte 0x${c.toString(16).padStart(2, '0')}`;
}

function isCommand(args: readonly Uint8Array[], upper: string): boolean {
  const a = args[0];
  if (!a || a.length !== upper.length) return false;
  for (let i = 0; i < a.length; i++) {
    const c = a[i]! >= 0x61 && a[i]! <= 0x7a ? a[i]! - 32 : a[i]!;
    if (c !== upper.charCodeAt(i)) return false;
  }
  return true;
}

/**
 * Follows MULTI/EXEC through a stream: feed it every command as readAof
 * reports it. Redis writes a transaction as MULTI, its commands, EXEC;
 * a stream that ends after MULTI but before EXEC was cut while the
 * transaction was being written, and Redis loads it as if it had been cut
 * just before the MULTI (reverting the open transaction).
 */
export class MultiTracker {
  private last: number;
  /** Offset where the open MULTI starts (just past the command before it), or null when no MULTI is open. */
  openMultiAt: number | null = null;

  /** `start`: the offset readAof starts from. */
  constructor(start = 0) {
    this.last = start;
  }

  observe(args: readonly Uint8Array[], offsetAfter: number): void {
    // Every MULTI moves the point back as in Redis's loader (a nested MULTI would fail at EXEC anyway).
    if (isCommand(args, 'MULTI')) this.openMultiAt = this.last;
    else if (isCommand(args, 'EXEC') || isCommand(args, 'DISCARD')) this.openMultiAt = null;
    this.last = offsetAfter;
  }
}

/**
 * Where the loadable part of a stream ends: before an open MULTI, else
 * before a cut command, else at the end. The commands past it are not to
 * be applied, and `aof-load-truncated yes` cuts the file there.
 */
export function loadableEnd(result: AofReadResult, tracker: MultiTracker): number {
  if (tracker.openMultiAt !== null) return tracker.openMultiAt;
  return result.truncatedAt ?? result.end;
}
