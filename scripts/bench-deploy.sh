#!/usr/bin/env bash
# `npm run bench:deploy`: time from empty to all healthy for the e2e stack with stackyard
# (scripts/deploy.sh: synth, OpenTofu, the docker provider) and for the same containers with
# Debian's docker-compose (`up -d`, then waiting for health), alternating A/B; prints medians
# and the ratio. Not a test. The compose file is generated from the synthesized stack
# (scripts/compose-from-stack.ts), so both run the same images, commands, settings and secrets.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
ROUNDS=${BENCH_ROUNDS:-3}
ENV=bench
ENV_DIR=$root/.stackyard/bench-environments
OUT=$root/.stackyard/bench-compose
export ENVIRONMENTS_DIR=$ENV_DIR CHECKPOINT_DISABLE=1

bash scripts/engine-docker.sh start >/dev/null
bash scripts/engine.sh >/dev/null
bash scripts/images.sh >/dev/null
command -v docker-compose >/dev/null || { apt-get install -y -qq docker-compose >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq docker-compose >/dev/null; }; }
sh scripts/stackyard.sh --version >/dev/null   # compiles only when TypeScript changed
export STACKYARD_SKIP_BUILD=1 PATH="$root/.tools/bin:$PATH" TF_CLI_CONFIG_FILE="$root/.tools/tofurc" TERRAFORM_BINARY_NAME=tofu

mkdir -p "$ENV_DIR"
cat > "$ENV_DIR/bench.yaml" <<YAML
name: bench
extends: $(python3 -c "import os;print(os.path.relpath('$root/environments/local.yaml','$ENV_DIR'))")
protectVolumes: false
services:
  proxy: { entrypoints: { web: 18201 }, dashboard: { port: 18290 } }
YAML
for s in DB_PASSWORD REDIS_PASSWORD JWT_SECRET CRYPTOPANIC_API_KEY NEWSCATCHER_API_KEY NANSEN_API_KEY STATE_PASSPHRASE; do
  export "TF_VAR_$s=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
done
STACKYARD_ONLY=$ENV STACKYARD_QUIET=1 node dist/bin/main.js
rm -rf "$OUT" && mkdir -p "$OUT"
node dist/scripts/compose-from-stack.js cdktf.out/stacks/$ENV/cdk.tf.json "$OUT"
compose() { docker-compose -p benchcompose -f "$OUT/docker-compose.yml" "$@"; }

now() { date +%s.%N; }
# waits until every container of the run is healthy (or, for the job, exited 0)
wait_healthy() {
  local filter=$1 deadline=$(( $(date +%s) + 300 ))
  while [ "$(date +%s)" -lt "$deadline" ]; do
    local ids; ids=$(docker ps -aq --filter "$filter")
    if [ -n "$ids" ] && docker inspect $ids --format '{{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}} {{.State.ExitCode}} {{index .Config.Labels "stackyard.kind"}}' \
      | awk '{ ok = ($4 == "job") ? ($1 == "exited" && $3 == 0) : ($1 == "running" && ($2 == "healthy" || $2 == "none")); if (!ok) bad = 1 } END { exit bad }'; then
      return 0
    fi
    sleep 0.2
  done
  echo "bench: containers did not become healthy in time" >&2; return 1
}
clean() {
  bash scripts/down.sh $ENV --volumes --yes >/dev/null 2>&1 || true
  compose down -v --remove-orphans >/dev/null 2>&1 || true
}

a=(); b=()
run_a() {
  local t0; t0=$(now)
  bash scripts/deploy.sh $ENV >/tmp/bench-deploy-a.log 2>&1 || { tail -30 /tmp/bench-deploy-a.log >&2; exit 1; }
  wait_healthy "label=stackyard.environment=$ENV"
  a+=("$(awk -v a="$(now)" -v b="$t0" 'BEGIN { print a - b }')")
  clean
}
run_b() {
  local t0; t0=$(now)
  compose up -d >/tmp/bench-deploy-b.log 2>&1 || { tail -30 /tmp/bench-deploy-b.log >&2; exit 1; }
  wait_healthy "label=com.docker.compose.project=benchcompose"
  b+=("$(awk -v a="$(now)" -v b="$t0" 'BEGIN { print a - b }')")
  clean
}
median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# a run that was killed leaves a state encrypted with its own random passphrase: start from nothing
rm -f ".stackyard/state/$ENV.tfstate" ".stackyard/state/$ENV.tfstate.backup"
ids=$(docker ps -aq --filter "label=stackyard.environment=$ENV"); [ -z "$ids" ] || docker rm -f $ids >/dev/null
nets=$(docker network ls -q --filter "label=stackyard.environment=$ENV"); [ -z "$nets" ] || docker network rm $nets >/dev/null
vols=$(docker volume ls -q --filter "label=stackyard.environment=$ENV"); [ -z "$vols" ] || docker volume rm $vols >/dev/null
clean
echo "deploy benchmark: $ROUNDS alternating rounds, 12 containers, from empty to all healthy"
for i in $(seq 1 "$ROUNDS"); do
  if [ $((i % 2)) = 1 ]; then run_a; run_b; else run_b; run_a; fi
  printf '  round %s: stackyard %.1f s, compose %.1f s\n' "$i" "${a[-1]}" "${b[-1]}"
done
ma=$(median "${a[@]}"); mb=$(median "${b[@]}")
printf 'median: stackyard %.1f s, docker-compose %.1f s\n' "$ma" "$mb"
printf 'deploy ratio stackyard/compose: %.2f\n' "$(awk -v a="$ma" -v b="$mb" 'BEGIN { print a / b }')"
