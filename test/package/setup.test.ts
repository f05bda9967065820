/**
 * The quick start's setup on a machine where it cannot install Debian packages: run as an unprivileged user with
 * a package missing, `scripts/run.sh` names the package and the command that installs it, exits 1, and does
 * nothing else (no npm install, no kernel registration, no test run).
 */
import { spawnSync } from "node:child_process";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { skipWhen } from "../helpers/skip.js";

const root = resolve(__dirname, "..", "..");
const asNobody = process.getuid?.() === 0 && spawnSync("runuser", ["-u", "nobody", "--", "true"]).status === 0;
if (!asNobody) console.warn("setup test skipped: it needs root to run a command as the unprivileged user nobody (runuser)");

describe("bash scripts/run.sh without root", skipWhen(!asNobody && "needs root to run a command as the unprivileged user nobody (runuser)"), () => {
  it.each(["test", "figures"])("%s: names the missing Debian packages and how to install them, exits 1 before any other step", (job) => {
    const r = spawnSync("runuser", ["-u", "nobody", "--", "bash", join(root, "scripts", "run.sh"), job], {
      encoding: "utf8", env: { ...process.env, INPCA_EXTRA_DEBIAN_PACKAGES: "inpca-no-such-package", HOME: "/nonexistent" }, timeout: 60_000,
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("these Debian packages are missing: inpca-no-such-package");
    expect(r.stderr).toContain("sudo apt-get install -y inpca-no-such-package");
    expect(r.stdout).toBe("");
    expect(r.stderr).not.toMatch(/npm|vitest|jupyter-kernel/);
  });
});
