/**
 * The CLI's exit codes, in one place: `main()` returns them, the help texts print them, the shim
 * `bin/backrefs.js` hands them to the shell.
 */
export const ExitCode = {
  /** Success; for `check`: every limit holds. */
  ok: 0,
  /** An error: a bad snapshot, no matching object, a picture that could not be drawn... */
  error: 1,
  /** A usage error: unknown option, a missing argument, a limit naming a class no snapshot has. */
  usage: 2,
  /** `check`: a limit was passed (distinct from errors, so that CI can tell a leak from a crash). */
  gateFailed: 3,
  /** Stopped by an abort (the library's `AbortedError`): 128 + SIGINT, as shells report Ctrl-C. */
  interrupted: 130,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];
