/**
 * What every thread knows about snapshots, in shared memory: whether one is
 * running (one at a time for the whole server, taken by compare-and-swap),
 * when the last one ended and how, and each shard's count of writes (Redis's
 * `dirty`), from which save points and INFO persistence count the changes
 * since the last save. Each shard writes only its own counter.
 */

/** Int32 words. */
const enum I {
  Running = 0,
  /** BGSAVE SCHEDULE asked while a save ran. */
  Scheduled = 1,
  /** Keys loaded from the dump at start, and keys skipped there as expired (every thread adds its own). */
  Loaded = 2,
  LoadExpired = 3,
  /** Threads still loading the dump at start: while any is, commands get LOADING. */
  Loading = 4,
  /**
   * Nonzero while commands may be refused (Gate bits): the one word every
   * command reads, so the common case costs a single load.
   */
  Gate = 5,
  Words = 8,
}

/** Bits of the Gate word. */
const enum Gate {
  Loading = 1,
  SaveFailed = 2,
  /** The AOF writer cannot write: writes get MISCONF until it can (aof-state.ts says why). */
  AofFailed = 4,
}

/** Float64 slots, after the Int32 words. */
const enum F {
  LastSave = 0,
  LastOk = 1,
  DirtyAtSave = 2,
  LastDuration = 3,
  StartedAt = 4,
  LastAttempt = 5,
  Saves = 6,
  LastCow = 7,
  LoadStart = 8,
  LoadTotal = 9,
  /** Then per shard: changes made (its `dirty`); then per thread: dump bytes read. */
  Shards = 10,
}

/** `aof`: the AOF's commands are played after every thread has loaded its base (one more step before loading ends). */
export function createSaveState(threads: number, aof = false): SharedArrayBuffer {
  const buf = new SharedArrayBuffer(I.Words * 4 + (F.Shards + 2 * threads) * 8);
  // Every thread counts as loading until it has looked for the dump.
  const words = new Int32Array(buf, 0, I.Words);
  words[I.Loading] = threads + (aof ? 1 : 0);
  words[I.Gate] = Gate.Loading;
  const f = new Float64Array(buf, I.Words * 4);
  f[F.LastSave] = Math.floor(Date.now() / 1000);
  f[F.LastOk] = 1;
  f[F.LastDuration] = -1;
  return buf;
}

export class SaveState {
  private readonly i: Int32Array;
  private readonly f: Float64Array;

  constructor(
    buf: SharedArrayBuffer,
    private readonly threads: number,
  ) {
    this.i = new Int32Array(buf, 0, I.Words);
    this.f = new Float64Array(buf, I.Words * 4);
  }

  /** Claims the one running snapshot; false when one already runs (a BGSAVE, or an AOF rewrite: both walk the shards). */
  begin(now: number): boolean {
    if (Atomics.compareExchange(this.i, I.Running, 0, 1) !== 0) return false;
    this.f[F.StartedAt] = now;
    return true;
  }

  /** Ends the running snapshot: `dirty` is the change count it captured (changes after it still count). */
  /** `counted`: whether INFO's rdb_saves counts it (FLUSHALL's save is not counted, as in Redis). */
  end(now: number, ok: boolean, dirty: number, cowBytes = 0, counted = true): void {
    const f = this.f;
    f[F.LastCow] = cowBytes;
    f[F.LastOk] = ok ? 1 : 0;
    if (ok) Atomics.and(this.i, I.Gate, ~Gate.SaveFailed);
    else Atomics.or(this.i, I.Gate, Gate.SaveFailed);
    f[F.LastAttempt] = Math.floor(now / 1000);
    f[F.LastDuration] = Math.round((now - f[F.StartedAt]) / 1000);
    if (ok) {
      f[F.LastSave] = Math.floor(now / 1000);
      f[F.DirtyAtSave] = dirty;
      if (counted) f[F.Saves]++;
    }
    Atomics.store(this.i, I.Running, 0);
  }

  /** Whether a snapshot for the dump (SAVE, BGSAVE) runs. */
  get running(): boolean {
    return Atomics.load(this.i, I.Running) === 1;
  }

  /** Whether an AOF rewrite has the one snapshot. */
  get rewriting(): boolean {
    return Atomics.load(this.i, I.Running) === 2;
  }

  /** Claims the one snapshot for an AOF rewrite (its state and figures are the AOF's: aof-state.ts); false when one runs. */
  beginRewrite(): boolean {
    return Atomics.compareExchange(this.i, I.Running, 0, 2) === 0;
  }

