# Sourced by scripts/k8s-engine.sh (validate:k8s) and scripts/k8s-cluster.sh (the test node):
# Kubernetes commands built from the Go module proxy. Needs: $tools (cache folder) and fail().
#
# `go install k8s.io/kubernetes/cmd/X@version` is refused (the module has replace directives), and
# its replace lines point the staging modules at ./staging/...: a wrapper module requires
# k8s.io/kubernetes and replaces those with the published k8s.io/* of the same release.
K8S_VERSION=v1.36.3
STAGING_VERSION=v0.36.3          # the k8s.io/* modules released with it

# kube_built NAME: the cached command reports K8S_VERSION (output read whole: `| grep -q` fails under pipefail)
kube_built() {
  local v
  [ -x "$tools/bin/$1" ] || return 1
  if [ "$1" = kubectl ]; then v=$("$tools/bin/kubectl" version --client 2>/dev/null || true); else v=$("$tools/bin/$1" --version 2>/dev/null || true); fi
  grep -q "$K8S_VERSION" <<<"$v"
}

# build_kube NAME...: the commands of k8s.io/kubernetes/cmd/NAME into $tools/bin, those not cached
build_kube() {
  local missing="" b
  for b in "$@"; do kube_built "$b" || missing="$missing $b"; done
  [ -z "$missing" ] && return 0
  command -v go >/dev/null || fail "Go is not installed"
  export GOFLAGS=-buildvcs=false GOTOOLCHAIN=${GOTOOLCHAIN:-local}
  local w="$tools/build/kube" started gomod; started=$(date +%s)
  rm -rf "$w" && mkdir -p "$w" "$tools/bin"
  gomod=$(go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
  [ -n "$gomod" ] || fail "cannot download k8s.io/kubernetes@$K8S_VERSION from the Go module proxy"
  {
    echo "module stackyard.local/tools/kube"; echo; echo "go $(sed -n 's/^go \([0-9.]*\).*/\1/p' "$gomod" | head -1)"; echo
    awk '/^replace \(/{b=1;next} b&&/^\)/{b=0;next} b{print} /^replace [^(]/{sub(/^replace /,""); print}' "$gomod" | while read -r mod arrow target rest; do
      case "$target" in ./staging/*) echo "replace $mod => $mod $STAGING_VERSION" ;; *) echo "replace $mod $arrow $target $rest" ;; esac
    done
  } > "$w/go.mod"
  local ld="-s -w -X k8s.io/component-base/version.gitVersion=$K8S_VERSION -X k8s.io/client-go/pkg/version.gitVersion=$K8S_VERSION"
  (cd "$w" && go mod edit -require="k8s.io/kubernetes@$K8S_VERSION") || fail "resolving k8s.io/kubernetes failed"
  for b in $missing; do
    echo "building $b $K8S_VERSION"
    (cd "$w" && go build -mod=mod -trimpath -ldflags="$ld" -o "$tools/bin/$b" "k8s.io/kubernetes/cmd/$b") || fail "building $b failed (above)"
  done
  echo "built$missing in $(( $(date +%s) - started ))s"
}
