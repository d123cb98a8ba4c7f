/**
 * A decision id as four 32-bit words, so that the in-process store can keep the ids of a
 * customer's decisions in arrays of unboxed numbers instead of a 36-character string per
 * decision: every decision's id string kept by the store was old-generation garbage once
 * newer decisions displaced it (bench/README.md, ninth pass). Ids NBO issues are random
 * UUIDs written in lowercase; any other id is kept as it is.
 */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Writes `id`'s four words at `out[at…at+3]` and returns true; false (nothing written) when `id` is not a lowercase UUID. */
export function uuidWords(id: string, out: number[], at: number): boolean {
  if (id.length !== 36 || !UUID.test(id)) return false;
  let word = 0;
  let digits = 0;
  let k = at;
  for (let i = 0; i < 36; i++) {
    const c = id.charCodeAt(i);
    if (c === 45) continue; // '-'
    word = word * 16 + (c <= 57 ? c - 48 : c - 87);
    if (++digits === 8) {
      out[k++] = word;
      word = 0;
      digits = 0;
    }
  }
  return true;
}

/** The id whose words are at `words[at…at+3]`, as {@link uuidWords} read it. */
export function uuidOf(words: readonly number[], at: number): string {
  const b = words[at + 1]!;
  const c = words[at + 2]!;
  // byte by byte from a table: toString(16), padStart and slices took about 0.7 µs an id
  return `${hex8(words[at]!)}-${hex4(b / 65536)}-${hex4(b)}-${hex4(c / 65536)}-${hex4(c)}${hex8(words[at + 3]!)}`;
}

/** Whether `words[at…at+3]` and `other[from…from+3]` hold the same id. */
export function sameWords(words: readonly number[], at: number, other: readonly number[], from: number): boolean {
  return (
    words[at] === other[from] &&
    words[at + 1] === other[from + 1] &&
    words[at + 2] === other[from + 2] &&
    words[at + 3] === other[from + 3]
  );
}

/** Two lowercase hex digits for each byte. */
const HEX2 = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'));
/** The low 16 bits of `w` as four hex digits. */
const hex4 = (w: number): string => HEX2[(w >>> 8) & 255]! + HEX2[w & 255]!;
const hex8 = (w: number): string => hex4(w / 65536) + hex4(w);
