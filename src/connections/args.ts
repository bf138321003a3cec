/** Command arguments as the parser hands them over (ArgView), and copies that outlive the parser's buffer. */
import type { CommandEntry } from './command-table.js';
import type { ArgView } from './connection.js';
import { copyBytes, sliceBytes } from '../util/bytes.js';

/** Argument i of a view (a view into its buffer). */
export function argAt(v: ArgView, i: number): Uint8Array {
  return v.argBuf.subarray(v.argOff[i], v.argOff[i] + v.argLen[i]);
}

/** Copies a command's arguments out of the parser's buffer (for work that outlives the call). */
export function copyArgs(p: ArgView): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < p.argc; i++) out.push(sliceBytes(p.argBuf, p.argOff[i], p.argLen[i]));
  return out;
}

/** A copy of a command's arguments in one buffer of its own. */
export function packView(p: ArgView): ArgView {
  let total = 0;
  for (let i = 0; i < p.argc; i++) total += p.argLen[i];
  const buf = new Uint8Array(total);
  const off = new Int32Array(p.argc);
  const len = new Int32Array(p.argc);
  let o = 0;
  for (let i = 0; i < p.argc; i++) {
    const n = p.argLen[i];
    copyBytes(buf, o, p.argBuf, p.argOff[i], n);
    off[i] = o;
    len[i] = n;
    o += n;
  }
  return { argBuf: buf, argOff: off, argLen: len, argc: p.argc };
}

/** The key positions of a command with a fixed key range (firstKey..lastKey by step). */
export function fixedKeys(e: CommandEntry, argc: number): number[] {
  const out: number[] = [];
  const m = e.meta;
  if (m.firstKey <= 0) return out;
  const last = m.lastKey < 0 ? argc + m.lastKey : Math.min(m.lastKey, argc - 1);
  for (let k = m.firstKey; k <= last; k += m.step > 0 ? m.step : 1) out.push(k);
  return out;
}

/** Whether argument i equals `lower` case-insensitively (`lower` is lower-case ASCII). */
export function argIs(p: ArgView, i: number, lower: string): boolean {
  if (p.argLen[i] !== lower.length) return false;
  for (let k = 0; k < lower.length; k++) {
    let ch = p.argBuf[p.argOff[i] + k];
    if (ch >= 65 && ch <= 90) ch += 32;
    if (ch !== lower.charCodeAt(k)) return false;
  }
  return true;
}
