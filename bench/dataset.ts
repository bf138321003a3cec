/**
 * Loading a benchmark dataset through a raw pipelined socket (bench/memory.ts,
 * bench/persistence.ts). --shape picks the data:
 *   strings  N keys: SET key:%010d <value-size bytes> (an element = a key)
 *   hash     one hash of N fields: HSET bighash field:%010d <value>
 *   zset     one sorted set of N members: ZADD bigzset <i> member:%010d
 *   hashes   N/10 hashes of 10 fields: HSET hash:%08d f0 <value> ... f9 <value>
 */
import type { RawClient } from '../test/helpers/raw-client.js';

function valueFor(i: number, size: number): string {
  const head = `v${i.toString(36)}:`;
  return (head + 'x'.repeat(Math.max(0, size - head.length))).slice(0, size);
}

export const SHAPES = ['strings', 'hash', 'zset', 'hashes'] as const;
export type Shape = (typeof SHAPES)[number];

/** The command that loads element i (for hashes: the 10 fields of hash i/10, sent when i % 10 === 0). */
function commandFor(shape: Shape, i: number, valueSize: number): string | null {
  const bulk = (x: string) => `$${x.length}\r\n${x}\r\n`;
  const cmd = (...xs: string[]) => `*${xs.length}\r\n${xs.map(bulk).join('')}`;
  const id = i.toString().padStart(10, '0');
  switch (shape) {
    case 'strings':
      return cmd('SET', `key:${id}`, valueFor(i, valueSize));
    case 'hash':
      return cmd('HSET', 'bighash', `field:${id}`, valueFor(i, valueSize));
    case 'zset':
      return cmd('ZADD', 'bigzset', String(i), `member:${id}`);
    case 'hashes': {
      if (i % 10 !== 0) return null;
      const fv: string[] = [];
      for (let f = 0; f < 10; f++) fv.push(`f${f}`, valueFor(i + f, valueSize));
      return cmd('HSET', `hash:${(i / 10).toString().padStart(8, '0')}`, ...fv);
    }
  }
}

/** Loads elements [0, n) pipelined in chunks; checks that no reply is an error. */
export async function load(client: RawClient, shape: Shape, n: number, valueSize: number, chunk: number): Promise<number> {
  const started = Date.now();
  let sent = 0;
  let acked = 0;
  const ack = async (count: number) => {
    const replies = await client.readReplies(count, 120_000);
    for (const r of replies) if (r[0] === 0x2d) throw new Error(`error after ${acked} commands: ${r.toString('latin1').slice(0, 120)}`);
    acked += count;
  };
  for (let base = 0; base < n; base += chunk) {
    let s = '';
    let m = 0;
    for (let i = base; i < Math.min(n, base + chunk); i++) {
      const c = commandFor(shape, i, valueSize);
      if (c === null) continue;
      s += c;
      m++;
    }
    if (!(await client.write(s))) throw new Error('connection closed during load');
    sent += m;
    // Keep at most two chunks in flight.
    if (sent - acked > 2 * chunk) await ack(Math.min(chunk, sent - acked));
  }
  while (acked < sent) await ack(Math.min(chunk, sent - acked));
  return Date.now() - started;
}

