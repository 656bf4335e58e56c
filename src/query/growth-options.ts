/**
 * The defaults and choices of the comparing commands that the command line shows before it runs
 * one: apart from the comparisons themselves (./growth.ts), so that building the command line does
 * not load them.
 */

/**
 * Of how many classes `leaks` explains the leaked objects by default (their retaining paths,
 * grouped): a program that leaks objects of five of its own classes sees all five.
 */
export const LEAK_CLASSES_EXPLAINED = 5;

/** What `diff` ranks classes by. */
export type DiffSort = "count" | "new" | "self" | "retained" | "retained-growth";

export const DIFF_SORTS: readonly DiffSort[] = ["count", "new", "self", "retained", "retained-growth"];
