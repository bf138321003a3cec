/**
 * Scripted differential sessions: a "twin" is one connection to the reference
 * redis-server and one to the server under test, driven in lock step. Each
 * command goes to both, and the two raw replies must be identical (or equal
 * under a comparator, for the few nondeterministic replies). Several twins
 * (one per simulated client) share a log, so a failure shows the commands of
 * every connection that led to it, in the order they ran.
 *
 * Optionally a step also states the reply Redis is expected to give: that
 * documents (and pins) what the oracle does in subtle cases such as whether a
 * write invalidates a WATCH.
 */
import { type Comparator, exact } from './differential.js';
import { type RawClient, RawClientTimeout, rawClient } from './raw-client.js';
import { spreadConnector } from './threads.js';
import { type Arg, type Reply, encodeReply, parseOne, printable, printableCommand, resp } from './resp.js';

export type { Comparator } from './differential.js';

export class TwinMismatch extends Error {}

/** Shoal's test servers run 4 threads. */
const spreadTarget = spreadConnector(4);

interface LogEntry {
  who: string;
  cmd: string;
  reply: string;
}

/** The shared history of a set of twins (for failure messages). */
export class TwinLog {
  readonly entries: LogEntry[] = [];
  constructor(readonly label: string) {}

  push(e: LogEntry): void {
    this.entries.push(e);
    if (this.entries.length > 400) this.entries.splice(0, 200);
  }

  tail(n = 15): string {
    return this.entries
      .slice(-n)
      .map((e) => `    [${e.who}] ${e.cmd} → ${e.reply}`)
      .join('\n');
  }
}

/**
 * Health of the servers under test, shared by every twin of a test file. When
 * the target stops answering (a hang in the server), waiting the full reply
 * timeout in every remaining test would take many minutes: after the first
 * timeout the target gets a short timeout, and after a few in a row (no reply
 * at all in between), steps fail at once.
 */
const health = { targetTimeouts: 0, consecutive: 0, firstTimeout: '' };
const TARGET_TIMEOUTS_BEFORE_FAIL_FAST = 3;
const SHORT_TIMEOUT_MS = 2000;

export interface StepOptions {
  /** How to compare the two replies (default: byte for byte). */
  cmp?: Comparator;
  /** The exact reply the reference must give (latin1 text of the raw bytes). */
  expect?: string | RegExp;
  /** Reply timeout in ms (default 5 s). */
  timeoutMs?: number;
}

export class Twin {
  private constructor(
    readonly ref: RawClient,
    readonly tgt: RawClient,
    readonly who: string,
    readonly log: TwinLog,
    readonly refName: string,
    readonly tgtName: string,
  ) {}

  /**
   * Opens a twin. The target's connections go round robin over its threads
   * (spreadConnector), so the clients of one scenario sit on different threads.
   */
  static async open(refPort: number, tgtPort: number, who: string, log: TwinLog, names: [string, string] = ['redis', 'shoal']): Promise<Twin> {
    const [a, b] = await Promise.all([rawClient(refPort), spreadTarget(tgtPort)]);
    return new Twin(a, b, who, log, names[0], names[1]);
  }

  /** Sends one command to both servers; returns the reference's raw reply. */
  async do(args: Arg[], opts: StepOptions = {}): Promise<Buffer> {
    const [r] = await this.pipeline([args], opts);
    return r!;
  }

  /** Same as do(), reply as latin1 text. */
  async text(args: Arg[], opts: StepOptions = {}): Promise<string> {
    return (await this.do(args, opts)).toString('latin1');
  }

  /**
   * Sends several commands in one write to each server (a pipeline) and
   * compares the replies one by one. Options apply to every command; use
   * `steps` for per-command options.
   */
  async pipeline(commands: Arg[][], opts: StepOptions = {}): Promise<Buffer[]> {
    return this.steps(commands.map((args) => ({ args, ...opts })));
  }

