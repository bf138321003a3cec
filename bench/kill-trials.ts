/**
 * Kill -9 trials: what a crash keeps of acknowledged writes. Each trial
 * starts Shoal on a fresh directory, has writer clients SET numbered keys
 * (w<c>:<i>, spread over every shard) as fast as acknowledgements come back,
 * while a saver repeats SAVE; at a random moment Shoal gets SIGKILL. It is
 * then restarted on the same directory, and every key a writer had
 * acknowledged before the last SAVE that answered OK must be there; no key
 * a writer never sent may be. (The promise checked is the snapshot's: with
 * AOF the same harness will check appendfsync's.)
 *
 *   npm run build && node dist/bench/kill-trials.js [--trials 50] [--threads 4] [--writers 4] [--max-ms 1500]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type RawClient, rawClient, sleep } from '../test/helpers/raw-client.js';
import { freePort, repoRoot } from '../test/helpers/servers.js';
import { fmtInt, intFlag, parseFlags } from './lib.js';

function start(port: number, dir: string, threads: number): ChildProcess {
  const main = path.join(repoRoot(), 'dist', 'src', 'main.js');
  return spawn(process.execPath, [main, '--port', String(port), '--threads', String(threads), '--dir', dir, '--save', '', '--loglevel', 'warning'], { stdio: 'ignore' });
}

async function connect(port: number): Promise<RawClient> {
  for (let i = 0; i < 400; i++) {
    try {
      const c = await rawClient(port);
      if ((await c.callText('PING')) === '+PONG\r\n') return c;
      c.destroy();
    } catch {
      /* not up yet */
    }
    await sleep(25);
  }
  throw new Error(`Shoal did not answer on port ${port}`);
}

async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2), { trials: '50', threads: '4', writers: '4', 'max-ms': '1500' });
  const trials = intFlag(flags, 'trials');
  const threads = intFlag(flags, 'threads');
  const writers = intFlag(flags, 'writers');
  const maxMs = intFlag(flags, 'max-ms');
  // freePort's probe server is unref'd: something must keep this script's event loop alive.
  const keepAlive = setInterval(() => {}, 1000);
  let checked = 0;
  let missing = 0;
  let phantom = 0;
  let saves = 0;
  for (let t = 1; t <= trials; t++) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shoal-kill-'));
    const port = await freePort();
    const server = start(port, dir, threads);
    const acked = new Array<number>(writers).fill(0);
    let durable = new Array<number>(writers).fill(0);
    let running = true;
    // Every client is connected before the clock for the kill starts.
    const clients: RawClient[] = [];
    for (let k = 0; k <= writers; k++) clients.push(await connect(port));
    const loops = Array.from({ length: writers }, async (_, w) => {
      const c = clients[w];
      for (let i = 1; running; i++) {
        const key = `w${w}:${i}`;
        const ok = await c.callText('SET', key, String(i)).catch(() => '');
        if (ok !== '+OK\r\n') return;
        acked[w] = i;
      }
    });
    const saver = (async () => {
      const c = clients[writers];
      while (running) {
        const before = [...acked];
        const ok = await c.callText('SAVE').catch(() => '');
        if (ok !== '+OK\r\n') return;
        durable = before;
        saves++;
      }
    })();
    await sleep(200 + Math.floor(Math.random() * (maxMs - 200)));
    server.kill('SIGKILL');
    running = false;
    await Promise.all([...loops, saver]);
    for (const c of clients) c.destroy();
    await new Promise((r) => (server.exitCode !== null || server.signalCode !== null ? r(null) : server.once('exit', r)));

    const again = start(port, dir, threads);
    try {
      const c = await connect(port);
      for (let w = 0; w < writers; w++) {
        for (let i = 1; i <= durable[w]; i += 500) {
          const keys = Array.from({ length: Math.min(500, durable[w] - i + 1) }, (_, k) => `w${w}:${i + k}`);
          const n = Number((await c.callText('EXISTS', ...keys)).slice(1));
          checked += keys.length;
          missing += keys.length - n;
        }
        // A key no writer sent (one past the last acknowledged, plus one: the next may have been in flight).
        phantom += Number((await c.callText('EXISTS', `w${w}:${acked[w] + 2}`)).slice(1));
      }
      c.destroy();
    } finally {
      again.kill('SIGKILL');
      fs.rmSync(dir, { recursive: true, force: true });
    }
    console.log(`trial ${t}: durable ${durable.map(fmtInt).join('/')} of acknowledged ${acked.map(fmtInt).join('/')}`);
  }
  clearInterval(keepAlive);
  console.log(`\n${trials} trials, ${fmtInt(saves)} SAVEs acknowledged, ${fmtInt(checked)} keys checked: ${missing} missing, ${phantom} never written yet present`);
  if (missing > 0 || phantom > 0) process.exit(1);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? (e.stack ?? e.message) : e);
  process.exit(1);
});
