/**
 * Waiting until a server counts so many blocked clients (INFO clients
 * blocked_clients), as Redis's own tests do (wait_for_blocked_clients_count):
 * a push made after that is sure to find the clients waiting, or gone, where
 * a fixed sleep would only make it likely.
 */
import type { RawClient } from './raw-client.js';

async function waitCount(admin: RawClient, ok: (n: number) => boolean, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const info = (await admin.call('INFO', 'clients')).toString('latin1');
    const seen = Number(/blocked_clients:(\d+)/.exec(info)?.[1] ?? -1);
    if (ok(seen)) return;
    if (Date.now() > deadline) throw new Error(`waited ${timeoutMs} ms for ${what} blocked clients; the server counts ${seen}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Until at least `n` clients are blocked. */
export function waitForBlocked(admin: RawClient, n: number, timeoutMs = 10_000): Promise<void> {
  return waitCount(admin, (seen) => seen >= n, `at least ${n}`, timeoutMs);
}

/** Until at most `n` clients are blocked (the others were served, timed out or went away). */
export function waitForUnblocked(admin: RawClient, n = 0, timeoutMs = 10_000): Promise<void> {
  return waitCount(admin, (seen) => seen >= 0 && seen <= n, `at most ${n}`, timeoutMs);
}
