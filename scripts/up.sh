#!/usr/bin/env bash
# The main job: the bundled `local` environment on this machine's Docker engine.
# Starts the engine (installing it first when missing), builds the local images, deploys.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
env=${1:-local}
bash "$root/scripts/engine-docker.sh" start
bash "$root/scripts/engine.sh" | grep -E '^(==>|Engine|OpenTofu)' || true
bash "$root/scripts/images.sh" | grep -E '^(==>|Images)' || true
sh "$root/scripts/stackyard.sh" deploy "$env" --generate-secrets
echo
echo "Up. Try: curl -H 'Host: api.localhost' http://127.0.0.1:8001/api/   (npm run down removes it, keeping data volumes)"
