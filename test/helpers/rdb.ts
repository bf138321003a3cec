/** Shared by the RDB codec tests. */
import { RdbError } from '../../src/persistence/rdb-value.js';

/** Runs f, which must either return or throw RdbError: returns the error or null. */
export function onlyRdbError(f: () => unknown): RdbError | null {
  try {
    f();
    return null;
  } catch (e) {
    if (e instanceof RdbError) return e;
    throw new Error(`expected RdbError, got ${(e as Error)?.constructor?.name}: ${(e as Error)?.stack ?? e}`);
  }
}
