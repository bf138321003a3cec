/**
 * What every thread knows of the scripts running anywhere (SCRIPT KILL,
 * FUNCTION KILL and BUSY replies): per thread, when its running script
 * started (0: none), whether it has written, and whether a kill was asked.
 * A script runs synchronously on its thread, so only other threads can
 * see it run long; the script itself notices a kill at its next call. A
 * script that holds every shard (one at a time) is also published in a
 * last slot: past the threshold every shard is busy, not only its thread's.
 */
const STRIDE = 4; // Float64 slots per thread: started, wrote, kill, (pad)

export function createScriptWatch(threads: number): SharedArrayBuffer {
  return new SharedArrayBuffer((threads + 1) * STRIDE * 8);
}

export class ScriptWatch {
  private readonly f: Float64Array;

  constructor(sab: SharedArrayBuffer) {
    this.f = new Float64Array(sab);
  }

  get threads(): number {
    return this.f.length / STRIDE - 1;
  }

  private get wideSlot(): number {
    return this.threads * STRIDE;
  }

  start(thread: number, now: number, wide: boolean): void {
    const b = thread * STRIDE;
    this.f[b + 1] = 0;
    this.f[b + 2] = 0;
    this.f[b] = now;
    if (wide) {
      this.f[this.wideSlot + 1] = thread + 1;
      this.f[this.wideSlot] = now;
    }
  }

  end(thread: number): void {
    this.f[thread * STRIDE] = 0;
    if (this.f[this.wideSlot + 1] === thread + 1) {
      this.f[this.wideSlot] = 0;
      this.f[this.wideSlot + 1] = 0;
    }
  }

  /** When the script holding every shard started (ms), or 0. */
  wideStartedAt(): number {
    return this.f[this.wideSlot];
  }

  wrote(thread: number): void {
    this.f[thread * STRIDE + 1] = 1;
  }

  /** When thread's script started (ms), or 0. */
  startedAt(thread: number): number {
    return this.f[thread * STRIDE];
  }

  hasWritten(thread: number): boolean {
    return this.f[thread * STRIDE + 1] !== 0;
  }

  kill(thread: number): void {
    this.f[thread * STRIDE + 2] = 1;
  }

  killed(thread: number): boolean {
    return this.f[thread * STRIDE + 2] !== 0;
  }
}
