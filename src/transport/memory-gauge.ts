/**
 * What the process's memory is, as maxmemory counts it, shared by every
 * thread: per thread its shard's arena bytes (written by the shard after
 * the commands that may grow it, and as it evicts) and its JS heap
 * (written by the thread's cron). Every shard reads the whole.
 */
const STRIDE = 3; // arena bytes, heap bytes, keys the policy may evict

export function createMemoryGauge(threads: number): SharedArrayBuffer {
  return new SharedArrayBuffer(threads * STRIDE * 8);
}

export class MemoryGauge {
  private readonly f: Float64Array;

  constructor(sab: SharedArrayBuffer) {
    this.f = new Float64Array(sab);
  }

  setArena(thread: number, bytes: number): void {
    this.f[thread * STRIDE] = bytes;
  }

  setHeap(thread: number, bytes: number): void {
    this.f[thread * STRIDE + 1] = bytes;
  }

  /** How many keys of its shard the policy may evict (every key, or those with a TTL). */
  setEvictable(thread: number, keys: number): void {
    this.f[thread * STRIDE + 2] = keys;
  }

  /** The process's memory as maxmemory counts it. */
  total(): number {
    let n = 0;
    for (let i = 0; i < this.f.length; i += STRIDE) n += this.f[i] + this.f[i + 1];
    return n;
  }

  /** Keys other shards may still evict. */
  evictableElsewhere(thread: number): number {
    let n = 0;
    for (let t = 0; t * STRIDE < this.f.length; t++) if (t !== thread) n += this.f[t * STRIDE + 2];
    return n;
  }
}
