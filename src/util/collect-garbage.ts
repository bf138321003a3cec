/**
 * A full garbage collection of this thread's heap, on demand. A shard that
 * lets go of empty arena segments (native-free-arena's
 * `releaseEmptySegments`) only drops references to SharedArrayBuffers; their
 * memory goes back to the system when the collector frees them, which an
 * idle thread's heap might not do for a long time. `gc` is exposed through
 * V8's flag at first use (Node has no other way to ask for a collection);
 * it is called only after segments were released, or on MEMORY PURGE.
 */
import v8 from 'node:v8';
import vm from 'node:vm';

type Gc = (options?: { type: 'major'; execution: 'sync'; flavor: 'regular' | 'last-resort' }) => void;
let gc: Gc | null = null;

/** A full collection that also gives the heap's free pages back (V8's "last resort" flavour: it shrinks the heap). */
export function collectGarbage(): void {
  if (gc === null) {
    v8.setFlagsFromString('--expose-gc');
    gc = vm.runInNewContext('gc') as Gc;
  }
  gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
}
