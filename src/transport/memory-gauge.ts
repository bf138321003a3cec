/**
 * What the process's memory is, as maxmemory counts it, shared by every
 * thread: per thread its shard's arena bytes (written by the shard after
 * the commands that may grow it, and as it evicts) and its JS heap
 * (written by the thread's cron). Every shard reads the whole. Beside
 * them, what the thread's clients hold, for maxmemory-clients.
 */
const STRIDE = 5; // arena bytes, heap bytes, keys the policy may evict, client bytes, largest evictable client

/** After the threads' slots: the peak of the total, and the total once the server had started. */
const PEAK = 0;
const STARTUP = 1;

export function createMemoryGauge(threads: number): SharedArrayBuffer {
  return new SharedArrayBuffer((threads * STRIDE + 2) * 8);
}

export class MemoryGauge {
  private readonly f: Float64Array;

  private readonly slots: number;

  constructor(sab: SharedArrayBuffer) {
    this.f = new Float64Array(sab);
    this.slots = this.f.length - 2;
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

  /** What the thread's clients hold, and the largest one maxmemory-clients may evict (connections/client-eviction.ts). */
  setClients(thread: number, bytes: number, largestEvictable: number): void {
    this.f[thread * STRIDE + 3] = bytes;
    this.f[thread * STRIDE + 4] = largestEvictable;
  }

  /** What every other thread's clients hold, and the largest evictable client among them. */
  clientsElsewhere(thread: number): { bytes: number; largest: number } {
    let bytes = 0;
    let largest = 0;
    for (let t = 0; t * STRIDE < this.slots; t++) {
      if (t === thread) continue;
      bytes += this.f[t * STRIDE + 3];
      largest = Math.max(largest, this.f[t * STRIDE + 4]);
    }
    return { bytes, largest };
  }

  /** The process's memory as maxmemory counts it. */
  total(): number {
    let n = 0;
    for (let i = 0; i < this.slots; i += STRIDE) n += this.f[i] + this.f[i + 1];
    return n;
  }

  /** Keeps the highest total seen (each thread's cron; a lost race only delays the peak by one cron). */
  notePeak(): void {
    const t = this.total();
    if (t > this.f[this.slots + PEAK]) this.f[this.slots + PEAK] = t;
  }

  get peak(): number {
    return Math.max(this.f[this.slots + PEAK], this.total());
  }

  /** The total once the server started (MEMORY STATS startup.allocated), noted once. */
  noteStartup(): void {
    if (this.f[this.slots + STARTUP] === 0) this.f[this.slots + STARTUP] = this.total();
  }

  get startup(): number {
    return this.f[this.slots + STARTUP];
  }

  /** Keys other shards may still evict. */
  evictableElsewhere(thread: number): number {
    let n = 0;
    for (let t = 0; t * STRIDE < this.slots; t++) if (t !== thread) n += this.f[t * STRIDE + 2];
    return n;
  }
}
