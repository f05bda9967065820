#!/usr/bin/env bash
# The two commands of the README's quick start. Each sets up everything it needs on a Debian machine with
# Node >= 20 (Debian packages, npm dependencies, the tslab kernel), then runs its job:
#   bash scripts/run.sh figures [npm run figures options]   every example notebook -> out/figures (HTML + PNG)
#   bash scripts/run.sh test [vitest options]                the test suite (what CI runs: .ci/run)
#   bash scripts/run.sh docs                                 the API reference from the doc comments -> out/api (CI runs it first)
# Without root (or password-less sudo) and with Debian packages missing, it names them, says how to install
# them, and exits 1 before doing anything else.
set -euo pipefail
cd "$(dirname "$0")/.."
job="${1:-}"
case "$job" in
  figures|test|docs) shift ;;
  *) echo "usage: bash scripts/run.sh figures|test|docs [options]" >&2; exit 2 ;;
esac
[ "${1:-}" = "--" ] && shift

# 1. Node >= 20 and npm
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "inpca: Node.js >= 20 with npm is needed (Debian: apt-get install nodejs npm, or your usual Node install)" >&2; exit 1
fi
major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$major" -lt 20 ]; then echo "inpca: Node.js >= 20 is needed, this is $(node --version)" >&2; exit 1; fi

# 2. Debian packages (installs them as root or with password-less sudo; otherwise names them and stops)
bash scripts/system-deps.sh

# 3. npm dependencies (npm ci when node_modules is missing or older than the lockfile; it also builds dist/)
# onnxruntime-node (a devDependency) must not download CUDA libraries at install under npm 10 (npm 11 skips its script: package.json allowScripts denies it)
export ONNXRUNTIME_NODE_INSTALL=skip
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ] || [ ! -f dist/index.js ]; then
  npm ci --no-audit --no-fund
fi

# 4. the self-link (notebooks import "inpca" by name; npm install <pkg> prunes it) and the Jupyter kernel (a
#    launcher that runs each notebook's own project's tslab); both idempotent
node scripts/link-self.mjs >/dev/null
node scripts/jupyter-kernel.mjs >/dev/null

# 5. the job
case "$job" in
  figures) exec npm run figures -- "$@" ;;
  docs) exec npm run docs -- "$@" ;;
  *) exec npm test -- "$@" ;;
esac
