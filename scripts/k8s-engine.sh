#!/usr/bin/env bash
# A real Kubernetes API server for validating manifests, with no registry but the Go module
# proxy and Debian: kube-apiserver and kubectl built from k8s.io/kubernetes (a wrapper module
# whose `replace` lines point the staging modules at the published k8s.io/* of the same release),
# etcd from Debian's etcd-server. Cached in .tools/; state in a scratch folder.
#
#   scripts/k8s-engine.sh build | start | stop | kubectl ARGS...
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tools=${STACKYARD_TOOLS:-$root/.tools}
SCRATCH=${STACKYARD_SCRATCH:-/var/tmp/stackyard}/k8s
PORT=${STACKYARD_K8S_PORT:-16443}
TOKEN=stackyard-validate
fail() { printf 'k8s-engine: %s\n' "$*" >&2; exit 1; }

. "$root/scripts/lib/kube.sh"
# about 4 minutes on 2 cores the first time
build() { build_kube kube-apiserver kubectl; }

kubectl_() { "$tools/bin/kubectl" --server="https://127.0.0.1:$PORT" --token="$TOKEN" --insecure-skip-tls-verify "$@"; }

start() {
  build
  command -v etcd >/dev/null || { apt-get install -y -qq etcd-server >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq etcd-server >/dev/null; }; } || fail "cannot install Debian's etcd-server"
  if kubectl_ get --raw=/readyz >/dev/null 2>&1; then echo "kubernetes api: already answering on :$PORT"; return; fi
  stop >/dev/null   # a half-started earlier instance of ours
  for p in "$PORT" 12379; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then fail "port $p is in use by another program; stop it (or set STACKYARD_K8S_PORT for the API server)"; fi
  done
  rm -rf "$SCRATCH" && mkdir -p "$SCRATCH"
  openssl genrsa -out "$SCRATCH/sa.key" 2048 2>/dev/null
  echo "$TOKEN,stackyard,stackyard,system:masters" > "$SCRATCH/tokens.csv"
  nohup etcd --data-dir "$SCRATCH/etcd" --listen-client-urls http://127.0.0.1:12379 --advertise-client-urls http://127.0.0.1:12379 \
    --listen-peer-urls http://127.0.0.1:12380 >"$SCRATCH/etcd.log" 2>&1 &
  echo $! > "$SCRATCH/etcd.pid"
  # --allow-privileged as kubeadm and most distributions set it (the NFS server needs it)
  nohup "$tools/bin/kube-apiserver" --etcd-servers=http://127.0.0.1:12379 --secure-port="$PORT" --bind-address=127.0.0.1 \
    --cert-dir="$SCRATCH/certs" --service-account-issuer=https://kubernetes.default.svc --service-account-key-file="$SCRATCH/sa.key" \
    --service-account-signing-key-file="$SCRATCH/sa.key" --token-auth-file="$SCRATCH/tokens.csv" --authorization-mode=RBAC \
    --allow-privileged=true --service-cluster-ip-range=10.96.0.0/16 >"$SCRATCH/apiserver.log" 2>&1 &
  echo $! > "$SCRATCH/apiserver.pid"
  for _ in $(seq 1 60); do kubectl_ get --raw=/readyz >/dev/null 2>&1 && break; sleep 1; done
  kubectl_ get --raw=/readyz >/dev/null 2>&1 || { tail -20 "$SCRATCH/apiserver.log" >&2; fail "the API server did not become ready"; }
  echo "kubernetes api $K8S_VERSION ready on :$PORT (etcd $(etcd --version | head -1 | awk '{print $3}'))"
}

stop() {
  for p in apiserver etcd; do
    [ -f "$SCRATCH/$p.pid" ] || continue
    local pid; pid=$(cat "$SCRATCH/$p.pid")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    rm -f "$SCRATCH/$p.pid"
  done
  echo "kubernetes api: stopped"
}

case "${1:-start}" in
  build) build ;;
  start) start ;;
  stop) stop ;;
  kubectl) shift; kubectl_ "$@" ;;
  *) echo "usage: $0 build|start|stop|kubectl ARGS" >&2; exit 2 ;;
esac
