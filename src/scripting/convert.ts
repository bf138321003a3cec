/**
 * Between RESP and Lua, as Redis converts: a command's reply becomes the
 * value redis.call returns in Lua (the engine maps these values to Lua
 * types: nil bulk → false, status → {ok=…}, error → {err=…} …), and the
 * script's result becomes the client's reply, in the client's protocol.
 * A script that stops on an error gets Redis 7's decoration:
 * `<error> script: <sha>, on @user_script:<line>.`
 */
import type { ReplyValue } from './engine.js';
import type { ReplyWriter } from '../protocol/reply-writer.js';

/** An error value as redis.call gives it to Lua: the code (ERR, WRONGTYPE …) apart from the message. */
export function luaError(text: string): ReplyValue {
  const m = /^([A-Z][A-Z0-9_]*) (.*)$/s.exec(text);
  if (m === null) return { err: Buffer.from(text) };
  return { err: Buffer.from(m[2]), code: Buffer.from(m[1]) };
}

/** One RESP reply (RESP2 or RESP3) as a Lua-bound value. */
export function respToLua(buf: Uint8Array): ReplyValue {
  let p = 0;
  const line = (): string => {
    const start = p;
    while (buf[p] !== 13) p++;
    const s = Buffer.from(buf.subarray(start, p)).toString('latin1');
    p += 2;
    return s;
  };
  const bulk = (n: number): Buffer => {
    const b = Buffer.from(buf.subarray(p, p + n));
    p += n + 2;
    return b;
  };
  const read = (): ReplyValue => {
    const t = buf[p++];
    switch (t) {
      case 43 /* + */:
        return { ok: Buffer.from(line(), 'latin1') };
      case 45 /* - */:
        return luaError(line());
      case 58 /* : */: {
        const s = line();
        const n = Number(s);
        return Number.isSafeInteger(n) ? n : BigInt(s);
      }
      case 36 /* $ */: {
        const n = Number(line());
        return n < 0 ? null : bulk(n);
      }
      case 42 /* * */:
      case 126 /* ~ */: {
        const n = Number(line());
        if (n < 0) return null;
        const items: ReplyValue[] = [];
        for (let i = 0; i < n; i++) items.push(read());
        return t === 126 ? { set: items } : items;
      }
      case 37 /* % */: {
        const n = Number(line());
        const map: [ReplyValue, ReplyValue][] = [];
        for (let i = 0; i < n; i++) map.push([read(), read()]);
        return { map };
      }
      case 44 /* , */:
        return { double: Number(line().replace('inf', 'Infinity')) };
      case 35 /* # */:
        return line() === 't';
      case 95 /* _ */:
        line();
        return null;
      case 40 /* ( */:
        return { big_number: Buffer.from(line(), 'latin1') };
      case 61 /* = */: {
        const v = bulk(Number(line()));
        return { verbatim_string: { format: v.subarray(0, 3), string: v.subarray(4) } };
      }
      default:
        throw new Error(`unexpected reply type ${String.fromCharCode(t)}`);
    }
  };
  return read();
}

/** The client's error text for a script that stopped on an error (engine metadata: line, sha, kind). */
export function scriptErrorText(e: { err: Buffer; code?: Buffer; meta?: { line?: number; sha?: string; kind?: string; name?: string } }, chunk = 'user_script'): string {
  const code = e.code?.toString('latin1');
  const meta = e.meta;
  let msg = e.err.toString('utf8');
  if (meta !== undefined) {
    const line = meta.line ?? 1;
    if (meta.kind === 'global-read') msg = `user_script:${line}: Script attempted to access nonexistent global variable '${meta.name ?? ''}'`;
    else if (meta.kind === 'command-arg-type') msg = 'Lua redis lib command arguments must be strings or integers';
    // The engine names every chunk user_script; a function's is user_function.
    if (chunk !== 'user_script') msg = msg.replace(/user_script:/g, `${chunk}:`);
    return `${code ?? 'ERR'} ${msg} script: ${meta.sha ?? ''}, on @${chunk}:${line}.`;
  }
  return code === undefined ? msg : `${code} ${msg}`;
}

/** Writes a script's result as the client's reply. */
export function writeLuaReply(v: ReplyValue, w: ReplyWriter, resp3: boolean, chunk = 'user_script'): void {
  w.resp3 = resp3;
  write(v, w, chunk);
}

function write(v: ReplyValue, w: ReplyWriter, chunk: string): void {
  if (v === null) return w.nullBulk();
  if (typeof v === 'number' || typeof v === 'bigint') return w.int(v);
  if (typeof v === 'boolean') {
    if (w.resp3) return w.bool(v);
    return v ? w.int(1) : w.nullBulk();
  }
  if (Buffer.isBuffer(v) || v instanceof Uint8Array) return w.bulk(v, 0, v.length);
  if (Array.isArray(v)) {
    w.array(v.length);
    for (const item of v) write(item, w, chunk);
    return;
  }
  if ('ok' in v) return w.simple(v.ok.toString('latin1'));
  if ('err' in v) {
    // A function, userdata … returned: Redis replies nil.
    if (v.meta === undefined && v.code?.toString() === 'ERR' && v.err.toString().startsWith('unsupported Lua return type')) return w.nullBulk();
    return w.error(scriptErrorText(v, chunk));
  }
  if ('double' in v) return w.double(v.double);
  if ('map' in v) {
    w.map(v.map.length);
    for (const [k, x] of v.map) {
      write(k, w, chunk);
      write(x, w, chunk);
    }
    return;
  }
  if ('set' in v) {
    w.set(v.set.length);
    for (const item of v.set) write(item, w, chunk);
    return;
  }
  if ('big_number' in v) {
    if (w.resp3) return w.raw(Buffer.from(`(${v.big_number.toString('latin1')}\r\n`, 'latin1'));
    return w.bulk(v.big_number, 0, v.big_number.length);
  }
  const s = v.verbatim_string;
  if (w.resp3) return w.verbatim(s.string.toString('utf8'), s.format.toString('latin1'));
  w.bulk(s.string, 0, s.string.length);
}
