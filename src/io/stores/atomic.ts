/**
 * Files written whole or not at all: the data goes to a temporary file beside the target, is flushed to disk,
 * and is renamed over the target; on any failure (a full disk, a read-only folder) the temporary file is removed
 * and the target keeps its last complete version. OS errors become one InpcaInputError naming the path.
 */
import { closeSync, fsyncSync, openSync, readdirSync, renameSync, rmSync, statSync, writeSync } from "node:fs";
import { hostname } from "node:os";
import { basename, dirname, join } from "node:path";
import { InpcaInputError } from "../../core/errors.js";

/** What an OS error code means, in a few words. */
export function describeOsError(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  const why: Record<string, string> = {
    ENOSPC: "no space left on the device", EDQUOT: "disk quota exceeded", EROFS: "read-only file system",
    EACCES: "permission denied", EPERM: "operation not permitted", ENOENT: "no such folder", ENOTDIR: "a parent is not a folder",
    EISDIR: "is a folder", EMFILE: "too many open files",
  };
  return err?.code && why[err.code] ? `${why[err.code]} (${err.code})` : (err?.message ?? String(e));
}

/** This machine's name as it goes into temporary names (no dots or dashes, which separate the fields). */
const HOST = hostname().replace(/[^A-Za-z0-9_]/g, "_") || "host";

/** The temporary name beside `path` for a write by this process: `.NAME.tmp-HOST-PID-TIME`. */
export function tempName(path: string): string {
  return join(dirname(path), `.${basename(path)}.tmp-${HOST}-${process.pid}-${Date.now().toString(36)}`);
}

/** Whether process `pid` of this machine is alive. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Removes the temporary files that killed writes left in `dir` (not recursive): those of a dead process of this
 * machine, and those of any machine untouched for `staleMs` (default an hour: on a shared filesystem another
 * machine's live task may be writing one). Returns how many were removed. A missing folder has none.
 */
export function removeStaleTemps(dir: string, staleMs = 3600_000): number {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return 0;
  }
  let removed = 0;
  for (const n of names) {
    const m = /^\..+\.tmp-([A-Za-z0-9_]+)-(\d+)-[0-9a-z]+$/.exec(n);
    if (!m) continue;
    const f = join(dir, n);
    const mine = m[1] === HOST;
    const old = Date.now() - (statSync(f, { throwIfNoEntry: false })?.mtimeMs ?? Date.now()) > staleMs;
    if ((mine && Number(m[2]) !== process.pid && !alive(Number(m[2]))) || (!mine && old)) {
      rmSync(f, { force: true, recursive: true });
      removed++;
    }
  }
  return removed;
}

/** Writes `data` to `path` atomically (temporary file, fsync, rename). Throws InpcaInputError naming `path`. */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const tmp = tempName(path);
  let fd: number | undefined;
  try {
    fd = openSync(tmp, "w");
    const bytes = typeof data === "string" ? Buffer.from(data) : data;
    let off = 0;
    while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, path);
  } catch (e) {
    if (fd !== undefined) {
      try {
        closeSync(fd);
      } catch { /* already failing */ }
    }
    rmSync(tmp, { force: true });
    throw new InpcaInputError(`cannot write: ${describeOsError(e)}`, { file: path, cause: e });
  }
}
