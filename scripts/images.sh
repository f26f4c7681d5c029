#!/usr/bin/env bash
# Builds every image the bundled `local` environment and the e2e tests run, with no registry:
# a Debian trixie root filesystem from debootstrap imported as the base image, then small
# Dockerfiles in test/images/. Traefik is the real v3.6 built from the Go module proxy.
#
# Stand-ins are also tagged with the official names the constructs default to (postgres:17,
# redis:7, traefik:v3.6, adminer:5) when those names are absent, so `local.yaml` runs unchanged
# here; on a machine with registry access nothing is re-tagged over a pulled image.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tools=${STACKYARD_TOOLS:-$root/.tools}
SCRATCH=${STACKYARD_SCRATCH:-/var/tmp/stackyard}
DEMO_VERSIONS="1 2"
export GOFLAGS=-buildvcs=false GOTOOLCHAIN=${GOTOOLCHAIN:-local}
fail() { printf '\nimages: %s\n' "$*" >&2; exit 1; }
step() { printf '\n==> %s\n' "$*"; step_started=$(date +%s); }
done_step() { printf '    done in %ss\n' "$(( $(date +%s) - step_started ))"; }
. "$root/scripts/lib/gobuild.sh"
has() { docker image inspect "$1" >/dev/null 2>&1; }
docker version >/dev/null 2>&1 || fail "no Docker engine answers; run scripts/engine-docker.sh start (npm run up does)"

step "base image debian:trixie-slim"
if has debian:trixie-slim; then echo "    cached"; else
  tarball=$SCRATCH/trixie-minbase.tar
  if [ ! -s "$tarball" ]; then
    command -v debootstrap >/dev/null || { apt-get install -y -qq debootstrap >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq debootstrap >/dev/null; }; }
    rm -rf "$SCRATCH/rootfs" && mkdir -p "$SCRATCH"
    debootstrap --variant=minbase trixie "$SCRATCH/rootfs" http://deb.debian.org/debian >"$SCRATCH/debootstrap.log" 2>&1 \
      || { tail -20 "$SCRATCH/debootstrap.log" >&2; fail "debootstrap failed (log above)"; }
    rm -rf "$SCRATCH/rootfs/var/cache/apt/archives/"*.deb "$SCRATCH/rootfs/var/lib/apt/lists/"*
    tar -C "$SCRATCH/rootfs" -cf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball" && rm -rf "$SCRATCH/rootfs"
  fi
  docker import "$tarball" debian:trixie-slim >/dev/null
fi
done_step

step "Traefik $TRAEFIK_VERSION (Go module proxy)"
if traefik_built; then echo "    cached"; else build_traefik; fi
done_step

# image NAME TAG CONTEXT [OFFICIAL_NAME] [BUILD_ARGS...]
image() {
  local name=$1 tag=$2 ctx=$3 official=${4:-}; shift 4 || shift $#
  step "image $name:$tag"
  docker build -q -t "$name:$tag" "$@" "$ctx" 2> >(grep -vE "DEPRECATED|buildx|BuildKit|^\s*$" >&2) >/dev/null || fail "building $name:$tag failed"
  if [ -n "$official" ] && { ! has "$official" || docker image inspect -f '{{index .Config.Labels "stackyard.stand-in"}}' "$official" 2>/dev/null | grep -q yes; }; then
    docker tag "$name:$tag" "$official"
    echo "    also tagged $official (local stand-in)"
  fi
  done_step
}
cp "$tools/bin/traefik" "$root/test/images/traefik/traefik"
trap 'rm -f "$root/test/images/traefik/traefik"' EXIT
image stackyard-test/traefik 3.6 "$root/test/images/traefik" traefik:v3.6 --label stackyard.stand-in=yes
image stackyard-test/postgres 17 "$root/test/images/postgres" postgres:17 --label stackyard.stand-in=yes
# the same server again with another image id: replacing the Postgres container must keep its data
image stackyard-test/postgres 17-r2 "$root/test/images/postgres" "" --label stackyard.stand-in=yes --label stackyard.variant=r2
image stackyard-test/redis 7 "$root/test/images/redis" redis:7 --label stackyard.stand-in=yes
image stackyard-test/adminer 5 "$root/test/images/adminer" adminer:5 --label stackyard.stand-in=yes
# `npm run test:converge`: one generic stand-in for the kinds without their own (it answers their
# health endpoints), also under the two image names environment files cannot override
image stackyard-test/standin 1 "$root/test/images/standin" mcuadros/ofelia:v0.3.13 --label stackyard.stand-in=yes
if ! has prom/alertmanager:stackyard-standin || docker image inspect -f '{{index .Config.Labels "stackyard.stand-in"}}' prom/alertmanager:stackyard-standin | grep -q yes; then
  docker tag stackyard-test/standin:1 prom/alertmanager:stackyard-standin
fi
# `stackyard maintenance`: the page runs busybox (sh, httpd) from the official image's name
if ! has busybox:1.37 || docker image inspect -f '{{index .Config.Labels "stackyard.stand-in"}}' busybox:1.37 | grep -q yes; then
  docker tag stackyard-test/standin:1 busybox:1.37
fi
# non-root images reading their secret files (a plain USER, and Grafana's uid 472 with group root)
image stackyard-test/nonroot 1000 "$root/test/images/nonroot" "" --build-arg USER=1000:1000
image stackyard-test/nonroot 472 "$root/test/images/nonroot" "" --build-arg USER=472:0
for v in $DEMO_VERSIONS; do
  image stackyard/demo-app "$v" "$root/test/images/demo-app" "" --build-arg "VERSION=$v"
done
# a new version that never passes its healthcheck: a rolling update to it must change nothing
image stackyard/demo-app unhealthy "$root/test/images/demo-app" "" --build-arg VERSION=unhealthy --build-arg HEALTHY=0
echo
echo "Images ready."
