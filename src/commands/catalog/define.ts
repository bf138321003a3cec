/**
 * The building blocks of the command catalog: `def` turns a compact
 * definition into a CommandMeta, `ks` builds a key spec. Each family's
 * catalog (catalog/*.ts and catalog.ts) is a list of `def(...)` calls.
 */
import type { CommandMeta, KeySpec, RoutePolicy } from './meta.js';

/**
 * COMMAND DOCS fields that CommandMeta has no slot for. Kept beside the catalog
 * (looked up with docExtras()) so that CommandMeta keeps its shape.
 */
export interface DocExtras {
  /** Redis "doc_flags": 'deprecated' or 'syscmd'. */
  docFlags?: string[];
  deprecatedSince?: string;
  replacedBy?: string;
  /** [version, what changed] pairs, oldest first. */
  history?: Array<[string, string]>;
}

const extras = new WeakMap<CommandMeta, DocExtras>();

/** The extra COMMAND DOCS fields of a catalog entry, if it has any. */
export function docExtras(meta: CommandMeta): DocExtras | undefined {
  return extras.get(meta);
}

interface Def extends DocExtras {
  name: string;
  arity: number;
  flags: string[];
  /** [firstKey, lastKey, step]; defaults to [0, 0, 0]. */
  keys?: [number, number, number];
  acl: string[];
  tips?: string[];
  keySpecs?: KeySpec[];
  group: string;
  since: string;
  summary: string;
  complexity: string;
  route: RoutePolicy;
  subcommands?: CommandMeta[];
}

export function def(d: Def): CommandMeta {
  const [firstKey, lastKey, step] = d.keys ?? [0, 0, 0];
  const meta: CommandMeta = {
    name: d.name,
    arity: d.arity,
    flags: d.flags,
    firstKey,
    lastKey,
    step,
    acl: d.acl,
    tips: d.tips ?? [],
    keySpecs: d.keySpecs ?? [],
    group: d.group,
    since: d.since,
    summary: d.summary,
    complexity: d.complexity,
    route: d.route,
  };
  if (d.subcommands) meta.subcommands = d.subcommands;
  if (d.docFlags || d.deprecatedSince || d.replacedBy || d.history) {
    const x: DocExtras = {};
    if (d.docFlags) x.docFlags = d.docFlags;
    if (d.deprecatedSince) x.deprecatedSince = d.deprecatedSince;
    if (d.replacedBy) x.replacedBy = d.replacedBy;
    if (d.history) x.history = d.history;
    extras.set(meta, x);
  }
  return meta;
}

/** A key spec that starts at a fixed argument index and covers a range. */
export function ks(flags: string[], index: number, lastKey = 0, step = 1, notes?: string): KeySpec {
  const spec: KeySpec = {
    flags,
    beginSearch: { type: 'index', index },
    findKeys: { type: 'range', lastKey, step, limit: 0 },
  };
  if (notes !== undefined) spec.notes = notes;
  return spec;
}

export const ONE_KEY: [number, number, number] = [1, 1, 1];
export const ALL_KEYS: [number, number, number] = [1, -1, 1];
export const KEY_VALUE_PAIRS: [number, number, number] = [1, -1, 2];
export const O1 = 'O(1)';
export const BY_SUB = 'Depends on the subcommand.';
