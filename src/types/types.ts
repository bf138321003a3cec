/**
 * Registers every collection type's TypeOps in the keyspace's table
 * (shard/value-ops.ts). Imported by the command registry, which every shard
 * is built with, so any shard that runs commands has every type.
 */
import { ObjType } from '../shard/object.js';
import { TYPE_OPS } from '../shard/value-ops.js';
import { listOps } from './list.js';
import { hashOps } from './hash.js';
import { setOps } from './set.js';
import { zsetOps } from './zset.js';
import { streamOps } from './stream-ops.js';

TYPE_OPS[ObjType.List] = listOps;
TYPE_OPS[ObjType.Hash] = hashOps;
TYPE_OPS[ObjType.Set] = setOps;
TYPE_OPS[ObjType.ZSet] = zsetOps;
TYPE_OPS[ObjType.Stream] = streamOps;
