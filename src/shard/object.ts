/**
 * The type and encoding numbers stored in a keyspace entry's meta word.
 * The keyspace owns the entry layout; the value types (src/types/) read
 * these to know what they hold.
 */
export const enum ObjType {
  String = 0,
  List = 1,
  Set = 2,
  ZSet = 3,
  Hash = 4,
  Stream = 6,
}

/** Encodings, numbered as Redis numbers them. */
export const enum Enc {
  Raw = 0,
  Int = 1,
  HashTable = 2,
  IntSet = 6,
  SkipList = 7,
  Embstr = 8,
  QuickList = 9,
  Stream = 10,
  ListPack = 11,
}

