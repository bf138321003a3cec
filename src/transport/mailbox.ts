/**
 * A blocking request to another thread, for a script whose keys span
 * shards: its coordinator holds every shard (one keyspace-wide lock, so one
 * such script at a time runs anywhere) and runs the script synchronously,
 * so a redis.call on another shard's key cannot wait for the rings' turns.
 * It writes the call into the owning thread's box, rings that thread's
 * doorbell and blocks (Atomics.wait) until the answer is in the box; the
 * owner serves its box at the start of every turn, and looks at it again
 * before it sleeps.
 *
 * A box per thread: [state, length] then the bytes. State 0 empty,
 * 1 a request waits, 2 the answer is there.
 */
import type { Doorbells } from './doorbell.js';

const HEADER = 8;
/** Room for one call or answer (a value bigger than this cannot cross in a script). */
export const MAILBOX_BYTES = 4 * 1024 * 1024;

const enum State {
  Empty = 0,
  Request = 1,
  Answer = 2,
}

export function createMailboxes(threads: number): SharedArrayBuffer {
  return new SharedArrayBuffer(threads * (HEADER + MAILBOX_BYTES));
}

export class Mailboxes {
  private readonly words: Int32Array[] = [];
  private readonly bytes: Uint8Array[] = [];

  constructor(
    sab: SharedArrayBuffer,
    threads: number,
    private readonly index: number,
    private readonly bells: Doorbells,
  ) {
    for (let t = 0; t < threads; t++) {
      const base = t * (HEADER + MAILBOX_BYTES);
      this.words.push(new Int32Array(sab, base, 2));
      this.bytes.push(new Uint8Array(sab, base + HEADER, MAILBOX_BYTES));
    }
  }

  /** Sends `payload` to thread `to` and blocks this thread until it answers; the answer's bytes (a copy). */
  call(to: number, payload: Uint8Array): Uint8Array {
    if (payload.length > MAILBOX_BYTES) throw new Error(`a script's call of ${payload.length} bytes is larger than the ${MAILBOX_BYTES} a call between threads may carry`);
    const w = this.words[to];
    this.bytes[to].set(payload, 0);
    w[1] = payload.length;
    Atomics.store(w, 0, State.Request);
    this.bells.ring(to);
    while (Atomics.load(w, 0) === State.Request) Atomics.wait(w, 0, State.Request, 100);
    const answer = this.bytes[to].slice(0, w[1]);
    Atomics.store(w, 0, State.Empty);
    return answer;
  }

  /** Whether a request waits in this thread's box. */
  get waiting(): boolean {
    return Atomics.load(this.words[this.index], 0) === State.Request;
  }

  /** Answers the request waiting in this thread's box, if there is one. */
  serve(handler: (payload: Uint8Array) => Uint8Array): void {
    const w = this.words[this.index];
    if (Atomics.load(w, 0) !== State.Request) return;
    let answer = handler(this.bytes[this.index].subarray(0, w[1]));
    if (answer.length > MAILBOX_BYTES) answer = new TextEncoder().encode(`-ERR a reply of ${answer.length} bytes is larger than a call between threads may carry\r\n`);
    this.bytes[this.index].set(answer, 0);
    w[1] = answer.length;
    Atomics.store(w, 0, State.Answer);
    Atomics.notify(w, 0);
  }
}
