/**
 * A thread's side of the AOF: the shard writes each write's effects here
 * (shard/exec.ts EffectLog), each record numbered from the shared effect
 * sequence (aof-state.ts); at the end of every turn the thread posts what
 * it gathered to the writer (the supervisor, aof-log.ts) as one batch.
 *
 * A record is a header of five words and, for a command, its RESP bytes:
 *   seq (float64) | txid | db | kind | parts (UNLOCK) or byte length
 * Commands are RESP arrays of bulk strings, exactly as they go in the file.
 */
import type { EffectLog } from '../shard/exec.js';
import { copyBytes } from '../util/bytes.js';
import type { AofState } from './aof-state.js';
import { digits, writeHeader } from './aof-writer.js';

export const enum RecordKind {
  Command = 0,
  /** A transaction let this shard go: the writer has the shard's whole part of it. */
  Unlock = 1,
  /** A rewrite's instant: the records after it go to the new incr file. */
  Rotate = 2,
}

export const RECORD_HEADER = 24;

/** A batch on its way to the writer. */
export interface AofBatch {
  kind: 'aof';
  thread: number;
  records: Uint8Array;
}

const utf8 = new TextEncoder();

export class AofFeed implements EffectLog {
  private buf = new Uint8Array(64 * 1024);
  private view = new DataView(this.buf.buffer);
  private len = 0;
  private count = 0;

  constructor(
    private readonly state: AofState,
    private readonly thread: number,
    private readonly post: (batch: AofBatch, transfer: ArrayBuffer[]) => void,
  ) {}

  asRun(db: number, txid: number, u8: Uint8Array, off: Int32Array, len: Int32Array, argc: number): void {
    let size = 3 + digits(argc);
    for (let i = 0; i < argc; i++) size += 5 + digits(len[i]) + len[i];
    let p = this.header(RecordKind.Command, db, txid, size);
    p = this.writeHead(p, 0x2a, argc);
    for (let i = 0; i < argc; i++) p = this.writeBulk(p, u8, off[i], len[i]);
  }

  rewritten(db: number, txid: number, commands: ReadonlyArray<ReadonlyArray<Uint8Array | string>>): void {
    for (const cmd of commands) {
      const args = cmd.map((a) => (typeof a === 'string' ? utf8.encode(a) : a));
      let size = 3 + digits(args.length);
      for (const a of args) size += 5 + digits(a.length) + a.length;
      let p = this.header(RecordKind.Command, db, txid, size);
      p = this.writeHead(p, 0x2a, args.length);
      for (const a of args) p = this.writeBulk(p, a, 0, a.length);
    }
  }

  unlocked(txid: number, parts: number): void {
    this.header(RecordKind.Unlock, -1, txid, 0, parts);
  }

  rotate(): void {
    this.header(RecordKind.Rotate, -1, 0, 0);
  }

  /** Whether records wait to be posted. */
  get pending(): boolean {
    return this.count > 0;
  }

  /** Bytes waiting to be posted. */
  get bytes(): number {
    return this.len;
  }

  /** Posts the batch (once per turn). */
  flush(): void {
    if (this.count === 0) return;
    const out = new Uint8Array(this.len);
    copyBytes(out, 0, this.buf, 0, this.len);
    this.len = 0;
    this.count = 0;
    // Counted as sent before it goes: the writer, seeing more sent than received, waits for it.
    this.state.sent(this.thread);
    this.post({ kind: 'aof', thread: this.thread, records: out }, [out.buffer]);
    if (this.buf.length > 1 << 20) this.grow(64 * 1024, true);
  }

  /** Reserves a record of `size` bytes after its header; returns where the bytes go. */
  private header(kind: RecordKind, db: number, txid: number, size: number, parts = 0): number {
    const seq = this.state.take(this.thread, this.count === 0);
    this.count++;
    if (this.len + RECORD_HEADER + size > this.buf.length) this.grow(this.len + RECORD_HEADER + size, false);
    const v = this.view;
    const p = this.len;
    v.setFloat64(p, seq, true);
    v.setInt32(p + 8, txid, true);
    v.setInt32(p + 12, db, true);
    v.setInt32(p + 16, kind, true);
    v.setInt32(p + 20, kind === RecordKind.Command ? size : parts, true);
    this.len = p + RECORD_HEADER + size;
    return p + RECORD_HEADER;
  }

  private grow(need: number, shrink: boolean): void {
    let n = shrink ? need : this.buf.length;
    while (n < need) n *= 2;
    const next = new Uint8Array(n);
    if (!shrink) copyBytes(next, 0, this.buf, 0, this.len);
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  private writeHead(p: number, mark: number, n: number): number {
    return writeHeader(this.buf, p, mark, n);
  }

  private writeBulk(p: number, src: Uint8Array, off: number, n: number): number {
    p = this.writeHead(p, 0x24, n);
    copyBytes(this.buf, p, src, off, n);
    p += n;
    this.buf[p++] = 0x0d;
    this.buf[p++] = 0x0a;
    return p;
  }
}
