# Sourced by deploy.sh, down.sh and the e2e helpers: engine on PATH, one environment synthesized,
# its secrets loaded as TF_VAR_* (from the process environment or .stackyard/secrets/<env>.env).
root=${root:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
tools=${STACKYARD_TOOLS:-$root/.tools}
export CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1
fail() { printf 'stackyard: %s\n' "$*" >&2; exit 1; }
# the Terraform engine: OpenTofu from scripts/engine.sh, or the user's own (TERRAFORM_BINARY_NAME)
tf() { "${TERRAFORM_BINARY_NAME:-tofu}" "$@"; }

use_engine() {
  if [ -n "${STACKYARD_USE_OWN_ENGINE:-}" ] && command -v "${TERRAFORM_BINARY_NAME:-terraform}" >/dev/null; then return; fi
  bash "$root/scripts/engine.sh" >/dev/null || fail "engine installation failed; run npm run engine to see why"
  export PATH="$tools/bin:$PATH" TF_CLI_CONFIG_FILE="$tools/tofurc" TERRAFORM_BINARY_NAME=tofu
}

# synth_one ENV: build and synthesize only that environment into $CDKTF_OUTDIR (default cdktf.out)
synth_one() {
  stack_dir="$root/${CDKTF_OUTDIR:-cdktf.out}/stacks/$1"
  rm -f "$stack_dir/cdk.tf.json"   # never act on a stale synthesis
  (cd "$root" && { [ -n "${STACKYARD_SKIP_BUILD:-}" ] || npm run --silent build; } && STACKYARD_ONLY=$1 STACKYARD_QUIET=1 node dist/bin/main.js) || exit 1
  [ -f "$stack_dir/cdk.tf.json" ] || fail "no environment named $1 in ${ENVIRONMENTS_DIR:-environments}/"
}

# load_secrets ENV [generate]: every declared secret must be in TF_VAR_<NAME>; values may come
# from .stackyard/secrets/<env>.env (mode 600, git-ignored). With `generate`, missing ones get
# random values written there (for disposable environments such as local); with `placeholder`
# (destroy only) they get a dummy value that is never stored. Values are never printed.
load_secrets() {
  local env=$1 generate=${2:-} file="$root/.stackyard/secrets/$1.env" missing=()
  if [ -f "$file" ]; then
    while IFS='=' read -r k v; do
      [[ "$k" =~ ^TF_VAR_[A-Z0-9_]+$ ]] || continue
      [ -n "${!k:-}" ] || export "$k=$v"
    done < "$file"
  fi
  for name in $(node -e 'const j=require(process.argv[1]);console.log(Object.keys(j.variable||{}).join(" "))' "$stack_dir/cdk.tf.json"); do
    local var="TF_VAR_$name"
    if [ -z "${!var:-}" ]; then
      if [ "$generate" = placeholder ]; then
        export "$var=unused-by-destroy"   # destroy evaluates the configuration but deploys nothing
      elif [ "$generate" = generate ]; then
        mkdir -p "$(dirname "$file")" && touch "$file" && chmod 600 "$file"
        local value; value=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
        printf '%s=%s\n' "$var" "$value" >> "$file"
        export "$var=$value"
        echo "generated secret $name for $env (stored in .stackyard/secrets/$env.env)"
      else
        missing+=("$name")
      fi
    fi
  done
  if [ ${#missing[@]} -gt 0 ]; then
    fail "environment $env needs these secrets at deploy time: ${missing[*]}
  give each as TF_VAR_<NAME> in the environment (CI passes them from GitHub secrets),
  or put TF_VAR_<NAME>=<value> lines in .stackyard/secrets/$env.env (mode 600, never committed)"
  fi
}
