/**
 * The engine of the differential tests: send the same command sequence to a
 * reference server (redis-server) and a target (Shoal) over one raw
 * connection each, pipelined in chunks, and compare the replies byte for
 * byte, except for the commands that carry a comparator for their
 * nondeterministic replies (TTLs, KEYS order, RANDOMKEY ...).
 */
import { type Arg, type Reply, encodeReply, parseOne, printable, printableCommand, resp } from './resp.js';
import type { RawClient } from './raw-client.js';

/** Decides whether two raw replies are equivalent. */
export type Comparator = (ref: Buffer, target: Buffer) => boolean;

export interface DiffCommand {
  args: Arg[];
  /** Default: byte-exact comparison. */
  compare?: Comparator;
}

export const exact: Comparator = (a, b) => a.equals(b);

function tryParse(b: Buffer): Reply | undefined {
  try {
    return parseOne(b);
  } catch {
    return undefined;
  }
}

/**
 * Integer replies that are ≥ 0 may differ by at most `tol` (TTL, PTTL,
 * EXPIRETIME ...: the two servers cannot run a command at the same
 * millisecond); negative ones (-1, -2) and anything else must be exact.
 */
export function approxInt(tol: number): Comparator {
  const t = BigInt(tol);
  return (a, b) => {
    if (a.equals(b)) return true;
    const ra = tryParse(a);
    const rb = tryParse(b);
    if (ra?.type !== 'integer' || rb?.type !== 'integer') return false;
    if (ra.value < 0n || rb.value < 0n) return false;
    const d = ra.value - rb.value;
    return d <= t && d >= -t;
  };
}

/** The same elements in any order (KEYS, SMEMBERS ...); the aggregate type must match. */
export const unordered: Comparator = (a, b) => {
  if (a.equals(b)) return true;
  const ra = tryParse(a);
  const rb = tryParse(b);
  if (!ra || !rb || ra.type !== rb.type) return false;
  if ((ra.type !== 'array' && ra.type !== 'set') || (rb.type !== 'array' && rb.type !== 'set')) return false;
  if (!ra.value || !rb.value) return false;
  const sa = ra.value.map((x) => encodeReply(x)).sort(Buffer.compare);
  const sb = rb.value.map((x) => encodeReply(x)).sort(Buffer.compare);
  return sa.length === sb.length && sa.every((x, i) => x.equals(sb[i]!));
};

/** Same reply type and nullness only (RANDOMKEY: which key comes out is random). */
export const sameShape: Comparator = (a, b) => {
  if (a.equals(b)) return true;
  const ra = tryParse(a);
  const rb = tryParse(b);
  if (!ra || !rb || ra.type !== rb.type) return false;
  if (ra.type === 'bulk' && rb.type === 'bulk') return (ra.value === null) === (rb.value === null);
  return ra.type !== 'error';
};

/** Anything goes as long as neither is an error (HELLO, INFO ...). */
/**
 * OBJECT ENCODING where the key may be a list: Shoal gives Redis 7.2's list
 * encodings, so it says `listpack` for a small list where the 7.0 oracle
 * says `quicklist` (no setting of 7.2 gives 7.0's answer: even
 * list-max-listpack-size 0 keeps one-element lists listpacks). Anything
 * else must be the same bytes. test/integration/list-encodings.test.ts
 * checks the list encodings themselves against a model of 7.2's rules.
 */
export const listEncoding72: Comparator = (a, b) =>
  a.equals(b) || (a.toString('latin1') === '$9\r\nquicklist\r\n' && b.toString('latin1') === '$8\r\nlistpack\r\n');

export const bothNonError: Comparator = (a, b) => a[0] !== 0x2d && b[0] !== 0x2d && a[0] === b[0];

export class DiffMismatch extends Error {}

