/**
 * The `save` parameter: pairs of seconds and changes (persistence/ starts a
 * snapshot when both have passed since the last one).
 */

/** The `save` parameter's points: [seconds, changes] pairs; throws on a malformed value. */
export function parseSavePoints(value: string): Array<[number, number]> {
  const words = value.trim().split(/\s+/).filter((w) => w !== '');
  if (words.length % 2 !== 0) throw new Error('Invalid save parameters');
  const out: Array<[number, number]> = [];
  for (let i = 0; i < words.length; i += 2) {
    const secs = Number(words[i]);
    const changes = Number(words[i + 1]);
    if (!Number.isInteger(secs) || !Number.isInteger(changes) || secs < 0 || changes < 0) throw new Error('Invalid save parameters');
    out.push([secs, changes]);
  }
  return out;
}
