/**
 * fast-check with a printed seed: every property test runs through
 * `assertProperty`, whose failure message names the seed that replays it
 * (FC_SEED=<n>); FC_RUNS overrides the number of runs where a test reads it.
 */
import fc from 'fast-check';

/** fc.assert with a seed from FC_SEED (or a fresh one); the failure message names the seed to replay it. */
export function assertProperty<T>(prop: fc.IProperty<T>, runs: number): void {
  const seed = process.env.FC_SEED !== undefined ? Number(process.env.FC_SEED) : (Date.now() ^ (Math.random() * 0x7fffffff)) | 0;
  try {
    fc.assert(prop, { seed, numRuns: runs });
  } catch (e) {
    (e as Error).message = `[replay with FC_SEED=${seed}] ${(e as Error).message}`;
    throw e;
  }
}
