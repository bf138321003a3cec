/**
 * Writes AOF command streams as Redis does: every command as a RESP array
 * of bulk strings, a SELECT before a command of another db than the last
 * one, and (aof-timestamp-enabled) a `#TS:<unix>` annotation when the
 * second has changed.
 */
import { copyBytes } from '../util/bytes.js';

const utf8 = new TextEncoder();

/** Decimal digits of a non-negative integer. */
export function digits(n: number): number {
  let d = 1;
  while (n >= 10) {
    n = Math.floor(n / 10);
    d++;
  }
  return d;
}

/** `<mark><n>\r\n` at p (mark '*' or '$'); returns the offset past it. */
export function writeHeader(out: Uint8Array, p: number, mark: number, n: number): number {
  out[p++] = mark;
  const d = digits(n);
  for (let i = d - 1; i >= 0; i--) {
    out[p + i] = 0x30 + (n % 10);
    n = Math.floor(n / 10);
  }
  p += d;
  out[p++] = 0x0d;
  out[p++] = 0x0a;
  return p;
}

/** One command as Redis appends it: `*<argc>\r\n` then `$<len>\r\n<bytes>\r\n` per argument. Strings are UTF-8 encoded. */
export function encodeCommand(args: ReadonlyArray<Uint8Array | string>): Uint8Array {
  if (args.length === 0) throw new Error('encodeCommand: a command has at least one argument');
  const bytes = args.map((a) => (typeof a === 'string' ? utf8.encode(a) : a));
  let size = 3 + digits(bytes.length);
  for (const b of bytes) size += 5 + digits(b.length) + b.length;
  const out = new Uint8Array(size);
  let p = writeHeader(out, 0, 0x2a, bytes.length);
  for (const b of bytes) {
    p = writeHeader(out, p, 0x24, b.length);
    copyBytes(out, p, b, 0, b.length);
    p += b.length;
    out[p++] = 0x0d;
    out[p++] = 0x0a;
  }
  return out;
}

/** The `#TS:<unix seconds>\r\n` annotation Redis writes with aof-timestamp-enabled yes. */
export function timestampAnnotation(unixSeconds: number): Uint8Array {
  if (!Number.isSafeInteger(unixSeconds) || unixSeconds < 0) throw new Error(`timestampAnnotation: ${unixSeconds} is not a unix time in seconds`);
  return utf8.encode(`#TS:${unixSeconds}\r\n`);
}

export interface AofBufferOptions {
  /** Write `#TS:` annotations (aof-timestamp-enabled yes). */
  timestamps?: boolean;
}

/**
 * Accumulates the commands to append, for a caller that writes (and
 * fsyncs) them in batches: append() as commands execute, take() when it
 * is time to write.
 */
export class AofBuffer {
  private chunks: Uint8Array[] = [];
  private size = 0;
  private selectedDb = -1;
  private lastTimestamp = -1;
  private readonly timestamps: boolean;

  constructor(opts: AofBufferOptions = {}) {
    this.timestamps = opts.timestamps ?? false;
  }

  /** Bytes appended and not taken yet. */
  get pending(): number {
    return this.size;
  }

  /**
   * Appends a command executed in `db`, preceded by SELECT when the last
   * command went to another db (Redis 7.0 writes a transaction's MULTI
   * with its db: the SELECT goes before the MULTI). db -1 writes no SELECT,
   * for a command of no db. `unixSeconds` is the time of the command, for
   * the annotations.
   */
  append(db: number, args: ReadonlyArray<Uint8Array | string>, unixSeconds?: number): void {
    this.appendEncoded(db, encodeCommand(args), unixSeconds);
  }

  /** append() of a command already encoded (a RESP array of bulk strings). */
  appendEncoded(db: number, command: Uint8Array, unixSeconds?: number): void {
    if (this.timestamps && unixSeconds !== undefined && unixSeconds > this.lastTimestamp) {
      this.push(timestampAnnotation(unixSeconds));
      this.lastTimestamp = unixSeconds;
    }
    if (db !== -1 && db !== this.selectedDb) {
      this.push(encodeCommand(['SELECT', String(db)]));
      this.selectedDb = db;
    }
    this.push(command);
  }

  /**
   * The next commands go to a new file (a new incr file when a rewrite
   * starts): it must say its db again, and its time.
   */
  startNewFile(): void {
    this.selectedDb = -1;
    this.lastTimestamp = -1;
  }

  /** The pending bytes, in one piece; the buffer is empty afterwards. */
  take(): Uint8Array {
    if (this.chunks.length === 1) {
      const only = this.chunks[0]!;
      this.chunks = [];
      this.size = 0;
      return only;
    }
    const out = new Uint8Array(this.size);
    let p = 0;
    for (const c of this.chunks) {
      copyBytes(out, p, c, 0, c.length);
      p += c.length;
    }
    this.chunks = [];
    this.size = 0;
    return out;
  }

  private push(b: Uint8Array): void {
    this.chunks.push(b);
    this.size += b.length;
  }
}
