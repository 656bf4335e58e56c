/**
 * Typed errors. The library throws these; the CLI prints `message` (plus `hint`) as one line.
 *
 * @example
 * try { await readSnapshotRaw("x.heapsnapshot"); }
 * catch (e) { if (e instanceof SnapshotFormatError) console.error(e.message, e.offset); }
 */
export class BackrefsError extends Error {
  /** A stable machine-readable code, e.g. `E_FORMAT`. */
  readonly code: string;
  /** What the user can do about it. */
  readonly hint: string | undefined;

  constructor(code: string, message: string, hint?: string) {
    super(message);
    this.name = new.target.name;
    this.code = code;
    this.hint = hint;
  }
}

/** The file is not a valid heap snapshot: bad JSON, truncated, inconsistent counts... */
export class SnapshotFormatError extends BackrefsError {
  /** Byte offset (in the decompressed stream) where the problem was found. */
  readonly offset: number;
  /** The top-level section being read (`snapshot`, `nodes`, `edges`, `strings`...), if any. */
  readonly section: string | undefined;
  /** The problem alone, without where it was found. */
  readonly problem: string;

  constructor(message: string, offset: number, section?: string, hint?: string) {
    // Messages quote bits of the file (JSON.parse's do): keep them to one printable line.
    const printable = (t: string): string => t.replace(/[\u0000-\u001f\u007f]+/g, " ");
    const problem = printable(message);
    const where = section ? ` (in "${printable(section)}" at byte ${offset})` : ` (at byte ${offset})`;
    super("E_FORMAT", problem + where, hint ?? "is the file a complete V8 .heapsnapshot?");
    this.offset = offset;
    this.section = section;
    this.problem = problem;
  }
}

/**
 * A snapshot cache entry turned out damaged after it was opened: its sections are read on first
 * use (see docs/cache.md), and a block that fails its checksum or its checks is found only then.
 * Nothing computed from the entry can be trusted; the entry has been removed, so the same command
 * run again reads the snapshot (the CLI does that by itself when nothing was printed yet).
 */
export class CacheDamagedError extends BackrefsError {
  constructor(
    /** The entry file. */
    readonly entry: string,
    /** What was wrong with it. */
    readonly reason: string,
  ) {
    super(
      "E_CACHE",
      `the snapshot cache entry ${entry.replace(/[\u0000-\u001f\u007f]+/g, " ")} is damaged (${reason})`,
      "run the command again: the entry was removed (or use --no-cache)",
    );
  }
}

/** The file cannot be read at all: missing, a directory, no permission... */
export class InputError extends BackrefsError {
  constructor(message: string, hint?: string) {
    super("E_INPUT", message, hint);
  }
}

/**
 * An output file could not be written (no space left, no permission, its folder gone...). Nothing
 * half-written is left where the file was to be.
 */
export class OutputError extends BackrefsError {
  constructor(message: string, hint?: string) {
    super("E_OUTPUT", message, hint);
  }
}

/** The user asked for something the snapshot does not have (no objects of a class, unknown id...). */
export class QueryError extends BackrefsError {
  constructor(message: string, hint?: string) {
    super("E_QUERY", message, hint);
  }
}

/** Drawing failed (layout error, layout too slow, bad format...). */
export class RenderError extends BackrefsError {
  constructor(message: string, hint?: string) {
    super("E_RENDER", message, hint);
  }
}

/** The work was stopped by the caller (AbortSignal). */
export class AbortedError extends BackrefsError {
  constructor(message = "interrupted") {
    super("E_ABORTED", message);
  }
}

/**
 * Two snapshots cannot be compared by object id: the same id names different objects in them
 * (snapshots of different processes, or of one process whose heap profiler was reset).
 */
export class IdMismatchError extends BackrefsError {
  constructor(message: string, hint?: string) {
    super("E_IDS", message, hint);
  }
}

/**
 * The comparison by id that {@link IdMismatchError} refuses, when backrefs *knows* the cause: live
 * snapshots of this process taken before and after V8's ids were reset (a heap profiler was
 * disabled, or an inspector session disconnected).
 */
export class IdsResetError extends IdMismatchError {
  constructor(message: string, hint = "take the baseline again, after the reset") {
    super(message, hint);
  }
}

/**
 * `assertNoLeaks()` found watched objects still alive after a garbage collection. The message
 * holds their grouped retaining paths as text and names the picture written.
 */
export class LeakError extends BackrefsError {
  /** The retained objects and their groups, as data. */
  readonly report: unknown;
  /** Where the picture of what retains them was written (null if drawing failed). */
  readonly picture: string | null;

  constructor(message: string, report: unknown, picture: string | null) {
    super("E_LEAK", message, picture ? `what retains them: ${picture}` : undefined);
    this.report = report;
    this.picture = picture;
  }
}

/**
 * A leak-gate limit names a class that no snapshot has: such a limit could never fail, and is
 * most likely a typo. `suggestions` holds the closest class names (with their counts).
 */
export class LimitError extends BackrefsError {
  constructor(
    /** Which kind of limit: `maxCount`, `maxRetained`, `maxGrowth` or `maxRetainedGrowth`. */
    readonly kind: string,
    readonly limit: { className: string; value: number },
    readonly suggestions: string[],
    /** Two snapshots were looked in (a baseline and the current one). */
    readonly twoSnapshots: boolean,
  ) {
    super(
      "E_LIMIT",
      `${kind} ${JSON.stringify(limit.className)}: no such class ${twoSnapshots ? "in either snapshot" : "in the snapshot"}, so this limit could never fail` +
        `${suggestions.length ? `; did you mean ${suggestions.join(", ")}?` : ""}`,
      "allowAbsent lets limits name classes that may not exist",
    );
  }
}
