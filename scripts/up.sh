#!/usr/bin/env bash
# The main job: the bundled `local` environment on this machine's Docker engine.
# Starts the engine (installing it first when missing), builds the local images, deploys.
# Each build step prints one line when it starts and one with its duration (Go's own output goes
# to a log file whose tail is shown on failure: scripts/lib/gobuild.sh); a failed step stops here.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
env=${1:-local}
# the build scripts' hints for people who run them alone (how to put the engine on PATH)
without_hints() { grep -vE '^  export PATH=|^Engine ready\. Use it with:$|^$' || true; }
bash "$root/scripts/engine-docker.sh" start
bash "$root/scripts/engine.sh" | without_hints
bash "$root/scripts/images.sh" | without_hints
sh "$root/scripts/stackyard.sh" deploy "$env" --generate-secrets
echo
echo "Up. Try: curl -H 'Host: api.localhost' http://127.0.0.1:8001/api/   (npm run down removes it, keeping data volumes)"
