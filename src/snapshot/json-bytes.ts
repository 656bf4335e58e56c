/**
 * Byte classes of JSON, for the snapshot parser's scanners (they read bytes, never decoded text).
 */

/** JSON white space: space, line feed, carriage return, tab. */
export function isWs(c: number): boolean {
  return c === 32 || c === 10 || c === 13 || c === 9;
}

/** A hex digit, as in a `\uXXXX` escape. */
export function isHex(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);
}

/**
 * A byte that may stand in a bare JSON scalar (a number, `true`, `false`, `null`): digits, sign,
 * point, lower-case letters, `E`. Loose on purpose: the skipper only has to find where one ends.
 */
export function isScalarByte(c: number): boolean {
  return (c >= 48 && c <= 57) || c === 45 || c === 43 || c === 46 || (c >= 97 && c <= 122) || c === 69;
}

/** A byte as an error message shows it: `'x'` when printable, else `byte 0x1f`. */
export function describeByte(c: number): string {
  if (c >= 33 && c < 127) return `'${String.fromCharCode(c)}'`;
  return `byte 0x${c.toString(16).padStart(2, "0")}`;
}
