#!/usr/bin/env bash
# Regenerates test/fixtures/plans/*.json: real `tofu show -json` plans of real scenarios against
# the real engine (scripts/engine.sh + scripts/engine-docker.sh + scripts/images.sh). Deploys a
# base stack once, plans each change against it, then removes everything.
# Secret values are fixed dummies ("fixture-..."), never real ones, and masked before they are written.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
ENV=planfx
export ENVIRONMENTS_DIR=$root/.stackyard/planfx-environments CHECKPOINT_DISABLE=1
OUT=$root/test/fixtures/plans
bash scripts/engine-docker.sh start >/dev/null
bash scripts/engine.sh >/dev/null
bash scripts/images.sh >/dev/null
npm run --silent build
export STACKYARD_SKIP_BUILD=1 PATH="$root/.tools/bin:$PATH" TF_CLI_CONFIG_FILE="$root/.tools/tofurc" TERRAFORM_BINARY_NAME=tofu
for s in DB_PASSWORD REDIS_PASSWORD JWT_SECRET STATE_PASSPHRASE; do export "TF_VAR_$s=fixture-$(echo $s | tr 'A-Z_' 'a-z-')"; done

# environment FRONTEND_REPLICAS BACKEND_TAG DB_VERSION WITH_WATCHER
environment() {
  mkdir -p "$ENVIRONMENTS_DIR"
  cat > "$ENVIRONMENTS_DIR/planfx.yaml" <<YAML
name: $ENV
hosts:
  core: { docker: "unix:///var/run/docker.sock", address: 127.0.0.1 }
secrets: [DB_PASSWORD, REDIS_PASSWORD, JWT_SECRET]
services:
  proxy: { kind: traefik, entrypoints: { web: 18301 } }
  db: { kind: postgres, version: "$3", password: DB_PASSWORD }
  redis: { kind: redis, password: REDIS_PASSWORD }
  prestart: { kind: job, image: stackyard/demo-app, tag: "1", command: [python3, /app/app.py, prestart], uses: [db] }
  backend:
    kind: web
    image: stackyard/demo-app
    tag: "$2"
    port: 8000
    health: /api/health
    route: PathPrefix(\`/api\`)
    uses: [db, redis]
    after: [prestart]
    secrets: [JWT_SECRET]
  frontend: { kind: web, image: stackyard/demo-app, tag: "1", port: 8000, health: /health, replicas: $1, route: PathPrefix(\`/\`) }
$( [ "$4" = yes ] && echo '  watcher: { kind: service, image: stackyard/demo-app, tag: "1", command: [python3, /app/app.py, worker], uses: [db, redis] }' )
YAML
  STACKYARD_ONLY=$ENV STACKYARD_QUIET=1 node dist/bin/main.js
}
plan() {
  # kept as the engine wrote it, except (scripts/mask-plan.ts): every secret value masked (sensitive
  # paths, sensitive variables, and the TF_VAR_* values wherever they appear), no timestamp, no
  # prior_state / planned_values (the summary reads resource_changes and configuration), and
  # machine paths replaced by placeholders
  (cd cdktf.out/stacks/$ENV && tofu plan -input=false -no-color -out=fx.plan >/dev/null && tofu show -json fx.plan && rm -f fx.plan) \
    | node dist/scripts/mask-plan.js --fixture --replace "$root=<repo>" --replace "${STACKYARD_SCRATCH:-/var/tmp/stackyard}=<scratch>" > "$OUT/$1.json"
  echo "wrote test/fixtures/plans/$1.json"
}
clean() { bash scripts/down.sh $ENV --volumes --yes >/dev/null 2>&1 || true; rm -f .stackyard/state/$ENV.tfstate*; }
trap clean EXIT
clean
mkdir -p "$OUT"

environment 2 1 17 yes
(cd cdktf.out/stacks/$ENV && tofu init -input=false >/dev/null)
plan first-deploy
bash scripts/deploy.sh $ENV >/dev/null
plan no-change
environment 3 1 17 yes; plan replicas
environment 2 2 17 yes; plan image-tag
environment 2 1 18 yes; plan postgres-major
environment 2 1 17 no;  plan remove-service
environment 2 1 17 yes; TF_VAR_JWT_SECRET=fixture-rotated plan secret-change
