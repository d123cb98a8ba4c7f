import { randomInt } from 'node:crypto';

/**
 * A customer's seen event ids, each with the epoch second from which it may be forgotten,
 * kept as a 53-bit hash of the id beside its second in two arrays of unboxed numbers. A
 * `Map` of the ids kept each id as a string of its own: about 40 heap objects per customer
 * on the un-prunable catalog's 90-day history, every one of them marked again by each full
 * collection of an in-process instance's heap (bench/README.md, ninth pass); these arrays
 * are four objects, whatever their length. The Redis store keeps a 60-bit hash of each id
 * for the same reason; two ids of one customer within the dedupe horizon sharing a hash
 * (about 4 in 10^12 for 256 ids) would make the later one a duplicate.
 *
 * Past `compactLimit` ids (a customer with hundreds of events within the horizon) the
 * hashes move to a `Map`, whose lookup does not grow with them as a scan does; they move
 * back once expiries leave half the limit.
 */
export class SeenIds {
  /** The ids' hashes, in the order they were first kept. */
  private hashes: number[] = [];
  /** The epoch second from which id k may be forgotten. */
  private untils: number[] = [];
  /** Every id's hash → second, once there are more than `compactLimit`; the arrays are empty meanwhile. */
  private many: Map<number, number> | null = null;

  constructor(private readonly compactLimit = 256) {}

  get size(): number {
    return this.many === null ? this.hashes.length : this.many.size;
  }

  /** The second from which `id` may be forgotten, or undefined when it is not kept. */
  get(id: string): number | undefined {
    const h = idHash(id);
    if (this.many !== null) return this.many.get(h);
    const k = this.hashes.indexOf(h);
    return k < 0 ? undefined : this.untils[k];
  }

  /** Keeps `id` until `untilS` (an id already kept keeps its place and takes the new second). */
  set(id: string, untilS: number): void {
    this.setHash(idHash(id), untilS);
  }

  /** Forgets every id whose second is at or before `nowS`. */
  dropExpired(nowS: number): void {
    if (this.many !== null) {
      for (const [h, until] of this.many) if (until <= nowS) this.many.delete(h);
      if (this.many.size <= this.compactLimit >> 1) {
        const many = this.many;
        this.many = null;
        for (const [h, until] of many) this.setHash(h, until);
      }
      return;
    }
    const { hashes, untils } = this;
    let kept = 0;
    for (let k = 0; k < hashes.length; k++) {
      if (untils[k]! <= nowS) continue;
      hashes[kept] = hashes[k]!;
      untils[kept] = untils[k]!;
      kept++;
    }
    hashes.length = kept;
    untils.length = kept;
  }

  private setHash(h: number, untilS: number): void {
    if (this.many !== null) {
      this.many.set(h, untilS);
      return;
    }
    const k = this.hashes.indexOf(h);
    if (k >= 0) {
      this.untils[k] = untilS;
    } else if (this.hashes.length < this.compactLimit) {
      this.hashes.push(h);
      this.untils.push(untilS);
    } else {
      this.many = new Map();
      for (let j = 0; j < this.hashes.length; j++) this.many.set(this.hashes[j]!, this.untils[j]!);
      this.many.set(h, untilS);
      this.hashes = [];
      this.untils = [];
    }
  }
}

/**
 * The process's seed for {@link idHash}, drawn at random: the hashes live only in this
 * process's memory, and a sender cannot work out beforehand which two ids would share one
 * (cyrb53 is fast, not cryptographic).
 */
const SEED = randomInt(0, 2 ** 31);

/**
 * A 53-bit hash of `s` (an integer a double holds exactly): cyrb53, two 32-bit
 * multiply-xorshift lanes (public domain), seeded. About 40 ns for a 20-character id.
 */
export function idHash(s: string, seed: number = SEED): number {
  let h1 = 0xdeadbeef ^ seed;
  let h2 = 0x41c6ce57 ^ seed;
  for (let i = 0; i < s.length; i++) {
    const ch = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}
