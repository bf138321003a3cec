/**
 * One doorbell per thread: an Int32 in a SharedArrayBuffer shared by all
 * threads, each on its own cache line. A thread that published records for
 * a peer rings the peer's bell; the peer sleeps on it with
 * `Atomics.waitAsync` when its event loop has nothing else to do.
 *
 * A wake-up is a syscall, so it is paid only when the peer really sleeps:
 * the sleeper stores ARMED before its last look at its rings, a ringer
 * clears it with compare-and-swap before notifying. No wake-up is lost (a
 * record published after the last look finds the bell armed) and none is
 * sent twice (only one ringer wins the swap).
 */
const STRIDE = 16; // Int32 words: 64 bytes, one cache line per bell
const AWAKE = 0;
const ARMED = 1;

export function createBells(threads: number): SharedArrayBuffer {
  return new SharedArrayBuffer(threads * STRIDE * 4);
}

export class Doorbells {
  readonly words: Int32Array;

  constructor(sab: SharedArrayBuffer) {
    this.words = new Int32Array(sab);
  }

  /** Wakes thread `t` if it sleeps. */
  ring(t: number): void {
    const i = t * STRIDE;
    if (Atomics.load(this.words, i) === ARMED && Atomics.compareExchange(this.words, i, ARMED, AWAKE) === ARMED) {
      Atomics.notify(this.words, i);
    }
  }

  /** Thread `t` is about to sleep: it must look at its rings once more afterwards. */
  arm(t: number): void {
    Atomics.store(this.words, t * STRIDE, ARMED);
  }

  /** Thread `t` is busy: ringers need not notify it. */
  disarm(t: number): void {
    Atomics.store(this.words, t * STRIDE, AWAKE);
  }

  /**
   * Waits (without blocking the event loop) until thread `t`'s bell is rung;
   * null when it was rung already (the bell is not armed).
   */
  waitAsync(t: number): Promise<unknown> | null {
    const r = Atomics.waitAsync(this.words, t * STRIDE, ARMED);
    return r.async ? r.value : null;
  }
}
