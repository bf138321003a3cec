/**
 * The arguments of LMPOP, BLMPOP, ZMPOP and BZMPOP, checked as Redis 7.0's
 * lmpopGenericCommand / zmpopGenericCommand check them:
 *
 *   [timeout] numkeys key [key ...] LEFT|RIGHT (MIN|MAX) [COUNT count]
 *
 * numkeys first (not an integer ≥ 1: "ERR numkeys should be greater than
 * 0"), then the direction after the keys (missing or unknown: "ERR syntax
 * error"), then COUNT, at most once and an integer ≥ 1 ("ERR count should be
 * greater than 0"); anything else is a syntax error. The blocking forms'
 * timeout stands first but Redis reads it last, so callers check it (at
 * `timeoutIndex`) only once this parser has accepted the rest.
 *
 * Shard handlers pass their Exec, which has the argument access the parser
 * needs; code holding a Uint8Array[] wraps it with `arrayArgs`.
 */
import { matchesKeyword } from '../util/bytes.js';
import { parseInt64 } from '../util/numbers.js';

export type MpopCommand = 'lmpop' | 'blmpop' | 'zmpop' | 'bzmpop';

/** What the parser reads of the arguments (Exec has it as is). */
export interface CommandArgs {
  readonly argc: number;
  /** Whether argument i is `lower` (lower-case ASCII), ignoring ASCII case. */
  argIs(i: number, lower: string): boolean;
  /** Argument i as Redis's getLongFromObject reads it; null when not an int64. */
  argLong(i: number): number | null;
}

export interface MpopArgs {
  /** Argument index of the first key; the keys are arguments firstKey .. firstKey + numkeys - 1. */
  firstKey: number;
  numkeys: number;
  /** LEFT for the list commands, MIN for the sorted-set ones. */
  left: boolean;
  /** COUNT, 1 when not given. */
  count: number;
  /** Argument index of the timeout (BLMPOP, BZMPOP), -1 for LMPOP and ZMPOP. */
  timeoutIndex: number;
}

const ERR_NUMKEYS = 'ERR numkeys should be greater than 0';
const ERR_COUNT = 'ERR count should be greater than 0';
const ERR_SYNTAX = 'ERR syntax error';

/** Parses the arguments of `command` (argument 0 is the command name); an error text when Redis would refuse them. */
export function parseMpopArgs(args: CommandArgs, command: MpopCommand): MpopArgs | string {
  const blocking = command === 'blmpop' || command === 'bzmpop';
  const lists = command === 'lmpop' || command === 'blmpop';
  const numkeysIndex = blocking ? 2 : 1;
  const numkeys = args.argLong(numkeysIndex);
  if (numkeys === null || numkeys < 1) return ERR_NUMKEYS;
  const whereIndex = numkeysIndex + 1 + numkeys;
  if (whereIndex >= args.argc) return ERR_SYNTAX;
  const isLeft = args.argIs(whereIndex, lists ? 'left' : 'min');
  if (!isLeft && !args.argIs(whereIndex, lists ? 'right' : 'max')) return ERR_SYNTAX;
  let count = -1;
  for (let j = whereIndex + 1; j < args.argc; j++) {
    if (count !== -1 || !args.argIs(j, 'count') || j === args.argc - 1) return ERR_SYNTAX;
    const v = args.argLong(++j);
    if (v === null || v < 1) return ERR_COUNT;
    count = v;
  }
  return { firstKey: numkeysIndex + 1, numkeys, left: isLeft, count: count === -1 ? 1 : count, timeoutIndex: blocking ? 1 : -1 };
}

/** The parser's view of arguments held as one Uint8Array each. */
export function arrayArgs(argv: Uint8Array[]): CommandArgs {
  return {
    argc: argv.length,
    argIs: (i, lower) => matchesKeyword(argv[i], 0, argv[i].length, lower),
    argLong: (i) => {
      const v = parseInt64(argv[i], 0, argv[i].length);
      return v === null ? null : Number(v);
    },
  };
}
