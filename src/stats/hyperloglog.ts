/**
 * Distinct counts in bounded memory. A sketch starts sparse — the exact set of the
 * values' 32-bit hashes — and, past {@link SPARSE_MAX} values, becomes a HyperLogLog
 * (Flajolet et al.) of 2^10 one-byte registers (1 KiB, standard error about 3 %),
 * as Redis does. So small counts are exact and large ones cost 1 KiB. Sketches merge:
 * per-bucket sketches add up to a window's.
 */
export const HLL_BITS = 10;
/** A sparse sketch holds at most this many hashes before it turns into registers. */
export const SPARSE_MAX = 32;
const M = 1 << HLL_BITS;
const ALPHA = 0.7213 / (1 + 1.079 / M);

export interface Sketch {
  /** Sparse: the exact hashes added (null once dense). */
  hashes: Set<number> | null;
  /** Dense: the registers (null while sparse). */
  regs: Uint8Array | null;
}

export function newSketch(): Sketch {
  return { hashes: new Set(), regs: null };
}

/** A 32-bit hash of a string: FNV-1a, then murmur3's finaliser to spread the bits. */
export function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function setRegister(regs: Uint8Array, h: number): void {
  const j = h >>> (32 - HLL_BITS);
  // position of the first 1 bit in the remaining bits (a sentinel bit caps it)
  const rho = Math.clz32((h << HLL_BITS) | (1 << (HLL_BITS - 1))) + 1;
  if (rho > regs[j]!) regs[j] = rho;
}

function densify(sk: Sketch): Uint8Array {
  if (sk.regs) return sk.regs;
  const regs = new Uint8Array(M);
  for (const h of sk.hashes!) setRegister(regs, h);
  sk.regs = regs;
  sk.hashes = null;
  return regs;
}

/** Adds a value, given by its {@link hash32}. */
export function addHash(sk: Sketch, h: number): void {
  if (sk.hashes) {
    sk.hashes.add(h);
    if (sk.hashes.size > SPARSE_MAX) densify(sk);
    return;
  }
  setRegister(sk.regs!, h);
}

/** `into` becomes the union of both; `from` is left as it was. */
export function mergeInto(into: Sketch, from: Sketch): void {
  if (from.hashes) {
    for (const h of from.hashes) addHash(into, h);
    return;
  }
  const regs = densify(into);
  const other = from.regs!;
  for (let j = 0; j < M; j++) if (other[j]! > regs[j]!) regs[j] = other[j]!;
}

/** The number of distinct values added: exact while sparse, else the HyperLogLog estimate. */
export function estimate(sk: Sketch): number {
  if (sk.hashes) return sk.hashes.size;
  const regs = sk.regs!;
  let sum = 0;
  let zeros = 0;
  for (let j = 0; j < M; j++) {
    sum += 2 ** -regs[j]!;
    if (regs[j] === 0) zeros++;
  }
  const e = (ALPHA * M * M) / sum;
  // small range: linear counting is the better estimate
  if (e <= 2.5 * M && zeros > 0) return Math.round(M * Math.log(M / zeros));
  return Math.round(e);
}
