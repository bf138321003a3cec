/**
 * Spare large byte buffers of one thread (module state is per worker
 * thread), shared by the query buffers of its connections' parsers and the
 * output buffers of their replies.
 *
 * A client that sends or fetches large values needs a large buffer for
 * every command. Allocating one each time zero-fills it and, worse, counts
 * as external memory to V8, whose churn sets off a full garbage collection
 * every few dozen megabytes (bench/threads.ts with --data-size 65536 spent a
 * third of its CPU in them). Buffers go back here when done with: a query
 * buffer once its command is parsed, an output buffer once the socket has
 * written it, a reply that waited for earlier ones once it is written. The pool is bounded in bytes, and emptied once no one takes
 * from it for a while, so an idle server holds nothing.
 */

/** Buffers smaller than this are cheap to allocate and are not kept. */
export const POOLED_MIN = 16 * 1024;
const POOLED_MAX = 4 * 1024 * 1024;
/** Bytes the pool may hold: enough for a few dozen clients' large replies in flight at once. */
const POOL_BYTES = 32 * 1024 * 1024;

const spare: Uint8Array[] = [];
let spareBytes = 0;
/** Whether a buffer was taken since the last trim. */
let used = false;

/** A buffer of at least `size` bytes, not zero-filled: the caller reads only what it writes. */
export function takeBuffer(size: number): Uint8Array {
  if (size < POOLED_MIN) return new Uint8Array(size);
  used = true;
  for (let i = spare.length - 1; i >= 0; i--) {
    const b = spare[i];
    // Not much bigger than asked: a small request must not pin a huge buffer.
    if (b.length >= size && b.length <= size * 4) {
      spare[i] = spare[spare.length - 1];
      spare.pop();
      spareBytes -= b.length;
      return b;
    }
  }
  return Buffer.allocUnsafeSlow(size);
}

/** Gives back a buffer no one uses any more (small and huge ones are left to the collector). */
export function giveBuffer(b: Uint8Array): void {
  if (b.length < POOLED_MIN || b.length > POOLED_MAX || spareBytes + b.length > POOL_BYTES) return;
  spare.push(b);
  spareBytes += b.length;
}

/** Called now and then (the thread's cron): a pool no one took from since the last call is emptied. */
export function trimBuffers(): void {
  if (!used) {
    spare.length = 0;
    spareBytes = 0;
  }
  used = false;
}