  endRewrite(): void {
    Atomics.store(this.i, I.Running, 0);
  }

  /** When the running snapshot started (ms). */
  get startedAt(): number {
    return this.f[F.StartedAt];
  }

  /** BGSAVE SCHEDULE: run one when the current one ends. */
  schedule(): void {
    Atomics.store(this.i, I.Scheduled, 1);
  }

  /** Takes a pending BGSAVE SCHEDULE. */
  takeScheduled(): boolean {
    return Atomics.exchange(this.i, I.Scheduled, 0) === 1;
  }

  get lastSave(): number {
    return this.f[F.LastSave];
  }

  get lastOk(): boolean {
    return this.f[F.LastOk] === 1;
  }

  /** Seconds the last snapshot took, -1 before the first. */
  get lastDuration(): number {
    return this.f[F.LastDuration];
  }

  /** Unix time of the last attempt, ok or not (0 before the first). */
  get lastAttempt(): number {
    return this.f[F.LastAttempt];
  }

  /** Bytes the shards wrote ahead of their walk in the last BGSAVE (what fork's copy-on-write would copy). */
  get lastCow(): number {
    return this.f[F.LastCow];
  }

  /** Snapshots written since start. */
  get saves(): number {
    return this.f[F.Saves];
  }

  /** A thread loaded `keys` keys from the dump and skipped `expired` expired ones. */
  addLoaded(keys: number, expired: number): void {
    Atomics.add(this.i, I.Loaded, keys);
    Atomics.add(this.i, I.LoadExpired, expired);
  }

  /** Whether the AOF writer's last write failed (set by the supervisor). */
  get aofFailed(): boolean {
    return (Atomics.load(this.i, I.Gate) & Gate.AofFailed) !== 0;
  }

  set aofFailed(on: boolean) {
    if (on) Atomics.or(this.i, I.Gate, Gate.AofFailed);
    else Atomics.and(this.i, I.Gate, ~Gate.AofFailed);
  }

  get loadedKeys(): number {
    return Atomics.load(this.i, I.Loaded);
  }

  get loadExpired(): number {
    return Atomics.load(this.i, I.LoadExpired);
  }

  /** False in the common case: nothing is loading and the last save worked (then `loading` and `lastOk` need no look). */
  get mayRefuse(): boolean {
    return Atomics.load(this.i, I.Gate) !== 0;
  }

  /** Whether some thread still loads the dump (commands get LOADING). */
  get loading(): boolean {
    return Atomics.load(this.i, I.Loading) > 0;
  }

  /** Steps of loading not done yet (threads loading the dump, and the AOF's commands). */
  get loadingSteps(): number {
    return Atomics.load(this.i, I.Loading);
  }

  /** A thread starts loading a dump of `bytes` bytes at `now` (ms). */
  loadStarted(now: number, bytes: number): void {
    this.f[F.LoadStart] = now;
    this.f[F.LoadTotal] = bytes;
  }

  /** Thread `thread` has read `bytes` of the dump. */
  loadProgress(thread: number, bytes: number): void {
    this.f[F.Shards + this.threads + thread] = bytes;
  }

  /** A thread is done loading (or found no dump). */
  loadDone(): void {
    if (Atomics.sub(this.i, I.Loading, 1) === 1) Atomics.and(this.i, I.Gate, ~Gate.Loading);
  }

  /** Loading progress for INFO: start (ms), total bytes, and bytes read by the slowest thread. */
  get load(): { start: number; total: number; loaded: number } {
    let loaded = Infinity;
    for (let t = 0; t < this.threads; t++) loaded = Math.min(loaded, this.f[F.Shards + this.threads + t]);
    return { start: this.f[F.LoadStart], total: this.f[F.LoadTotal], loaded: this.threads === 0 ? 0 : loaded };
  }

  /** Shard `shard` made `n` more changes. */
  addDirty(shard: number, n: number): void {
    this.f[F.Shards + shard] += n;
  }

  /** Every change made since the server started (sum of the shards' counters). */
  get dirty(): number {
    let n = 0;
    for (let s = 0; s < this.threads; s++) n += this.f[F.Shards + s];
    return n;
  }

  get changesSinceSave(): number {
    return Math.max(0, this.dirty - this.f[F.DirtyAtSave]);
  }

  /** FLUSHALL resets the save state as Redis does: the dataset it leaves is what a save would hold. */
  resetDirty(): void {
    this.f[F.DirtyAtSave] = this.dirty;
  }
}
