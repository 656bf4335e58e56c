/**
 * Snapshots of the process you are in, written to files for another process to read: what a test
 * runner's hooks take while the tests run. Garbage is collected first, with no command-line flag.
 */
import { Session } from "node:inspector";
import { writeHeapSnapshot } from "node:v8";

let session: Session | null = null;

/**
 * A full garbage collection, without `--expose-gc`: through an inspector session of this isolate
 * (no port is opened). The session stays connected for the life of the isolate: disconnecting a
 * session can reset V8's heap ids, which would make "new since" meaningless.
 */
export function collectGarbage(): void {
  if (!session) {
    session = new Session();
    session.connect();
  }
  // Same-thread sessions answer synchronously; twice, so that what the first one finalized
  // (weak references, finalization callbacks' targets) goes too.
  session.post("HeapProfiler.collectGarbage");
  session.post("HeapProfiler.collectGarbage");
}

/** Collects garbage and writes a snapshot of this isolate to `path`; returns the seconds it took. */
export function snapshotToFile(path: string): number {
  const t0 = performance.now();
  collectGarbage();
  writeHeapSnapshot(path);
  return (performance.now() - t0) / 1000;
}
