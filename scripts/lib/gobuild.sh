# Sourced by scripts that build Go programs from the Go module proxy (engine.sh, images.sh, fleet.sh, k8s-cluster.sh).
# Needs: $tools (cache folder) and a fail() function.

# gomod_of MODULE@VERSION -> path of that module version's go.mod in the module cache
gomod_of() { go mod download -json "$1" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p'; }
dir_of() { go mod download -json "$1" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p'; }

# build NAME REQUIRE_PATH VERSION PACKAGE OUT [REPLACE_SOURCE]   (extra ldflags in $LDFLAGS)
# A wrapper module requires the tool's module and repeats its replace lines, because
# `go install module@version` refuses modules that have replace directives.
build() {
  local name=$1 req=$2 ver=$3 pkg=$4 out=$5 source=${6:-$2}
  local w="$tools/build/$name"
  rm -rf "$w" && mkdir -p "$w"
  local upstream; upstream=$(gomod_of "$source@$ver") || fail "cannot download $source@$ver from the Go module proxy"
  local gover; gover=$(sed -n 's/^go \([0-9.]*\).*/\1/p' "$upstream" | head -1)
  {
    echo "module stackyard.local/tools/$name"
    echo
    echo "go $gover"
    echo
    # repeat the upstream replace lines (single-line and block forms)
    awk '/^replace \(/{b=1;next} b&&/^\)/{b=0;next} b{print "replace " $0} /^replace [^(]/{print}' "$upstream"
    if [ "$req" != "$source" ]; then echo "replace $req => $source $ver"; fi
  } > "$w/go.mod"
  # Require exactly the pinned version (a replaced path gets a placeholder version), then let
  # `go build -mod=mod` record the checksums of what the build list already pins.
  local reqver=$ver; [ "$req" != "$source" ] && reqver=v0.0.0-00010101000000-000000000000
  (cd "$w" && go mod edit -require="$req@$reqver" && go mod download "$source@$ver") \
    || fail "resolving $name failed (see above)"
  (cd "$w" && go build -mod=mod -trimpath -ldflags="-s -w ${LDFLAGS:-}" -o "$out" "$pkg") || fail "building $name failed"
  grep -q "$req $reqver" "$w/go.mod" || fail "$name: the build moved $req off $reqver; refusing an unpinned build"
}

# Traefik v3, the proxy of the Docker target (scripts/images.sh packs it as traefik:v3.6) and the
# ingress controller of the test cluster (scripts/k8s-cluster.sh): one binary, $tools/bin/traefik.
TRAEFIK_MODULE=github.com/traefik/traefik/v3
TRAEFIK_VERSION=v3.6.12
# output read whole before matching: `traefik version | grep -q` fails under pipefail when grep exits first (SIGPIPE)
traefik_built() { [ -x "$tools/bin/traefik" ] && grep -q "${TRAEFIK_VERSION#v}" <<<"$("$tools/bin/traefik" version 2>/dev/null || true)"; }
build_traefik() {
  traefik_built && return 0
  mkdir -p "$tools/bin"
  LDFLAGS="-X github.com/traefik/traefik/v3/pkg/version.Version=${TRAEFIK_VERSION#v}" \
    build traefik "$TRAEFIK_MODULE" "$TRAEFIK_VERSION" "$TRAEFIK_MODULE/cmd/traefik" "$tools/bin/traefik"
}
