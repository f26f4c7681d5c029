#!/usr/bin/env bash
# Installs the Terraform engine stackyard tests against, without any registry but the Go
# module proxy: OpenTofu and the two Terraform providers, built with Go, served to tofu
# from a local filesystem mirror. Idempotent; everything lands in .tools/ (git-ignored).
#
#   scripts/engine.sh            build what is missing, print where it is
#   STACKYARD_TOOLS=/path ...    use another cache folder
#
# Users who already have Terraform or OpenTofu and registry access do not need this.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
tools=${STACKYARD_TOOLS:-$root/.tools}
# Pinned versions. The Go proxy reachable here serves only some versions of each module:
# see README "The engine" for why these differ from the versions the bindings were generated for.
TOFU_MODULE=github.com/opentofu/opentofu
TOFU_VERSION=v1.12.6
DOCKER_MODULE=github.com/kreuzwerker/terraform-provider-docker
DOCKER_GOPATH=github.com/terraform-providers/terraform-provider-docker   # the path its go.mod declares
DOCKER_PSEUDO=v0.0.0-20260916201441-96d331c98ff4
GITHUB_MODULE=github.com/integrations/terraform-provider-github/v6
GITHUB_VERSION=v6.6.0

mkdir -p "$tools/bin" "$tools/build" "$tools/providers"
export GOFLAGS=-buildvcs=false GOTOOLCHAIN=${GOTOOLCHAIN:-local}
# The checksum database has no entry for this release (its lookup answers 404 here), so the
# module is taken from the proxy without that cross-check; everything else is verified.
export GONOSUMDB=${GONOSUMDB:+$GONOSUMDB,}github.com/integrations/terraform-provider-github

step() { printf '\n==> %s\n' "$*"; step_started=$(date +%s); }
done_step() { printf '    done in %ss\n' "$(( $(date +%s) - step_started ))"; }
fail() { printf '\nengine: %s\n' "$*" >&2; exit 1; }
command -v go >/dev/null || fail "Go is not installed; install Go 1.24 or newer and run again."

. "$root/scripts/lib/gobuild.sh"

# The cached tofu reports the pinned version. Its output is read whole before matching: with
# pipefail, `tofu version | grep -q` fails whenever grep exits on the first line before tofu wrote
# its second one (tofu then dies of SIGPIPE, status 141). Under load that happened to about one
# call in ten, and sent deploys and downs down the network build path ("engine installation failed").
tofu_is_pinned() {
  local v
  [ -x "$tools/bin/tofu" ] || return 1
  v=$(TF_CLI_CONFIG_FILE=/dev/null "$tools/bin/tofu" version 2>/dev/null) || return 1
  grep -qx "OpenTofu ${TOFU_VERSION}" <<<"$v"
}

# The CLI configuration: providers only from this folder's mirror. Written with the folder's
# physical path, and again whenever it names another place (a moved checkout, or a tools folder
# shared through a symlink whose configuration was written from elsewhere): a stale path makes
# every `tofu init` fail with "cannot search .../providers". Written atomically (mv), since
# several deploys may check the engine at once.
tools_real=$(cd "$tools" && pwd -P)
write_tofurc() {
  local tmp
  tmp=$(mktemp "$tools/tofurc.XXXXXX")
  chmod 644 "$tmp"
  cat > "$tmp" <<RC
# Written by scripts/engine.sh: providers come only from the local mirror, never the network.
provider_installation {
  filesystem_mirror {
    path    = "$tools_real/providers"
    include = ["registry.opentofu.org/*/*", "registry.terraform.io/*/*"]
  }
}
RC
  mv -f "$tmp" "$tools/tofurc"
}
# No plugin_cache_dir: stacks initialised at the same time (test:converge runs them in parallel)
# shared one cache, and an init rewriting its entry left another stack's provider link pointing at
# nothing ("fork/exec .terraform/providers/...: no such file or directory" in a CI run, 2026-12-01).
# Each stack installs from the local mirror into its own .terraform instead.
tofurc_current() { [ -f "$tools/tofurc" ] && grep -qF "path    = \"$tools_real/providers\"" "$tools/tofurc" && ! grep -q '^plugin_cache_dir' "$tools/tofurc"; }

