import { it } from 'vitest';
import { startRedis, rawClient } from './helpers/servers.js';
import { Rng } from './helpers/rng.js';
import { StringsKeysGen } from './differential/strings-keys-gen.js';
it('timing', async () => {
  const r = await startRedis();
  const c = await rawClient(r.port);
  let t0 = Date.now();
  const gen = new StringsKeysGen(new Rng(7), { hardFloats: true });
  const cmds = gen.sequence(20000);
  console.log('gen ms', Date.now() - t0);
  const per = new Map<string, number>();
  let maxLen = 0;
  for (const cmd of cmds) {
    const s = process.hrtime.bigint();
    const rep = await c.call(...cmd.args);
    maxLen = Math.max(maxLen, rep.length);
    const d = Number(process.hrtime.bigint() - s) / 1e6;
    const n = String(cmd.args[0]).toUpperCase();
    per.set(n, (per.get(n) ?? 0) + d);
  }
  console.log([...per].sort((a, b) => b[1] - a[1]).slice(0, 8).map(([a, b]) => `${a}:${b.toFixed(0)}`).join(' '), 'maxReply', maxLen);
  await r.stop();
}, 120000);
