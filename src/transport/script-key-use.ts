/**
 * What Shoal has learned of each script's keys, shared by every thread.
 * Redis lets a script touch keys it did not declare; Shoal runs a script
 * on the shard of its declared keys without stopping the others only when
 * it knows the script keeps to them. A script is first run holding every
 * shard (as scripts with keys on several shards always are), and marked
 * DeclaredOnly if that run touched only its declared keys, Undeclared as
 * soon as any run touches another key (then it always holds every shard).
 *
 * One byte per script, at an index taken from its SHA1 (a function: a
 * hash of its name). Two scripts sharing an index share a mark; Undeclared
 * wins, so a clash costs speed, and only a script that first touches an
 * undeclared key of another shard after writing, in a later run, still
 * meets the refusal (docs/scripting.md).
 */
export const enum KeyUse {
  Unknown = 0,
  DeclaredOnly = 1,
  Undeclared = 2,
}

const INDEX_BITS = 20;

export function createScriptKeyUse(): SharedArrayBuffer {
  return new SharedArrayBuffer(1 << INDEX_BITS);
}

function indexOf(name: string): number {
  if (name.length === 40) {
    const n = parseInt(name.slice(0, 5), 16);
    if (!Number.isNaN(n)) return n;
  }
  // FNV-1a over the name (function names).
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return h >>> (32 - INDEX_BITS);
}

export class ScriptKeyUse {
  private readonly marks: Uint8Array;

  constructor(sab: SharedArrayBuffer) {
    this.marks = new Uint8Array(sab);
  }

  get(name: string): KeyUse {
    return Atomics.load(this.marks, indexOf(name)) as KeyUse;
  }

  /** A run of `name` touched only declared keys (Undeclared stays), or touched another key. */
  learn(name: string, use: KeyUse.DeclaredOnly | KeyUse.Undeclared): void {
    const i = indexOf(name);
    if (use === KeyUse.Undeclared) Atomics.store(this.marks, i, KeyUse.Undeclared);
    else Atomics.compareExchange(this.marks, i, KeyUse.Unknown, KeyUse.DeclaredOnly);
  }
}
