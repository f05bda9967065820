/**
 * Failpoints, for the tests of what a kill or a full disk leaves behind, driven by the work done rather than by a
 * clock: `failpoint("name")` does nothing unless
 * the environment variable INPCA_FAILPOINT is "name:kill" (the process kills itself with SIGKILL there, as a
 * scheduler or the out-of-memory killer would) or "name:enospc" (it throws the error a full disk gives). Named
 * points sit between the steps of multi-file writes and after counted amounts of work ("exact-blocks:2": after
 * a task's second block), where a kill by a timer may land before any work or after all of it.
 */

/** Stops here as INPCA_FAILPOINT says, when it names this point. */
export function failpoint(name: string): void {
  const want = process.env.INPCA_FAILPOINT;
  if (!want) return;
  const at = want.lastIndexOf(":");
  if (want.slice(0, at) !== name) return;
  const action = want.slice(at + 1);
  if (action === "kill") process.kill(process.pid, "SIGKILL");
  if (action === "enospc") throw Object.assign(new Error(`ENOSPC: no space left on device (failpoint ${name})`), { code: "ENOSPC" });
}
