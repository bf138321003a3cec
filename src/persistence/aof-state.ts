/**
 * What every thread and the AOF writer (the supervisor) share about the
 * append-only file, in shared memory:
 *
 *  - the effect sequence: every write's record takes the next number from
 *    one counter, so the writer can merge the threads' records in an order
 *    consistent with how they ran (docs/persistence.md, "AOF");
 *  - each thread's low mark: while a thread holds records it has not sent
 *    yet, a number no greater than the first of them (0n: it holds none),
 *    and the count of batches it has sent; from these the writer knows how
 *    far the file may go;
 *  - `synced`: every record numbered up to it is in the file (and on disk,
 *    with appendfsync always); threads holding replies wait on it;
 *  - the mode (appendonly and appendfsync), and the figures INFO shows.
 */

/** BigInt64 words. */
const enum B {
  Counter = 0,
  Synced = 1,
  /** Then per thread: its low mark. */
  Low = 2,
}

/** Int32 words, after the BigInt64 ones: the mode, statuses, then per thread the batches sent. */
const enum I {
  Mode = 0,
  LastWriteOk = 1,
  /** Why the last write failed: an index of WRITE_ERRORS. */
  WriteError = 5,
  RewriteScheduled = 3,
  LastRewriteOk = 4,
  Sent = 8,
}

/** Float64 figures, after the Int32 words. */
const enum F {
  CurrentSize = 0,
  BaseSize = 1,
  Rewrites = 2,
  LastRewriteSeconds = 3,
  RewriteStarted = 4,
  DelayedFsync = 5,
  ConsecutiveFailures = 6,
  /** The size after the last rewrite (or at start): auto-aof-rewrite-percentage measures growth from it. */
  RewriteBaseSize = 7,
  Words = 8,
}

/** Error codes a write to the AOF may fail with, and their strerror text. */
const WRITE_ERRORS: [string, string][] = [
  ['EIO', 'Input/output error'],
  ['ENOSPC', 'No space left on device'],
  ['EDQUOT', 'Disk quota exceeded'],
  ['EACCES', 'Permission denied'],
  ['EROFS', 'Read-only file system'],
  ['EFBIG', 'File too large'],
  ['EBADF', 'Bad file descriptor'],
];

/** appendonly and appendfsync in one word: off, or the fsync policy. */
export const enum AofMode {
  Off = 0,
  No = 1,
  Everysec = 2,
  Always = 3,
}

export function aofMode(appendonly: string, appendfsync: string): AofMode {
  if (appendonly !== 'yes') return AofMode.Off;
  return appendfsync === 'always' ? AofMode.Always : appendfsync === 'no' ? AofMode.No : AofMode.Everysec;
}

function layout(threads: number): { bigWords: number; intOff: number; intWords: number; floatOff: number; bytes: number } {
  const bigWords = B.Low + threads;
  const intOff = bigWords * 8;
  const intWords = I.Sent + threads;
  const floatOff = intOff + Math.ceil((intWords * 4) / 8) * 8;
  return { bigWords, intOff, intWords, floatOff, bytes: floatOff + F.Words * 8 };
}

export function createAofState(threads: number, mode: AofMode): SharedArrayBuffer {
  const buf = new SharedArrayBuffer(layout(threads).bytes);
  const s = new AofState(buf, threads);
  s.mode = mode;
  Atomics.store(s.ints, I.LastWriteOk, 1);
  Atomics.store(s.ints, I.LastRewriteOk, 1);
  s.floats[F.LastRewriteSeconds] = -1;
  s.floats[F.RewriteStarted] = -1;
  return buf;
}

export class AofState {
  readonly big: BigInt64Array;
  readonly ints: Int32Array;
  readonly floats: Float64Array;

  constructor(
    buf: SharedArrayBuffer,
    readonly threads: number,
  ) {
    const l = layout(threads);
    this.big = new BigInt64Array(buf, 0, l.bigWords);
    this.ints = new Int32Array(buf, l.intOff, l.intWords);
    this.floats = new Float64Array(buf, l.floatOff, F.Words);
  }

  get mode(): AofMode {
    return Atomics.load(this.ints, I.Mode) as AofMode;
  }

  set mode(m: AofMode) {
    Atomics.store(this.ints, I.Mode, m);
  }

  // ---- the effect sequence (threads) ---------------------------------------------------

  /** The number of the last record taken, by any thread. */
  counter(): bigint {
    return Atomics.load(this.big, B.Counter);
  }

