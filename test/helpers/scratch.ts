/**
 * What a test file that starts its own servers keeps: a temporary directory
 * and the servers and connections to stop, all cleaned up after the file.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';
import type { RawClient } from './raw-client.js';
import type { ServerHandle } from './servers.js';

export interface Scratch {
  /** A directory removed after the file's tests. */
  readonly root: string;
  readonly servers: ServerHandle[];
  readonly clients: RawClient[];
}

/** Registers the clean-up (afterAll) and returns the lists to fill. */
export function scratch(prefix: string): Scratch {
  const s: Scratch = { root: fs.mkdtempSync(path.join(os.tmpdir(), prefix)), servers: [], clients: [] };
  afterAll(async () => {
    for (const c of s.clients) c.destroy();
    await Promise.all(s.servers.map((x) => x.stop()));
    fs.rmSync(s.root, { recursive: true, force: true });
  });
  return s;
}
