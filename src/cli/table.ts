/**
 * Terminal tables: the first column left-aligned (and cut when very long), the others right-aligned.
 */
import { truncateText } from "../render/format.js";

export const MAX_FIRST_COLUMN = 60;

/**
 * @example
 * table(["class", "count"], [["Foo", "3"]])
 * // "  class  count\n  Foo        3"
 */
export function table(head: string[], rows: string[][]): string {
  const all = [head, ...rows.map((r) => r.map((c, i) => (i === 0 ? truncateText(c, MAX_FIRST_COLUMN) : c)))];
  const widths = head.map((_, i) => Math.max(...all.map((r) => [...(r[i] ?? "")].length)));
  return all
    .map(
      (r) =>
        "  " +
        r
          .map((c, i) => {
            const pad = " ".repeat(widths[i]! - [...c].length);
            return i === 0 ? c + pad : pad + c;
          })
          .join("  ")
          .trimEnd(),
    )
    .join("\n");
}