  /**
   * The next record's number for `thread`. Before its first record of a
   * batch a thread sets its low mark below any number it can take (the
   * writer reads the counter first and the marks after, so it never counts
   * a number as settled that a thread is about to take).
   */
  take(thread: number, first: boolean): number {
    if (first) Atomics.store(this.big, B.Low + thread, Atomics.load(this.big, B.Counter) + 1n);
    return Number(Atomics.add(this.big, B.Counter, 1n) + 1n);
  }

  /**
   * A thread is about to post its batch: it holds no record now. Counted
   * before the post, so a writer that sees the low mark gone also sees a
   * batch it has not received, and waits for it.
   */
  sent(thread: number): void {
    Atomics.add(this.ints, I.Sent + thread, 1);
    Atomics.store(this.big, B.Low + thread, 0n);
  }

  // ---- what the writer reads and publishes -----------------------------------------------

  low(thread: number): bigint {
    return Atomics.load(this.big, B.Low + thread);
  }

  sentCount(thread: number): number {
    return Atomics.load(this.ints, I.Sent + thread);
  }

  get synced(): bigint {
    return Atomics.load(this.big, B.Synced);
  }

  /** Every record up to `n` is in the file (on disk, for appendfsync always): wakes the threads holding replies. */
  publishSynced(n: bigint): void {
    if (n <= Atomics.load(this.big, B.Synced)) return;
    Atomics.store(this.big, B.Synced, n);
    Atomics.notify(this.big, B.Synced);
  }

  /** Resolves once `synced` is at least `n`. */
  async waitSynced(n: bigint): Promise<void> {
    for (;;) {
      const now = Atomics.load(this.big, B.Synced);
      if (now >= n) return;
      const w = Atomics.waitAsync(this.big, B.Synced, now);
      if (w.async) await w.value;
    }
  }

  // ---- figures for INFO ------------------------------------------------------------------

  get lastWriteOk(): boolean {
    return Atomics.load(this.ints, I.LastWriteOk) !== 0;
  }

  set lastWriteOk(ok: boolean) {
    Atomics.store(this.ints, I.LastWriteOk, ok ? 1 : 0);
  }

  /** The last write error as strerror says it (Redis's MISCONF for the AOF quotes it). */
  get writeError(): string {
    return WRITE_ERRORS[Atomics.load(this.ints, I.WriteError)]?.[1] ?? 'Input/output error';
  }

  /** Records a failed write's error code (Node's err.code: ENOSPC ...). */
  setWriteError(code: string | undefined): void {
    const i = WRITE_ERRORS.findIndex(([c]) => c === code);
    Atomics.store(this.ints, I.WriteError, i < 0 ? 0 : i);
  }

  /** A rewrite starts (it holds SaveState's snapshot slot, which says whether one runs): its figures. */
  beginRewrite(now: number): void {
    this.floats[F.RewriteStarted] = now;
  }

  endRewrite(now: number, ok: boolean): void {
    const started = this.floats[F.RewriteStarted];
    this.floats[F.LastRewriteSeconds] = Math.round((now - started) / 1000);
    this.floats[F.RewriteStarted] = -1;
    if (ok) {
      this.floats[F.Rewrites]++;
      this.floats[F.ConsecutiveFailures] = 0;
    } else this.floats[F.ConsecutiveFailures]++;
    Atomics.store(this.ints, I.LastRewriteOk, ok ? 1 : 0);
  }

  get rewriteScheduled(): boolean {
    return Atomics.load(this.ints, I.RewriteScheduled) !== 0;
  }

  set rewriteScheduled(on: boolean) {
    Atomics.store(this.ints, I.RewriteScheduled, on ? 1 : 0);
  }

  get lastRewriteOk(): boolean {
    return Atomics.load(this.ints, I.LastRewriteOk) !== 0;
  }

  get rewriteStarted(): number {
    return this.floats[F.RewriteStarted];
  }

  get lastRewriteSeconds(): number {
    return this.floats[F.LastRewriteSeconds];
  }

  get rewrites(): number {
    return this.floats[F.Rewrites];
  }

  get consecutiveFailures(): number {
    return this.floats[F.ConsecutiveFailures];
  }

  get currentSize(): number {
    return this.floats[F.CurrentSize];
  }

  set currentSize(n: number) {
    this.floats[F.CurrentSize] = n;
  }

  get baseSize(): number {
    return this.floats[F.BaseSize];
  }

  set baseSize(n: number) {
    this.floats[F.BaseSize] = n;
  }

  get rewriteBaseSize(): number {
    return this.floats[F.RewriteBaseSize];
  }

  set rewriteBaseSize(n: number) {
    this.floats[F.RewriteBaseSize] = n;
  }

  get delayedFsync(): number {
    return this.floats[F.DelayedFsync];
  }

  addDelayedFsync(): void {
    this.floats[F.DelayedFsync]++;
  }
}
