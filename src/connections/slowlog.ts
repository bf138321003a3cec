/**
 * SLOWLOG: each thread keeps the commands it ran that took at least
 * slowlog-log-slower-than µs — the connection commands it ran for its
 * clients and the shard commands its shard ran for any thread's clients —
 * up to slowlog-max-len of them. Ids come from one shared counter, so
 * SLOWLOG GET merges every thread's entries newest first, as one log.
 * Arguments are kept as Redis keeps them: at most 32 (the last saying how
 * many more), each at most 128 bytes (saying how many more), secrets
 * redacted. A shard knows only the connection's key of a client of another
 * thread: its address and name are filled in by that thread when asked.
 */
import type { Config } from '../config/config.js';
import { redacted } from '../util/monitor-line.js';

const MAX_ARGS = 32;
const MAX_STRING = 128;

export interface SlowEntry {
  id: number;
  /** Unix time, seconds. */
  time: number;
  usec: number;
  /** The arguments as kept (latin1 strings: bytes as they were). */
  args: string[];
  /** The connection's key (frames.ts connKey), to find its address and name. */
  conn: number;
  addr: string;
  name: string;
}

export class SlowLog {
  private entries: SlowEntry[] = [];

  constructor(
    private readonly config: Config,
    private readonly nextId: () => number,
  ) {}

  /** Whether a command that took `usec` goes in the log. */
  isSlow(usec: number): boolean {
    const limit = this.config.int('slowlog-log-slower-than');
    return limit >= 0 && usec >= limit;
  }

  add(args: readonly Uint8Array[], usec: number, conn: number, addr = '', name = ''): void {
    const hide = redacted(args);
    const kept: string[] = [];
    const n = Math.min(args.length, MAX_ARGS);
    for (let i = 0; i < n; i++) {
      if (n < args.length && i === n - 1) {
        kept.push(`... (${args.length - MAX_ARGS + 1} more arguments)`);
        break;
      }
      if (hide.has(i)) {
        kept.push('(redacted)');
        continue;
      }
      const a = Buffer.from(args[i].buffer, args[i].byteOffset, args[i].length);
      kept.push(a.length > MAX_STRING ? `${a.subarray(0, MAX_STRING).toString('latin1')}... (${a.length - MAX_STRING} more bytes)` : a.toString('latin1'));
    }
    this.entries.push({ id: this.nextId(), time: Math.floor(Date.now() / 1000), usec: Math.round(usec), args: kept, conn, addr, name });
    this.trim();
  }

  private trim(): void {
    const max = Math.max(0, this.config.int('slowlog-max-len'));
    if (this.entries.length > max) this.entries.splice(0, this.entries.length - max);
  }

  /** Up to `count` newest entries (newest first). */
  newest(count: number): SlowEntry[] {
    this.trim();
    return this.entries.slice(Math.max(0, this.entries.length - count)).reverse();
  }

  get length(): number {
    this.trim();
    return this.entries.length;
  }

  reset(): void {
    this.entries = [];
  }
}
