#!/usr/bin/env bash
# Removes an environment's containers and networks, keeping its data volumes (like
# `docker compose down`):  scripts/down.sh [env] [--volumes] [--github] [--yes]
# The volumes leave Terraform's state but stay on the host (each is named, with how to delete it);
# the next deploy adopts them again.
# --volumes is the deliberate step that deletes data too: it lifts prevent_destroy for this
# environment (STACKYARD_DESTROY_DATA=<env>), destroys everything, then deletes the volumes labelled
# with the environment that the state no longer knows (kept by an earlier plain down), like
# `docker compose down -v` (lib/deploy/volumes.ts).
# GitHub environments and secrets stay (in state and on GitHub) unless --github is given.
# --volumes, --github, and any down of an environment marked production: true ask for the
# environment's name on a terminal; without one (CI) they need --yes (lib/deploy/confirm.ts).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/scripts/lib/stack.sh"
env=${1:-local}
[ $# -gt 0 ] && shift
volumes="" flags=()
for a in "$@"; do
  case $a in
    --volumes) volumes=1; flags+=("$a") ;;
    --github|--yes) flags+=("$a") ;;
    *) fail "unknown option $a (expected --volumes, --github, --yes)" ;;
  esac
done
with_lock "$env" "$0" "$env" "$@"
if [ -n "$volumes" ]; then export STACKYARD_DESTROY_DATA=$env; fi
synth_one "$env"
# confirmation first: nothing is touched when it is refused; prints the -exclude arguments that keep GitHub
exclude=$(steps down "$stack_dir" "${flags[@]}")
use_engine
load_secrets "$env" placeholder
cd "$stack_dir"
tf init -input=false -no-color >/dev/null || fail "tf init failed in $stack_dir"
if [ -z "$volumes" ]; then
  for v in $(tf state list 2>/dev/null | grep '^docker_volume\.' || true); do
    tf state rm -no-color "$v" >/dev/null   # named below, with the volumes earlier downs kept
  done
fi
args=()
[ -z "$exclude" ] || mapfile -t args <<<"$exclude"
[ ${#args[@]} -eq 0 ] || echo "keeping the GitHub environments and secrets of $env (down --github removes them)"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
destroy() { tf destroy -auto-approve -input=false -no-color "${args[@]}" >"$log" 2>&1; }
if ! destroy; then
  # Docker can be slow to release a network's last endpoint after its containers went away;
  # the provider gives up after 30 s. What is left is only that network: try once more.
  if grep -q "waiting for state to become 'removed'" "$log"; then
    echo "stackyard: a network was still busy; retrying the destroy once"
    sleep 5
    destroy || { tail -30 "$log" >&2; fail "destroy of $env failed (above); if a network stays busy with no container on it, restarting dockerd clears Docker's stale endpoint count"; }
  else
    tail -30 "$log" >&2
    fail "destroy of $env failed (above)"
  fi
fi
tail -1 "$log"
steps volumes "$stack_dir" ${volumes:+--volumes}
