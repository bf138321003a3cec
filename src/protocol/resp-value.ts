/**
 * A tree form of RESP replies, for the replies that are not on the hot path
 * (COMMAND, INFO, CLIENT LIST, CONFIG GET ...). Hot-path replies are written
 * as bytes directly by ReplyWriter; this tree is encoded by encodeValue().
 *
 * JS values map to RESP like this:
 *   null              → null bulk (RESP2 `$-1`) / `_` (RESP3)
 *   number / bigint   → integer `:`
 *   string/Uint8Array → bulk string `$`
 *   Array             → array `*`
 *   Simple            → simple string `+`
 *   RespError         → error `-` (the text includes its prefix, e.g. "ERR ...")
 *   RespMap           → map `%` (RESP3) / flat array of key,value (RESP2)
 *   RespSet           → set `~` (RESP3) / array (RESP2)
 *   RespDouble        → double `,` (RESP3) / bulk string (RESP2)
 *   NullArray         → null array (RESP2 `*-1`) / `_` (RESP3)
 */
export class Simple {
  constructor(readonly text: string) {}
}
export class RespError {
  constructor(readonly text: string) {}
}
export class RespMap {
  constructor(readonly entries: Array<[RespValue, RespValue]>) {}
}
export class RespSet {
  constructor(readonly items: RespValue[]) {}
}
export class RespDouble {
  constructor(readonly value: number) {}
}
export class NullArray {
  static readonly instance = new NullArray();
  private constructor() {}
}

export type RespValue =
  | null
  | number
  | bigint
  | string
  | Uint8Array
  | RespValue[]
  | Simple
  | RespError
  | RespMap
  | RespSet
  | RespDouble
  | NullArray;
