/**
 * Advisory lock files for writers of a folder: `acquireLock(file, what)` creates `file` exclusively with the
 * holder's PID and host; a second writer is refused with a message naming the holder; a lock left by a process
 * that no longer runs on this host (killed, crashed) is taken over. `release()` removes it.
 */
import { closeSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { hostname } from "node:os";
import { InpcaInputError } from "../../core/errors.js";

/** A held lock. */
export interface Lock {
  /** The lock file (`runs/<id>.lock` or `manifest.lock`), holding the owner's PID and host. */
  readonly file: string;
  /** Removes the lock file; idempotent. */
  release(): void;
}

interface Holder {
  pid: number;
  host: string;
  since: string;
}

/** Whether process `pid` runs on this host (EPERM: it runs, under another user). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** The holder recorded in a lock file, or null when the file is gone or unreadable (a lock being written). */
export function lockHolder(file: string): Holder | null {
  try {
    const h = JSON.parse(readFileSync(file, "utf8")) as Holder;
    return typeof h.pid === "number" && typeof h.host === "string" ? h : null;
  } catch {
    return null;
  }
}

/** True when `file` is held by a live process (a stale lock of a dead process on this host counts as free). */
export function isLocked(file: string): boolean {
  const h = lockHolder(file);
  if (!h) return false;
  return h.host !== hostname() || processAlive(h.pid);
}

/** Takes the lock `file` for `what` (e.g. `run "x"`), or throws InpcaInputError naming the holder. */
export function acquireLock(file: string, what: string): Lock {
  for (let attempt = 0; attempt < 3; attempt++) {
    let fd: number;
    try {
      fd = openSync(file, "wx");
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw new InpcaInputError(`cannot create the lock file: ${(e as Error).message}`, { file, cause: e });
      const h = lockHolder(file);
      if (h && (h.host !== hostname() || processAlive(h.pid))) {
        throw new InpcaInputError(`${what} is being written by process ${h.pid} on ${h.host} since ${h.since}; wait for it to finish (or, if that process is gone, delete this lock file)`, { file });
      }
      if (!h && attempt === 0) continue; // being written right now: look again
      rmSync(file, { force: true }); // stale: its process is gone
      continue;
    }
    const holder: Holder = { pid: process.pid, host: hostname(), since: new Date().toISOString() };
    writeSync(fd, JSON.stringify(holder));
    closeSync(fd);
    let held = true;
    return {
      file,
      release() {
        if (!held) return;
        held = false;
        const h = lockHolder(file);
        if (h && h.pid === process.pid && h.host === holder.host) rmSync(file, { force: true });
      },
    };
  }
  throw new InpcaInputError(`${what}: could not take the lock (another writer keeps taking it)`, { file });
}
