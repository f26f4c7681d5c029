#!/usr/bin/env bash
# `npm run validate:k8s`: renders every Kubernetes environment and applies it with server-side
# dry run to a real API server (scripts/k8s-engine.sh), so the real schemas and admission accept it.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
k() { bash scripts/k8s-engine.sh kubectl "$@"; }
node dist/scripts/synth-k8s.js
bash scripts/k8s-engine.sh start
trap 'bash scripts/k8s-engine.sh stop >/dev/null' EXIT
failed=0; count=0
# the folder an environment's file is in (environments/ or an example). grep's list is read whole,
# not cut with `| head -1`: under pipefail grep died of SIGPIPE whenever head exited before grep
# wrote its second name (the same race scripts/engine.sh had with `tofu version | grep -q`).
env_dir() { local files; files=$(grep -lsE "^name: $1[[:space:]]*(#.*)?$" environments/*.yaml examples/*/*.yaml) || return 1; dirname "${files%%$'\n'*}"; }
for f in dist/kubernetes/*/*.yaml; do
  count=$((count+1))
  # namespaced objects are checked inside their namespace, which a dry run alone would not create
  ns=$(awk '/^kind: Namespace$/{n=1} n&&/^  name:/{print $2; exit}' "$f")
  [ -n "$ns" ] && { k get namespace "$ns" >/dev/null 2>&1 || k create namespace "$ns" >/dev/null; }
  # with the Secrets `npm run secrets:k8s` builds for it (placeholder values, never real ones)
  env=$(basename "$(dirname "$f")")
  secrets=$(ENVIRONMENTS_DIR=$(env_dir "$env") node dist/scripts/k8s-secrets.js "$env" --placeholders)
  if out=$( { cat "$f"; echo '---'; printf '%s\n' "$secrets"; } | k apply --dry-run=server -f - 2>&1); then
    printf 'ok      %s (%s objects, %s of them Secrets)\n' "$f" "$(grep -c 'server dry run' <<<"$out")" "$(grep -c '^secret/' <<<"$out")"
  else
    failed=$((failed+1)); printf 'FAILED  %s\n' "$f"; grep -v 'server dry run' <<<"$out" | sed 's/^/    /' | tail -20
  fi
done
echo "$count Kubernetes environment(s) validated, $failed failed"
[ "$failed" = 0 ]
