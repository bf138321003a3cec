/**
 * MONITOR's line for a command, as Redis writes it:
 * `+<seconds>.<microseconds> [<db> <client>] "arg" "arg" ...` with each
 * argument quoted and escaped as Redis's sdscatrepr does, and the secrets
 * of AUTH, HELLO … AUTH and MIGRATE … AUTH/AUTH2 shown as "(redacted)".
 */
const HEX = '0123456789abcdef';

function quoted(a: Uint8Array, out: string[]): void {
  let s = '"';
  for (const b of a) {
    if (b === 0x5c) s += '\\\\';
    else if (b === 0x22) s += '\\"';
    else if (b === 0x0a) s += '\\n';
    else if (b === 0x0d) s += '\\r';
    else if (b === 0x09) s += '\\t';
    else if (b === 0x07) s += '\\a';
    else if (b === 0x08) s += '\\b';
    else if (b >= 0x20 && b <= 0x7e) s += String.fromCharCode(b);
    else s += `\\x${HEX[b >> 4]}${HEX[b & 15]}`;
  }
  out.push(`${s}"`);
}

const lower = (a: Uint8Array): string => Buffer.from(a.buffer, a.byteOffset, a.length).toString('latin1').toLowerCase();

/** Which arguments Redis hides (MONITOR and SLOWLOG): AUTH's, HELLO's after AUTH, MIGRATE's after AUTH / AUTH2. */
export function redacted(args: readonly Uint8Array[]): Set<number> {
  const hide = new Set<number>();
  const name = lower(args[0]);
  if (name === 'auth') for (let i = 1; i < args.length; i++) hide.add(i);
  else if (name === 'hello' || name === 'migrate') {
    for (let i = 1; i < args.length; i++) {
      const a = lower(args[i]);
      if (a === 'auth' && name === 'hello') {
        hide.add(i + 1);
        hide.add(i + 2);
        i += 2;
      } else if (a === 'auth' && name === 'migrate') hide.add(++i);
      else if (a === 'auth2' && name === 'migrate') {
        hide.add(i + 1);
        hide.add(i + 2);
        i += 2;
      }
    }
  }
  return hide;
}

export function monitorLine(db: number, client: string, args: readonly Uint8Array[]): Uint8Array {
  const us = Math.round((performance.timeOrigin + performance.now()) * 1000);
  const out = [`+${Math.floor(us / 1e6)}.${String(us % 1e6).padStart(6, '0')} [${db} ${client}]`];
  const hide = redacted(args);
  for (let i = 0; i < args.length; i++) {
    if (hide.has(i) && i < args.length) out.push('"(redacted)"');
    else quoted(args[i], out);
  }
  return Buffer.from(`${out.join(' ')}\r\n`, 'latin1');
}
