/**
 * A tiny promise-based raw TCP client for protocol tests: send arbitrary
 * bytes, read raw reply bytes back (a number of bytes, a number of complete
 * RESP replies, until a quiet period, or until the server closes).
 *
 * All received bytes go into one growable buffer; reads consume from its
 * front. Nothing here interprets replies beyond finding their boundaries.
 */
import net from 'node:net';
import { type Arg, parseReply, printable, replyEnd, resp } from './resp.js';

export class RawClientTimeout extends Error {}

export class RawClient {
  private buf: Buffer = Buffer.allocUnsafe(64 * 1024);
  private start = 0;
  private end = 0;
  private closedFlag = false;
  private errorCode: string | undefined;
  private waiters: Array<() => void> = [];

  private constructor(readonly socket: net.Socket) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      this.append(chunk);
      this.wake();
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      // ECONNRESET / EPIPE after the server closed are expected in protocol tests.
      this.errorCode = err.code ?? err.message;
    });
    socket.on('close', () => {
      this.closedFlag = true;
      this.wake();
    });
  }

  static connect(port: number, host = '127.0.0.1', timeoutMs = 5000): Promise<RawClient> {
    return RawClient.open({ port, host }, `${host}:${port}`, timeoutMs);
  }

  /** Connects to a unix domain socket. */
  static connectUnix(path: string, timeoutMs = 5000): Promise<RawClient> {
    return RawClient.open({ path }, path, timeoutMs);
  }

  private static open(where: net.NetConnectOpts, label: string, timeoutMs: number): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(where);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new RawClientTimeout(`connect to ${label} timed out`));
      }, timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve(new RawClient(socket));
      });
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
  }

  /** True once the socket is closed (by either side, or reset). */
  get closed(): boolean {
    return this.closedFlag;
  }

  /** The socket error seen, if any (e.g. 'ECONNRESET', 'EPIPE'). */
  get error(): string | undefined {
    return this.errorCode;
  }

  /** Number of received bytes not consumed yet. */
  get buffered(): number {
    return this.end - this.start;
  }

  /** A copy of the received bytes not consumed yet (does not consume them). */
  peek(): Buffer {
    return Buffer.from(this.buf.subarray(this.start, this.end));
  }

  private append(chunk: Buffer): void {
    if (this.end + chunk.length > this.buf.length) {
      const live = this.end - this.start;
      if (live + chunk.length <= this.buf.length / 2) {
        this.buf.copy(this.buf, 0, this.start, this.end);
      } else {
        let cap = this.buf.length * 2;
        while (cap < live + chunk.length) cap *= 2;
        const nb = Buffer.allocUnsafe(cap);
        this.buf.copy(nb, 0, this.start, this.end);
        this.buf = nb;
      }
      this.start = 0;
      this.end = live;
    }
    chunk.copy(this.buf, this.end);
    this.end += chunk.length;
  }

  private take(n: number): Buffer {
    const out = Buffer.from(this.buf.subarray(this.start, this.start + n));
    this.start += n;
    if (this.start === this.end) this.start = this.end = 0;
    return out;
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Resolves on the next data/close event, or after `ms` (whichever first). */
  private nextEvent(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, Math.max(0, ms));
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.waiters.push(done);
    });
  }

  /**
   * Writes bytes; resolves true once handed to the kernel, false if the
   * socket is (or becomes) closed. Never rejects: a server closing the
   * connection mid-write is a legitimate outcome in protocol tests.
   */
  write(data: string | Uint8Array): Promise<boolean> {
    if (this.closedFlag || this.socket.destroyed) return Promise.resolve(false);
    return new Promise((resolve) => {
      this.socket.write(typeof data === 'string' ? Buffer.from(data, 'latin1') : data, (err) => resolve(!err));
    });
  }

  /** Writes each piece separately, yielding to the event loop (and optionally sleeping) in between. */
  async writePieces(pieces: readonly (string | Uint8Array)[], delayMs = 0): Promise<boolean> {
    for (const p of pieces) {
      if (!(await this.write(p))) return false;
      if (delayMs > 0) await sleep(delayMs);
      else await new Promise((r) => setImmediate(r));
    }
    return true;
  }

  /** Reads exactly n bytes (consumed). Throws on timeout or if the socket closes first. */
  async readBytes(n: number, timeoutMs = 5000): Promise<Buffer> {
    const deadline = Date.now() + timeoutMs;
    while (this.buffered < n) {
      if (this.closedFlag) throw new Error(`connection closed after ${this.buffered}/${n} bytes: ${printable(this.peek())}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new RawClientTimeout(`timed out waiting for ${n} bytes, have ${this.buffered}: ${printable(this.peek())}`);
      await this.nextEvent(left);
    }
    return this.take(n);
  }

  /** Reads one complete RESP reply and returns its raw bytes (consumed). */
  async readReply(timeoutMs = 5000): Promise<Buffer> {
    const [r] = await this.readReplies(1, timeoutMs);
    return r!;
  }

  /** Reads `count` complete RESP replies and returns the raw bytes of each (consumed). */
  async readReplies(count: number, timeoutMs = 5000): Promise<Buffer[]> {
    const out: Buffer[] = [];
    const deadline = Date.now() + timeoutMs;
    while (out.length < count) {
      // Find the end first: parsing (which copies every bulk) on each chunk
      // of a long reply would take time quadratic in its size.
      const e = replyEnd(this.buf, this.start, this.end);
      if (e >= 0) {
        parseReply(this.buf, this.start, e); // throws on a malformed reply
        out.push(this.take(e - this.start));
        continue;
      }
      if (this.closedFlag) {
        throw new Error(`connection closed after ${out.length}/${count} replies; unparsed: ${printable(this.peek())}`);
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new RawClientTimeout(`timed out after ${out.length}/${count} replies; unparsed: ${printable(this.peek())}`);
      }
      await this.nextEvent(left);
    }
    return out;
  }

  /** Concatenated raw bytes of `count` replies. */
  async readRepliesRaw(count: number, timeoutMs = 5000): Promise<Buffer> {
    return Buffer.concat(await this.readReplies(count, timeoutMs));
  }

  /**
   * Reads whatever arrives until the socket closes, or until at least
   * `minBytes` are buffered and no byte has arrived for `quietMs`, or until
   * `maxMs` has passed. Returns (and consumes) everything buffered.
   */
  async readUntilQuiet(opts: { quietMs?: number; maxMs?: number; minBytes?: number } = {}): Promise<Buffer> {
    const quietMs = opts.quietMs ?? 150;
    const deadline = Date.now() + (opts.maxMs ?? 5000);
    const minBytes = opts.minBytes ?? 0;
    let lastSize = -1;
    let lastChange = Date.now();
    for (;;) {
      if (this.closedFlag) break;
      const now = Date.now();
      if (this.buffered !== lastSize) {
        lastSize = this.buffered;
        lastChange = now;
      }
      if (now >= deadline) break;
      if (this.buffered >= minBytes && now - lastChange >= quietMs) break;
      const wait = this.buffered >= minBytes ? Math.min(quietMs - (now - lastChange), deadline - now) : deadline - now;
      await this.nextEvent(wait);
    }
    return this.take(this.buffered);
  }

  /** Reads until the server closes the connection; returns everything received (consumed). */
  async readUntilClose(timeoutMs = 5000): Promise<Buffer> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closedFlag) {
      const left = deadline - Date.now();
      if (left <= 0) throw new RawClientTimeout(`server did not close within ${timeoutMs} ms; have ${printable(this.peek())}`);
      await this.nextEvent(left);
    }
    return this.take(this.buffered);
  }

  /** Waits up to `timeoutMs` for the socket to close; returns whether it did. */
  async waitClosed(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closedFlag) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      await this.nextEvent(left);
    }
    return true;
  }

  /** Sends one command (RESP multibulk) and returns the raw bytes of its reply. */
  async call(...args: Arg[]): Promise<Buffer> {
    await this.write(resp(...args));
    return this.readReply();
  }

  /** Same as call() but returns the reply as a latin1 string (handy in assertions). */
  async callText(...args: Arg[]): Promise<string> {
    return (await this.call(...args)).toString('latin1');
  }

  /** Half-closes then waits briefly for the close; destroys the socket in any case. */
  async close(): Promise<void> {
    if (this.closedFlag) return;
    this.socket.end();
    await this.waitClosed(1000);
    this.socket.destroy();
  }

  destroy(): void {
    this.socket.destroy();
  }
}

export function rawClient(port: number, host = '127.0.0.1'): Promise<RawClient> {
  return RawClient.connect(port, host);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
