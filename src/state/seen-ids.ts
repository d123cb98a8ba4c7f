/**
 * A customer's seen event ids, each with the epoch second from which it may be forgotten:
 * the ids end to end in one string, and beside it where each ends and its second, in two
 * arrays of small integers. A `Map` of the ids kept each id as a string of its own: about
 * 40 heap objects per customer on the un-prunable catalog's 90-day history, every one of
 * them marked again by each full collection of an in-process instance's heap (bench/README.md,
 * ninth pass). An id is found with `indexOf` over the text and kept only when the match is
 * a whole entry; ids are never escaped, so an id may contain another or span two.
 */
export class SeenIds {
  /** The ids, end to end, in the order they were first kept. */
  private text = '';
  /** Where entry k ends in `text` (ascending); entry k starts where k − 1 ends. */
  private ends: number[] = [];
  /** The epoch second from which entry k may be forgotten. */
  private untils: number[] = [];

  get size(): number {
    return this.ends.length;
  }

  /** The second from which `id` may be forgotten, or undefined when it is not kept. */
  get(id: string): number | undefined {
    const k = this.entryOf(id);
    return k < 0 ? undefined : this.untils[k];
  }

  /** Keeps `id` until `untilS` (an id already kept keeps its place and takes the new second). */
  set(id: string, untilS: number): void {
    const k = this.entryOf(id);
    if (k >= 0) {
      this.untils[k] = untilS;
      return;
    }
    this.text += id;
    this.ends.push(this.text.length);
    this.untils.push(untilS);
  }

  /** Forgets every id whose second is at or before `nowS`. */
  dropExpired(nowS: number): void {
    const { text, ends, untils } = this;
    const n = ends.length;
    let kept = 0;
    while (kept < n && untils[kept]! > nowS) kept++;
    if (kept === n) return;
    // the survivors moved down in place (entry k is read before any slot at or after it is written)
    const parts = [text.slice(0, kept === 0 ? 0 : ends[kept - 1])];
    let length = parts[0]!.length;
    for (let k = kept; k < n; k++) {
      if (untils[k]! <= nowS) continue;
      const part = text.slice(k === 0 ? 0 : ends[k - 1], ends[k]);
      parts.push(part);
      length += part.length;
      ends[kept] = length;
      untils[kept] = untils[k]!;
      kept++;
    }
    ends.length = kept;
    untils.length = kept;
    this.text = parts.join('');
  }

  /** The entry that is exactly `id`, or -1. */
  private entryOf(id: string): number {
    const { text, ends } = this;
    if (id.length === 0) {
      for (let k = 0; k < ends.length; k++) if (ends[k] === (k === 0 ? 0 : ends[k - 1])) return k;
      return -1;
    }
    for (let p = text.indexOf(id); p >= 0; p = text.indexOf(id, p + 1)) {
      // the entry ending where this match ends, if it also starts where the match starts
      const end = p + id.length;
      const k = atOrAfter(ends, end);
      if (k < ends.length && ends[k] === end && (k === 0 ? 0 : ends[k - 1]) === p) return k;
    }
    return -1;
  }
}

/** The first k with `ends[k] >= at` (ends ascending), or ends.length. */
function atOrAfter(ends: readonly number[], at: number): number {
  let lo = 0;
  let hi = ends.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ends[mid]! < at) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
