/**
 * What a server recorded in its AOF, for tests that compare Shoal's file
 * with redis-server's: the commands of every incr file of dir/appendonlydir
 * in order, names in upper case (a command that crossed shards is recorded
 * with the name its hop used), SELECT left out (where it falls is not the
 * point), and MULTI/EXEC too unless asked for.
 */
import fs from 'node:fs';
import path from 'node:path';
import { readAof } from '../../src/persistence/aof-reader.js';

export function incrCommands(dir: string, opts: { transactions?: boolean } = {}): string[][] {
  const d = path.join(dir, 'appendonlydir');
  const out: string[][] = [];
  for (const f of fs.readdirSync(d).filter((n) => n.includes('.incr.')).sort()) {
    readAof(fs.readFileSync(path.join(d, f)), (args) => {
      const a = args.map((b) => Buffer.from(b).toString('latin1'));
      const name = a[0]!.toUpperCase();
      if (name === 'SELECT' || (!opts.transactions && (name === 'MULTI' || name === 'EXEC'))) return;
      out.push([name, ...a.slice(1)]);
    });
  }
  return out;
}

/** incrCommands as lines of text. */
export function incrCommandLines(dir: string, opts: { transactions?: boolean } = {}): string[] {
  return incrCommands(dir, opts).map((c) => c.join(' '));
}