  async steps(steps: Array<{ args: Arg[] } & StepOptions>): Promise<Buffer[]> {
    const first = printableCommand(steps[0]!.args, 60);
    if (health.consecutive >= TARGET_TIMEOUTS_BEFORE_FAIL_FAST) {
      throw new TwinMismatch(`${this.log.label}: not run: ${this.tgtName} stopped answering (first time at ${health.firstTimeout})`);
    }
    const bytes = Buffer.concat(steps.map((s) => resp(...s.args)));
    const timeout = Math.max(...steps.map((s) => s.timeoutMs ?? 5_000));
    const tgtTimeout = health.targetTimeouts > 0 ? Math.min(timeout, SHORT_TIMEOUT_MS) : timeout;
    await Promise.all([this.ref.write(bytes), this.tgt.write(bytes)]);
    const [rr, tr] = await Promise.allSettled([this.ref.readReplies(steps.length, timeout), this.tgt.readReplies(steps.length, tgtTimeout)]);
    if (rr.status === 'rejected') {
      throw new TwinMismatch(`${this.log.label}: [${this.who}] ${this.refName} did not answer ${first}…: ${String(rr.reason)}\n${this.log.tail()}`);
    }
    if (tr.status === 'rejected') {
      if (tr.reason instanceof RawClientTimeout) {
        if (health.targetTimeouts++ === 0) health.firstTimeout = `${this.log.label}: [${this.who}] ${first}`;
        health.consecutive++;
      }
      throw new TwinMismatch(
        `${this.log.label}: [${this.who}] ${this.tgtName} did not answer ${first}… (${this.refName} did): ${String(tr.reason)}\n` +
          `  ${this.refName} replied: ${rr.value.map((b) => printable(b, 120)).join(' ')}\n` +
          `  preceding steps:\n${this.log.tail()}`,
      );
    }
    health.consecutive = 0;
    for (let i = 0; i < steps.length; i++) {
      const s = steps[i]!;
      const a = rr.value[i]!;
      const b = tr.value[i]!;
      const cmd = printableCommand(s.args, 60);
      const cmp = s.cmp ?? exact;
      if (!cmp(a, b)) {
        throw new TwinMismatch(
          `${this.log.label}: replies differ for [${this.who}] ${cmd}\n` +
            `  ${this.refName}: ${printable(a, 600)}\n` +
            `  ${this.tgtName}: ${printable(b, 600)}\n` +
            `  preceding steps (with ${this.refName}'s replies):\n${this.log.tail() || '    (none)'}`,
        );
      }
      if (s.expect !== undefined) {
        const t = a.toString('latin1');
        const ok = typeof s.expect === 'string' ? t === s.expect : s.expect.test(t);
        if (!ok) {
          throw new TwinMismatch(
            `${this.log.label}: [${this.who}] ${cmd}: ${this.refName} replied ${printable(a, 300)}, the test expected ${
              typeof s.expect === 'string' ? printable(s.expect) : String(s.expect)
            } (the test's assumption about Redis is wrong)\n${this.log.tail()}`,
          );
        }
      }
      this.log.push({ who: this.who, cmd, reply: printable(a, 100) });
    }
    return rr.value;
  }

  /** Sends a command to each server without comparing (HELLO, whose map names the server). */
  async each(args: Arg[]): Promise<[Buffer, Buffer]> {
    const bytes = resp(...args);
    await Promise.all([this.ref.write(bytes), this.tgt.write(bytes)]);
    const [a, b] = await Promise.all([this.ref.readReply(), this.tgt.readReply()]);
    this.log.push({ who: this.who, cmd: printableCommand(args, 60) + ' (not compared)', reply: printable(a, 60) });
    return [a, b];
  }

  destroy(): void {
    this.ref.destroy();
    this.tgt.destroy();
  }
}

function tryParse(b: Buffer): Reply | undefined {
  try {
    return parseOne(b);
  } catch {
    return undefined;
  }
}

/**
 * An array reply (EXEC's) compared element by element: the listed indices
 * with their own comparator, every other element byte for byte.
 */
export function arrayWith(perIndex: Record<number, Comparator>): Comparator {
  return (a, b) => {
    if (a.equals(b)) return true;
    const ra = tryParse(a);
    const rb = tryParse(b);
    if (ra?.type !== 'array' || rb?.type !== 'array' || !ra.value || !rb.value) return false;
    if (ra.value.length !== rb.value.length) return false;
    return ra.value.every((x, i) => (perIndex[i] ?? exact)(encodeReply(x), encodeReply(rb.value![i]!)));
  };
}

/** Both integers > 0 (a TTL that exists), or byte-identical. */
export const positiveInt: Comparator = (a, b) => {
  if (a.equals(b)) return true;
  const ra = tryParse(a);
  const rb = tryParse(b);
  return ra?.type === 'integer' && rb?.type === 'integer' && ra.value > 0n && rb.value > 0n;
};

/** Same RESP type byte (HELLO's map, whatever it holds). */
export const sameType: Comparator = (a, b) => a.length > 0 && a[0] === b[0];
