/**
 * A script as a thread keeps it: its body, prepared once for the engine,
 * and what its `#!lua` shebang says (Redis 7): `flags=no-writes` makes it
 * read-only, and a script with a shebang but without that flag may not run
 * through EVAL_RO/EVALSHA_RO. The shebang line is left out of the code and
 * its line kept, so errors name the lines Redis names.
 */
const SHEBANG_FLAGS = new Set(['no-writes', 'allow-oom', 'allow-stale', 'no-cluster', 'allow-cross-slot-keys']);

export interface Script {
  readonly sha: string;
  readonly body: Uint8Array;
  /** The code the engine runs: the body wrapped so that its first result is the reply (engine.ts). */
  readonly code: Buffer;
  /** A shebang was given: its flags decide, not the legacy rules. */
  readonly shebang: boolean;
  readonly noWrites: boolean;
  /** A shebang that cannot be used: the error every run answers. */
  readonly error: string | null;
}

/**
 * On the script's first line: a `redis` of the script's own whose setresp
 * also tells Shoal (a call the host recognizes), so the script's calls
 * reply in RESP3 after redis.setresp(3), as in Redis; then the body as a
 * function whose first result is the reply.
 */
export const RESP_SHADOW =
  "local __r = redis local redis = setmetatable({setresp = function(v) local n = tonumber(v) if n ~= 2 and n ~= 3 then error('ERR RESP version must be 2 or 3.', 0) end __r.setresp(n) __r.call('\\0setresp', n) end}, {__index = __r}) ";
const WRAP_HEAD = Buffer.from('return ((function(...) ');
// Only a script that names setresp gets the shadow: with it every run of a short script cost a quarter more (EVALSHA 41k → 31.5k req/s).
const WRAP_HEAD_RESP = Buffer.from(RESP_SHADOW + 'return ((function(...) ');
const WRAP_TAIL = Buffer.from('\nend)())');

export function prepareScript(sha: string, body: Uint8Array): Script {
  const b = Buffer.from(body.buffer, body.byteOffset, body.length);
  let code = b;
  let shebang = false;
  let noWrites = false;
  let error: string | null = null;
  if (b.length >= 2 && b[0] === 0x23 /* # */ && b[1] === 0x21 /* ! */) {
    shebang = true;
    const nl = b.indexOf(0x0a);
    const line = b.subarray(0, nl < 0 ? b.length : nl).toString('latin1');
    const parts = line.split(' ').filter((s) => s !== '');
    if (parts[0] !== '#!lua') error = `ERR Unexpected engine in script shebang: ${parts[0]}`;
    for (const part of parts.slice(1)) {
      if (error !== null) break;
      if (!part.startsWith('flags=')) {
        error = `ERR Unknown lua shebang option: ${part}`;
        break;
      }
      for (const flag of part.slice(6).split(',').filter((f) => f !== '')) {
        if (!SHEBANG_FLAGS.has(flag)) {
          error = `ERR Unexpected flag in script shebang: ${flag}`;
          break;
        }
        if (flag === 'no-writes') noWrites = true;
      }
    }
    // The shebang's line stays, empty: the code's lines keep their numbers.
    code = nl < 0 ? Buffer.alloc(0) : b.subarray(nl);
  }
  const head = b.includes('setresp') ? WRAP_HEAD_RESP : WRAP_HEAD;
  return { sha, body, code: Buffer.concat([head, code, WRAP_TAIL]), shebang, noWrites, error };
}
