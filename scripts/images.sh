#!/usr/bin/env bash
# Builds every image the bundled `local` environment and the e2e and converge tests run, with no
# registry: a Debian trixie root filesystem from debootstrap imported as the base image, then small
# Dockerfiles in test/images/. Traefik (v3.6) is the real one built from the Go module proxy.
#
#   scripts/images.sh [fleet] [binaries]
# fleet: also the images only the fleet suite deploys (seed 003): Jaeger all-in-one 1.76.0 (the
#   real one, Go module proxy; a long cold build), Ofelia v0.3.13 (the real one, from its source in
#   test/images/ofelia), Prometheus (Debian's package) and seed 003's application stand-in. The
#   default set (`npm run test:all`, e2e, converge) never builds them.
# binaries: only the Go programs (no Docker engine needed), so a caller can compile before it takes
#   the shared engine's lock.
#
# Stand-ins are also tagged with the official names the constructs default to (postgres:17,
# redis:7, traefik:v3.6, adminer:5) when those names are absent, so `local.yaml` runs unchanged
# here; on a machine with registry access nothing is re-tagged over a pulled image.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tools=${STACKYARD_TOOLS:-$root/.tools}
SCRATCH=${STACKYARD_SCRATCH:-/var/tmp/stackyard}
JAEGER_MODULE=github.com/jaegertracing/jaeger
JAEGER_VERSION=v1.76.0
OFELIA_VERSION=v0.3.13   # test/images/ofelia/src holds this release's Go files
DEMO_VERSIONS="1 2"
export GOFLAGS="-buildvcs=false${GOFLAGS:+ $GOFLAGS}" GOTOOLCHAIN=${GOTOOLCHAIN:-local}
fleet=0 binaries_only=0
for arg in "$@"; do
  case $arg in
    fleet) fleet=1 ;;
    binaries) binaries_only=1 ;;
    *) printf 'usage: scripts/images.sh [fleet] [binaries]\n' >&2; exit 2 ;;
  esac
done
fail() { printf '\nimages: %s\n' "$*" >&2; exit 1; }
step() { printf '\n==> %s\n' "$*"; step_started=$(date +%s); }
done_step() { printf '    done in %ss\n' "$(( $(date +%s) - step_started ))"; }
. "$root/scripts/lib/gobuild.sh"
has() { docker image inspect "$1" >/dev/null 2>&1; }
# `NAME_built` says whether the binary is there and current, `build_NAME` makes it (traefik's are in
# scripts/lib/gobuild.sh). One build of each binary at a time: a second images.sh (.ci/run builds
# the binaries in the background while the tests run) waits for the first, then finds it built.
binary() {
  mkdir -p "$tools/build"
  exec 8>"$tools/build/$1.lock"
  flock 8
  if "$1_built"; then echo "    cached"; else "build_$1"; fi
  flock -u 8
  exec 8>&-
}
# `all-in-one version` prints {"gitCommit":...,"gitVersion":"v1.76.0",...}
jaeger_built() { [ -x "$tools/bin/jaeger-all-in-one" ] && grep -q "\"$JAEGER_VERSION\"" <<<"$("$tools/bin/jaeger-all-in-one" version 2>/dev/null || true)"; }
build_jaeger() {
  LDFLAGS="-X $JAEGER_MODULE/internal/version.latestVersion=$JAEGER_VERSION" \
    build jaeger "$JAEGER_MODULE" "$JAEGER_VERSION" "$JAEGER_MODULE/cmd/all-in-one" "$tools/bin/jaeger-all-in-one"
}
# cached by a digest of the source, so an edit there rebuilds it
ofelia_src=$root/test/images/ofelia/src
ofelia_stamp() { echo "$OFELIA_VERSION $(cd "$ofelia_src" && find . -type f | LC_ALL=C sort | xargs sha256sum | sha256sum | cut -c1-16)"; }
ofelia_built() { [ -x "$tools/bin/ofelia" ] && [ "$(cat "$tools/bin/ofelia.stamp" 2>/dev/null)" = "$(ofelia_stamp)" ]; }
build_ofelia() {
  (cd "$ofelia_src" && go build -trimpath -ldflags="-s -w -X main.version=$OFELIA_VERSION" -o "$tools/bin/ofelia" .) || fail "building Ofelia failed"
  ofelia_stamp > "$tools/bin/ofelia.stamp"
}

step "Traefik $TRAEFIK_VERSION (Go module proxy)"
binary traefik
done_step

if [ $fleet = 1 ]; then
  step "Jaeger all-in-one $JAEGER_VERSION (Go module proxy)"
  binary jaeger
  done_step

  step "Ofelia $OFELIA_VERSION (test/images/ofelia/src, dependencies from the Go module proxy)"
  binary ofelia
  done_step
fi

[ $binaries_only = 1 ] && exit 0

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
# binaries built above, copied into their build contexts for the duration of the builds
trap 'rm -f "$root/test/images/traefik/traefik" "$root/test/images/jaeger/all-in-one" "$root/test/images/jaeger/sampling_strategies.json" "$root/test/images/ofelia/ofelia"' EXIT
cp "$tools/bin/traefik" "$root/test/images/traefik/traefik"
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
if [ $fleet = 1 ]; then
  # the real observability images (the fleet suite deploys seed 003 with them); Grafana is not
  # built (its source is AGPL): the generic stand-in takes its place there. The real Ofelia keeps
  # its own name: environments name it with scheduler.image (the official name stays the stand-in's,
  # which test:converge runs)
  jaeger_dir=$(dir_of "$JAEGER_MODULE@$JAEGER_VERSION")
  cp "$tools/bin/jaeger-all-in-one" "$root/test/images/jaeger/all-in-one"
  cp "$jaeger_dir/cmd/all-in-one/sampling_strategies.json" "$root/test/images/jaeger/sampling_strategies.json" && chmod 644 "$root/test/images/jaeger/sampling_strategies.json"
  cp "$tools/bin/ofelia" "$root/test/images/ofelia/ofelia"
  image stackyard-test/prometheus debian-trixie "$root/test/images/prometheus" "" --label stackyard.stand-in=yes
  image stackyard-test/jaeger "${JAEGER_VERSION#v}" "$root/test/images/jaeger" "jaegertracing/all-in-one:${JAEGER_VERSION#v}" --label stackyard.stand-in=yes
  image stackyard-test/ofelia "$OFELIA_VERSION" "$root/test/images/ofelia" "" --label stackyard.stand-in=yes
  # seed 003's application (ghcr.io/ktrdr/ktrdr-backend): backend and workers
  image stackyard-test/ktrdr 1 "$root/test/images/ktrdr" ""
fi
for v in $DEMO_VERSIONS; do
  image stackyard/demo-app "$v" "$root/test/images/demo-app" "" --build-arg "VERSION=$v"
done
# a new version that never passes its healthcheck: a rolling update to it must change nothing
image stackyard/demo-app unhealthy "$root/test/images/demo-app" "" --build-arg VERSION=unhealthy --build-arg HEALTHY=0
echo
echo "Images ready."