export interface RunOptions {
  reference: RawClient;
  target: RawClient;
  commands: readonly DiffCommand[];
  /** Commands per pipelined write (default 50). */
  chunk?: number;
  /** Shown in failure messages, e.g. "strings-keys RESP2 seed=42". */
  label: string;
  referenceName?: string;
  targetName?: string;
  /** How to re-run, shown in failure messages. */
  rerun?: string;
  /** Timeout for one chunk's replies (default 20 s). */
  chunkTimeoutMs?: number;
}

export interface RunResult {
  commands: number;
  /** Raw replies of the reference, for callers that want to inspect them. */
  referenceReplies: Buffer[];
}

/** Runs the sequence; throws DiffMismatch at the first difference. */
export async function runDifferential(o: RunOptions): Promise<RunResult> {
  const chunk = o.chunk ?? 50;
  const refName = o.referenceName ?? 'redis';
  const tgtName = o.targetName ?? 'shoal';
  const timeout = o.chunkTimeoutMs ?? 20_000;
  const refReplies: Buffer[] = [];

  for (let base = 0; base < o.commands.length; base += chunk) {
    const batch = o.commands.slice(base, base + chunk);
    const bytes = Buffer.concat(batch.map((c) => resp(...c.args)));
    const [okR, okT] = await Promise.all([o.reference.write(bytes), o.target.write(bytes)]);
    if (!okR) throw new DiffMismatch(`${o.label}: write to ${refName} failed at chunk starting #${base}`);
    if (!okT) throw new DiffMismatch(`${o.label}: write to ${tgtName} failed at chunk starting #${base} (connection closed?)`);

    const [rr, tr] = await Promise.allSettled([
      o.reference.readReplies(batch.length, timeout),
      o.target.readReplies(batch.length, timeout),
    ]);
    if (rr.status === 'rejected') {
      throw new DiffMismatch(`${o.label}: reading ${refName} replies for chunk #${base}: ${String(rr.reason)}`);
    }
    if (tr.status === 'rejected') {
      throw new DiffMismatch(
        `${o.label}: reading ${tgtName} replies for chunk #${base}..#${base + batch.length - 1} failed: ${String(tr.reason)}\n` +
          `  first command of the chunk: ${printableCommand(batch[0]!.args)}\n` +
          (o.rerun ? `  re-run: ${o.rerun}\n` : ''),
      );
    }
    for (let i = 0; i < batch.length; i++) {
      const a = rr.value[i]!;
      const b = tr.value[i]!;
      const cmp = batch[i]!.compare ?? exact;
      if (!cmp(a, b)) {
        const idx = base + i;
        const ctxFrom = Math.max(0, idx - Number(process.env.DIFF_CONTEXT ?? 8));
        const ctx: string[] = [];
        for (let j = ctxFrom; j < idx; j++) {
          const rep = j < base ? refReplies[j]! : rr.value[j - base]!;
          ctx.push(`    #${j} ${printableCommand(o.commands[j]!.args, 40)} → ${printable(rep, 80)}`);
        }
        throw new DiffMismatch(
          `${o.label}: replies differ at command #${idx} of ${o.commands.length}\n` +
            `  command: ${printableCommand(batch[i]!.args)}\n` +
            `  ${refName}: ${printable(a, 500)}\n` +
            `  ${tgtName}: ${printable(b, 500)}\n` +
            firstDifference(a, b, refName, tgtName) +
            `  preceding commands (with ${refName}'s replies):\n${ctx.join('\n') || '    (none)'}\n` +
            (o.rerun ? `  re-run: ${o.rerun}\n` : ''),
        );
      }
    }
    refReplies.push(...rr.value);
  }
  return { commands: o.commands.length, referenceReplies: refReplies };
}

/** Where two long replies first differ, with some bytes around it (empty when the heads already show it). */
function firstDifference(a: Buffer, b: Buffer, refName: string, tgtName: string): string {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  if (i < 400) return '';
  const from = Math.max(0, i - 60);
  return (
    `  first difference at byte ${i}:\n` +
    `    ${refName}: …${printable(a.subarray(from, i + 60), 200)}\n` +
    `    ${tgtName}: …${printable(b.subarray(from, i + 60), 200)}\n`
  );
}
