/**
 * Bodies and messages nested deeper than this are refused before they are parsed:
 * JSON.parse is fast up to ~10,000 levels but takes hundreds of milliseconds (all on the
 * event loop) at a few hundred thousand, which a 1 MiB body can hold. Anything under it
 * is parsed and then held to the configured depth limit, which names the exact path.
 */
export const MAX_JSON_NESTING = 20_000;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const OPEN_ARRAY = 0x5b;
const CLOSE_OBJECT = 0x7d;
const CLOSE_ARRAY = 0x5d;

/**
 * True when the JSON text in `bytes` (UTF-8) opens more than `max` objects and arrays
 * inside each other. One pass over the bytes, no allocation; brackets inside strings do
 * not count (multi-byte UTF-8 sequences never contain these ASCII bytes). Malformed JSON
 * is left for JSON.parse to report. A text of at most `max` bytes cannot open more than
 * `max` (each level takes a byte): it is not read at all, as most requests are not.
 */
export function nestedDeeperThan(bytes: Uint8Array, max: number = MAX_JSON_NESTING): boolean {
  if (bytes.length <= max) return false;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (inString) {
      if (b === BACKSLASH) i++;
      else if (b === QUOTE) inString = false;
    } else if (b === QUOTE) inString = true;
    else if (b === OPEN_OBJECT || b === OPEN_ARRAY) {
      if (++depth > max) return true;
    } else if (b === CLOSE_OBJECT || b === CLOSE_ARRAY) depth--;
  }
  return false;
}