# Fast path, no network: everything already built for these pins (deploys call this every time).
docker_cached=$(cat "$tools/docker-provider.version" 2>/dev/null || true)
if [ -n "$docker_cached" ] \
  && [ -x "$tools/providers/registry.opentofu.org/kreuzwerker/docker/$docker_cached/linux_amd64/terraform-provider-docker_v$docker_cached" ] \
  && [ -x "$tools/providers/registry.opentofu.org/integrations/github/${GITHUB_VERSION#v}/linux_amd64/terraform-provider-github_v${GITHUB_VERSION#v}" ] \
  && [ "$(cat "$tools/engine.pins" 2>/dev/null)" = "$TOFU_VERSION $DOCKER_PSEUDO $GITHUB_VERSION" ] \
  && tofu_is_pinned; then
  tofurc_current || write_tofurc
  echo "Engine ready (cached in $tools): OpenTofu ${TOFU_VERSION#v}, docker provider $docker_cached, github provider ${GITHUB_VERSION#v}"
  echo "  export PATH=\"$tools/bin:\$PATH\" TF_CLI_CONFIG_FILE=\"$tools/tofurc\" TERRAFORM_BINARY_NAME=tofu"
  exit 0
fi

step "OpenTofu $TOFU_VERSION"
if tofu_is_pinned; then
  echo "    cached: $tools/bin/tofu"
else
  # a release build: without this the binary calls itself -dev
  LDFLAGS="-X $TOFU_MODULE/version.dev=no" build tofu "$TOFU_MODULE" "$TOFU_VERSION" "$TOFU_MODULE/cmd/tofu" "$tools/bin/tofu"
fi
done_step

# provider_dir NAMESPACE TYPE VERSION -> unpacked filesystem-mirror layout tofu expects
provider_dir() { echo "$tools/providers/registry.opentofu.org/$1/$2/$3/linux_amd64"; }

step "Docker provider ($DOCKER_MODULE@$DOCKER_PSEUDO)"
docker_src=$(dir_of "$DOCKER_MODULE@$DOCKER_PSEUDO") || fail "cannot download $DOCKER_MODULE@$DOCKER_PSEUDO"
# The module has no semver tag on the proxy; its CHANGELOG names the release it is.
DOCKER_VERSION=$(grep -m1 -oE '^## \[?v?[0-9]+\.[0-9]+\.[0-9]+' "$docker_src/CHANGELOG.md" | grep -oE '[0-9]+\.[0-9]+\.[0-9]+')
[ -n "$DOCKER_VERSION" ] || fail "could not read the docker provider's version from its CHANGELOG"
d=$(provider_dir kreuzwerker docker "$DOCKER_VERSION")
if [ -x "$d/terraform-provider-docker_v$DOCKER_VERSION" ]; then
  echo "    cached: $d"
else
  mkdir -p "$d"
  build docker-provider "$DOCKER_GOPATH" "$DOCKER_PSEUDO" "$DOCKER_GOPATH" "$d/terraform-provider-docker_v$DOCKER_VERSION" "$DOCKER_MODULE"
fi
echo "$DOCKER_VERSION" > "$tools/docker-provider.version"
done_step

step "GitHub provider $GITHUB_VERSION"
GH=${GITHUB_VERSION#v}
d=$(provider_dir integrations github "$GH")
if [ -x "$d/terraform-provider-github_v$GH" ]; then
  echo "    cached: $d"
else
  mkdir -p "$d"
  build github-provider "$GITHUB_MODULE" "$GITHUB_VERSION" "$GITHUB_MODULE" "$d/terraform-provider-github_v$GH"
fi
echo "$GH" > "$tools/github-provider.version"
done_step

step "CLI configuration"
write_tofurc
echo "    $tools/tofurc"
done_step

echo "$TOFU_VERSION $DOCKER_PSEUDO $GITHUB_VERSION" > "$tools/engine.pins"
v=$(TF_CLI_CONFIG_FILE="$tools/tofurc" "$tools/bin/tofu" version)   # whole, not `| head -1` (SIGPIPE under pipefail)
echo "${v%%$'\n'*}"
echo
echo "Engine ready. Use it with:"
echo "  export PATH=\"$tools/bin:\$PATH\" TF_CLI_CONFIG_FILE=\"$tools/tofurc\" TERRAFORM_BINARY_NAME=tofu"
