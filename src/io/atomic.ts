/**
 * Files written whole or not at all: the data goes to a temporary file beside the target, is flushed to disk,
 * and is renamed over the target; on any failure (a full disk, a read-only folder) the temporary file is removed
 * and the target keeps its last complete version. OS errors become one InpcaInputError naming the path.
 */
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { InpcaInputError } from "../core/errors.js";

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

/** Writes `data` to `path` atomically (temporary file, fsync, rename). Throws InpcaInputError naming `path`. */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const tmp = join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${Date.now().toString(36)}`);
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
