/**
 * The pub/sub family's shard commands: PUBLISH and SPUBLISH run on the
 * shard of the client's thread (they have no keys), so that they also run
 * inside MULTI/EXEC and from scripts; the thread's hub (pubsub/hub.ts)
 * delivers everywhere and counts the receivers. SUBSCRIBE and the rest act
 * on connections (connections/pubsub-family.ts).
 */
import type { Exec, ShardHandler } from '../shard/exec.js';

function publish(x: Exec, shard: boolean): void {
  x.r.int(x.bus === null ? 0 : x.bus.publish(x.arg(1), x.arg(2), shard));
}

export const pubsubHandlers: Record<string, ShardHandler> = {
  publish: (x) => publish(x, false),
  spublish: (x) => publish(x, true),
};
