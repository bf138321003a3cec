/**
 * Registers every collection type's TypeOps (see type-ops.ts). Imported once
 * by the keyspace, so any code that has a keyspace has every type.
 */
import { ObjType } from './object.js';
import { TYPE_OPS } from './type-ops.js';
import { listOps } from './list.js';
import { hashOps } from './hash.js';
import { setOps } from './set.js';
import { zsetOps } from './zset.js';

TYPE_OPS[ObjType.List] = listOps;
TYPE_OPS[ObjType.Hash] = hashOps;
TYPE_OPS[ObjType.Set] = setOps;
TYPE_OPS[ObjType.ZSet] = zsetOps;
