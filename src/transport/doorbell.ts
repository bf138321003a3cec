/**
 * The front thread's doorbell: one Int32 in a SharedArrayBuffer that every
 * shard rings after publishing replies. The front only sleeps on it when it
 * has nothing else to do, and a shard only pays for `Atomics.notify` (a
 * syscall) when the front actually sleeps: the front sets SLEEPING before it
 * waits, a shard clears it with compare-and-swap before notifying, so no
 * wake-up is lost and none is sent twice.
 */
const SLEEPING = 0;

export class Doorbell {
  readonly ctl: Int32Array;
  constructor(readonly sab: SharedArrayBuffer = new SharedArrayBuffer(64)) {
    this.ctl = new Int32Array(sab);
  }

  /** Shard side: wake the front if it sleeps. */
  ring(): void {
    if (Atomics.load(this.ctl, SLEEPING) === 1 && Atomics.compareExchange(this.ctl, SLEEPING, 1, 0) === 1) {
      Atomics.notify(this.ctl, SLEEPING);
    }
  }

  /** Front side: announce the intent to sleep; the caller must re-check its rings afterwards. */
  arm(): void {
    Atomics.store(this.ctl, SLEEPING, 1);
  }

  disarm(): void {
    Atomics.store(this.ctl, SLEEPING, 0);
  }

  /** Front side: a promise resolved when a shard rings (or at once if one already did). */
  waitAsync(): Promise<unknown> | null {
    const r = Atomics.waitAsync(this.ctl, SLEEPING, 1);
    return r.async ? r.value : null;
  }
}
