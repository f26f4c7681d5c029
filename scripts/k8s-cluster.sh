#!/usr/bin/env bash
# A real single-node Kubernetes cluster, built and run by the project itself (no registry but the
# Go module proxy and Debian): etcd (Debian's etcd-server); kube-apiserver, kube-controller-manager,
# kube-scheduler, kubelet and kube-proxy built from k8s.io/kubernetes (the wrapper module of
# scripts/k8s-engine.sh); Debian's containerd + runc and CNI plugins (bridge, host-local, loopback,
# portmap, firewall); a pause image, a CoreDNS image and a Traefik image (the ingress controller)
# built here from Go and imported into containerd's k8s.io namespace; a default StorageClass
# backed by host folders.
# Runs as root. State in /var/tmp/stackyard/k8s-node, sockets in /run/stackyard-k8s.
# Ports differ from scripts/k8s-engine.sh (validate:k8s), so both can run at once.
#
#   scripts/k8s-cluster.sh build | up | down | status | leftovers | kubectl ARGS... | ingress-url | load-images IMAGE...
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tools=${STACKYARD_TOOLS:-$root/.tools}
STATE=${STACKYARD_SCRATCH:-/var/tmp/stackyard}/k8s-node
RUN=/run/stackyard-k8s
COREDNS_VERSION=v1.14.7
API_PORT=${STACKYARD_K8S_NODE_PORT:-17443}
ETCD_PORT=22379                  # k8s-engine.sh uses 12379/12380
NODE=stackyard-node
POD_CIDR=10.244.0.0/24
SERVICE_CIDR=10.97.0.0/16        # k8s-engine.sh uses 10.96.0.0/16 (no traffic, but keep them apart)
API_SERVICE_IP=10.97.0.1
DNS_IP=10.97.0.10
PAUSE_IMAGE=stackyard.local/pause:1
COREDNS_IMAGE=stackyard.local/coredns:${COREDNS_VERSION#v}
HTTP_NODE_PORT=${STACKYARD_K8S_HTTP_PORT:-30080}   # the ingress controller, on the node's address
export GOFLAGS=-buildvcs=false GOTOOLCHAIN=${GOTOOLCHAIN:-local}
fail() { printf 'k8s-cluster: %s\n' "$*" >&2; exit 1; }
say() { printf 'k8s-cluster: %s\n' "$*"; }
BIN=$tools/bin
NODE_BINS="kube-controller-manager kube-scheduler kubelet kube-proxy"

# ---------------------------------------------------------------- build (cached in .tools/bin)
. "$root/scripts/lib/gobuild.sh"   # build (a Go module's command), build_traefik
. "$root/scripts/lib/kube.sh"      # build_kube, K8S_VERSION

build_coredns() {
  grep -q "${COREDNS_VERSION#v}" <<<"$("$BIN/coredns" -version 2>/dev/null || true)" && return 0
  say "building coredns $COREDNS_VERSION"
  CGO_ENABLED=0 build coredns github.com/coredns/coredns "$COREDNS_VERSION" github.com/coredns/coredns "$BIN/coredns"
}

build_pause() {
  [ -x "$BIN/pause" ] && [ "$BIN/pause" -nt "$root/scripts/k8s/pause/main.go" ] && return
  (cd "$root/scripts/k8s/pause" && CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o "$BIN/pause" .) || fail "building pause failed"
}

# shellcheck disable=SC2086 # NODE_BINS is a list of names
build_all() { build_kube kube-apiserver kubectl $NODE_BINS; build_pause; build_coredns; build_traefik; }

# ---------------------------------------------------------------- up
KUBECONFIG_ADMIN=$STATE/pki/admin.kubeconfig
kubectl_() { "$BIN/kubectl" --kubeconfig="$KUBECONFIG_ADMIN" "$@"; }
ctr_() { ctr --address "$RUN/containerd.sock" -n k8s.io "$@"; }
node_ip() { ip -4 route get 1.1.1.1 2>/dev/null | sed -n 's/.* src \([0-9.]*\).*/\1/p' | head -1; }

need_packages() {
  local missing=""
  command -v etcd >/dev/null || missing="$missing etcd-server"
  command -v containerd >/dev/null || missing="$missing containerd"
  command -v runc >/dev/null || missing="$missing runc"
  [ -x /usr/lib/cni/bridge ] || missing="$missing containernetworking-plugins"
  command -v iptables >/dev/null || missing="$missing iptables"
  [ -z "$missing" ] && return
  say "installing Debian's$missing"
  # shellcheck disable=SC2086
  { apt-get install -y -qq $missing >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null; }; } \
    || fail "cannot install$missing"
}

# cert NAME CN [O] [SANS]: a key and a certificate signed by the cluster CA
cert() {
  local name=$1 cn=$2 o=${3:-} sans=${4:-} d=$STATE/pki
  [ -s "$d/$name.crt" ] && return
  local subj="/CN=$cn"; [ -n "$o" ] && subj="/O=$o$subj"
  openssl genrsa -out "$d/$name.key" 2048 2>/dev/null
  openssl req -new -key "$d/$name.key" -subj "$subj" -out "$d/$name.csr" 2>/dev/null
  local ext="$d/$name.ext"
  { echo "basicConstraints=CA:FALSE"; echo "keyUsage=critical,digitalSignature,keyEncipherment"
    if [ -n "$sans" ]; then echo "extendedKeyUsage=serverAuth,clientAuth"; echo "subjectAltName=$sans"; else echo "extendedKeyUsage=clientAuth"; fi; } > "$ext"
  openssl x509 -req -in "$d/$name.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial -days 3650 -sha256 \
    -extfile "$ext" -out "$d/$name.crt" 2>/dev/null || fail "signing $name failed"
  rm -f "$d/$name.csr" "$d/$name.ext"
}

kubeconfig() { # NAME: a kubeconfig with that client certificate
  local d=$STATE/pki
  cat > "$d/$1.kubeconfig" <<KC
apiVersion: v1
kind: Config
clusters: [{name: stackyard, cluster: {server: "https://127.0.0.1:$API_PORT", certificate-authority: "$d/ca.crt"}}]
users: [{name: $1, user: {client-certificate: "$d/$1.crt", client-key: "$d/$1.key"}}]
contexts: [{name: stackyard, context: {cluster: stackyard, user: $1}}]
current-context: stackyard
KC
}

pki() {
  local d=$STATE/pki ip=$1
  mkdir -p "$d" && chmod 700 "$d"
  # the API server certificate names the node address it was made for; a new address, new certificates
  if [ -s "$d/node-ip" ] && [ "$(cat "$d/node-ip")" != "$ip" ]; then rm -rf "${d:?}"/*; fi
  echo "$ip" > "$d/node-ip"
  if [ ! -s "$d/ca.crt" ]; then
    openssl req -x509 -newkey rsa:2048 -nodes -keyout "$d/ca.key" -out "$d/ca.crt" -days 3650 -subj "/CN=stackyard-k8s-ca" 2>/dev/null
  fi
  [ -s "$d/sa.key" ] || openssl genrsa -out "$d/sa.key" 2048 2>/dev/null
  cert apiserver kube-apiserver "" "IP:127.0.0.1,IP:$ip,IP:$API_SERVICE_IP,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
  cert apiserver-kubelet-client kube-apiserver-kubelet-client system:masters
  cert admin stackyard-admin system:masters
  cert controller-manager system:kube-controller-manager
  cert scheduler system:kube-scheduler
  cert kubelet "system:node:$NODE" system:nodes
  cert kube-proxy system:kube-proxy
  cert coredns system:coredns
  for k in admin controller-manager scheduler kubelet kube-proxy; do kubeconfig "$k"; done
}

# start NAME COMMAND...: a background process with its pid and log in $STATE
start_bg() {
  local name=$1; shift
  nohup "$@" >"$STATE/log/$name.log" 2>&1 &
  echo $! > "$STATE/run/$name.pid"
}
running() { [ -f "$STATE/run/$1.pid" ] && kill -0 "$(cat "$STATE/run/$1.pid")" 2>/dev/null; }
wait_for() { # WHAT SECONDS COMMAND...
  local what=$1 secs=$2; shift 2
  for _ in $(seq 1 $((secs * 2))); do "$@" >/dev/null 2>&1 && return 0; sleep 0.5; done
  fail "$what did not come up in ${secs}s (logs in $STATE/log)"
}

write_configs() {
  local ip=$1
  mkdir -p "$STATE/cni" "$STATE/cni-ipam" "$STATE/containerd" "$RUN" "$STATE/pod-logs" "$STATE/kubelet" "$STATE/volumes"
  cat > "$STATE/containerd.toml" <<TOML
version = 2
root = "$STATE/containerd"
state = "$RUN/containerd"
[grpc]
  address = "$RUN/containerd.sock"
[plugins."io.containerd.internal.v1.opt"]
  path = "$STATE/containerd-opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE_IMAGE"
  enable_selinux = false
  # the VM's root lacks CAP_SYS_RESOURCE: oom_score_adj can only be raised, never set below the
  # runtime's own (0). Without this, every sandbox fails at runc's "oom_score_adj to -998".
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$STATE/cni"
TOML
  cat > "$STATE/cni/10-stackyard.conflist" <<CNI
{
  "cniVersion": "1.0.0",
  "name": "stackyard",
  "plugins": [
    { "type": "bridge", "bridge": "syk8s0", "isGateway": true, "ipMasq": true, "hairpinMode": true,
      "ipam": { "type": "host-local", "dataDir": "$STATE/cni-ipam", "ranges": [[{ "subnet": "$POD_CIDR" }]], "routes": [{ "dst": "0.0.0.0/0" }] } },
    { "type": "portmap", "capabilities": { "portMappings": true } },
    { "type": "firewall" }
  ]
}
CNI
  cat > "$STATE/kubelet.yaml" <<KUBELET
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
# these machines run cgroup v1 (with every controller); kubelets since 1.35 refuse it unless told
failCgroupV1: false
cgroupDriver: cgroupfs
containerRuntimeEndpoint: unix://$RUN/containerd.sock
authentication:
  anonymous: { enabled: false }
  webhook: { enabled: false }
  x509: { clientCAFile: $STATE/pki/ca.crt }
authorization: { mode: AlwaysAllow }
address: $ip
port: 20250
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: 20248
clusterDomain: cluster.local
clusterDNS: [$DNS_IP]
podLogsDir: $STATE/pod-logs
failSwapOn: false
oomScoreAdj: 0
serializeImagePulls: false
imageGCHighThresholdPercent: 99
imageGCLowThresholdPercent: 98
evictionHard: { memory.available: 100Mi, nodefs.available: 2%, imagefs.available: 2% }
KUBELET
  cat > "$STATE/kube-proxy.yaml" <<PROXY
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection: { kubeconfig: $STATE/pki/kube-proxy.kubeconfig }
hostnameOverride: $NODE
mode: iptables
clusterCIDR: 10.244.0.0/16
bindAddress: $ip
healthzBindAddress: 127.0.0.1:20256
metricsBindAddress: 127.0.0.1:20249
iptables: { localhostNodePorts: false }
conntrack: { maxPerCore: 0 }
oomScoreAdj: 0
PROXY
}

# docker-archive IMAGE ROOTFS_DIR ENTRYPOINT_JSON OUT: a one-layer image tarball, no Docker needed
image_tar() {
  local ref=$1 rootfs=$2 entry=$3 out=$4 t; t=$(mktemp -d)
  tar -C "$rootfs" --numeric-owner --owner=0 --group=0 --mtime=@0 -cf "$t/layer.tar" .
  local diff; diff=$(sha256sum "$t/layer.tar" | cut -d' ' -f1)
  printf '{"architecture":"amd64","os":"linux","config":{"Entrypoint":%s},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' "$entry" "$diff" > "$t/config.json"
  printf '[{"Config":"config.json","RepoTags":["%s"],"Layers":["layer.tar"]}]' "$ref" > "$t/manifest.json"
  tar -C "$t" -cf "$out" manifest.json config.json layer.tar
  rm -rf "$t"
}

# with_libs ROOTFS BINARY: the shared libraries a binary links (Traefik is built with cgo: glibc), at
# their paths, so the one-layer image runs the very binary the Docker target's image holds
with_libs() {
  local lib
  for lib in $(ldd "$2" 2>/dev/null | grep -o '/[^ ]*'); do
    mkdir -p "$1$(dirname "$lib")" && cp -L "$lib" "$1$lib"
  done
}
traefik_image() { echo "stackyard.local/traefik:${TRAEFIK_VERSION#v}"; }
has_image() { ctr_ images ls -q 2>/dev/null | grep -qxF "$1"; }

system_images() {
  local t; t=$(mktemp -d)
  if ! has_image "$PAUSE_IMAGE"; then
    mkdir -p "$t/pause" && cp "$BIN/pause" "$t/pause/pause"
    image_tar "$PAUSE_IMAGE" "$t/pause" '["/pause"]' "$t/pause.tar" && ctr_ images import "$t/pause.tar" >/dev/null
  fi
  if ! has_image "$(traefik_image)"; then
    mkdir -p "$t/traefik" && cp "$BIN/traefik" "$t/traefik/traefik" && with_libs "$t/traefik" "$BIN/traefik"
    image_tar "$(traefik_image)" "$t/traefik" '["/traefik"]' "$t/traefik.tar" && ctr_ images import "$t/traefik.tar" >/dev/null
  fi
  if ! has_image "$COREDNS_IMAGE"; then
    mkdir -p "$t/coredns/etc" && cp "$BIN/coredns" "$t/coredns/coredns" && echo 'nobody:x:65534:65534::/:/bin/false' > "$t/coredns/etc/passwd"
    image_tar "$COREDNS_IMAGE" "$t/coredns" '["/coredns"]' "$t/coredns.tar" && ctr_ images import "$t/coredns.tar" >/dev/null
  fi
  rm -rf "$t"
}

# cluster add-ons: CoreDNS for service names, Traefik for Ingresses, host-folder volumes for the storage classes
addons() {
  sed -e "s|@DNS_IP@|$DNS_IP|g" -e "s|@COREDNS_IMAGE@|$COREDNS_IMAGE|g" "$root/scripts/k8s/coredns.yaml" | kubectl_ apply -f - >/dev/null
  sed -e "s|@TRAEFIK_IMAGE@|$(traefik_image)|g" -e "s|@HTTP_NODE_PORT@|$HTTP_NODE_PORT|g" "$root/scripts/k8s/traefik.yaml" | kubectl_ apply -f - >/dev/null
  local classes=${STACKYARD_K8S_STORAGE_CLASSES:-standard local-path} c i first=1
  for c in $classes; do
    {
      cat <<SC
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: $c
  annotations: { storageclass.kubernetes.io/is-default-class: "$([ $first = 1 ] && echo true || echo false)" }
provisioner: kubernetes.io/no-provisioner
volumeBindingMode: WaitForFirstConsumer
reclaimPolicy: Retain
SC
      for i in $(seq 1 8); do
        cat <<PV
---
apiVersion: v1
kind: PersistentVolume
metadata: { name: $c-$i, labels: { stackyard.dev/node-volume: "true" } }
spec:
  capacity: { storage: 50Gi }
  accessModes: [ReadWriteOnce]
  persistentVolumeReclaimPolicy: Retain
  storageClassName: $c
  hostPath: { path: $STATE/volumes/$c-$i, type: DirectoryOrCreate }
  nodeAffinity:
    required:
      nodeSelectorTerms: [{ matchExpressions: [{ key: kubernetes.io/hostname, operator: In, values: [$NODE] }] }]
PV
      done
    } | kubectl_ apply -f - >/dev/null
    first=0
  done
}

up() {
  [ "$(id -u)" = 0 ] || fail "the node runs as root (containers, mounts, iptables)"
  local started; started=$(date +%s)
  need_packages
  build_all
  if running kubelet && kubectl_ get --raw=/readyz >/dev/null 2>&1; then say "already up (kubectl: $0 kubectl ...)"; return; fi
  down >/dev/null 2>&1 || true   # a half-started earlier instance of ours
  for p in "$API_PORT" "$ETCD_PORT" 20250 20257 20259; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then fail "port $p is in use by another program"; fi
  done
  local ip; ip=$(node_ip); [ -n "$ip" ] || fail "no IPv4 default route: cannot pick the node address"
  mkdir -p "$STATE/log" "$STATE/run"
  pki "$ip"
  write_configs "$ip"
  sysctl -qw net.ipv4.ip_forward=1 net.bridge.bridge-nf-call-iptables=1 >/dev/null 2>&1 || true

  start_bg containerd containerd --config "$STATE/containerd.toml"
  start_bg etcd etcd --data-dir "$STATE/etcd" --listen-client-urls "http://127.0.0.1:$ETCD_PORT" \
    --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" --listen-peer-urls "http://127.0.0.1:$((ETCD_PORT + 1))" \
    --initial-advertise-peer-urls "http://127.0.0.1:$((ETCD_PORT + 1))" --initial-cluster "default=http://127.0.0.1:$((ETCD_PORT + 1))"
  local p=$STATE/pki
  start_bg kube-apiserver "$BIN/kube-apiserver" --etcd-servers="http://127.0.0.1:$ETCD_PORT" \
    --advertise-address="$ip" --bind-address=0.0.0.0 --secure-port="$API_PORT" \
    --tls-cert-file="$p/apiserver.crt" --tls-private-key-file="$p/apiserver.key" --client-ca-file="$p/ca.crt" \
    --kubelet-client-certificate="$p/apiserver-kubelet-client.crt" --kubelet-client-key="$p/apiserver-kubelet-client.key" \
    --service-account-issuer=https://kubernetes.default.svc.cluster.local --service-account-key-file="$p/sa.key" \
    --service-account-signing-key-file="$p/sa.key" --authorization-mode=Node,RBAC --enable-admission-plugins=NodeRestriction \
    --allow-privileged=true --service-cluster-ip-range="$SERVICE_CIDR" --endpoint-reconciler-type=lease \
    --kubelet-preferred-address-types=InternalIP,Hostname
  wait_for "the API server" 90 kubectl_ get --raw=/readyz
  start_bg kube-controller-manager "$BIN/kube-controller-manager" --kubeconfig="$p/controller-manager.kubeconfig" \
    --authentication-kubeconfig="$p/controller-manager.kubeconfig" --authorization-kubeconfig="$p/controller-manager.kubeconfig" \
    --bind-address=127.0.0.1 --secure-port=20257 --leader-elect=false --use-service-account-credentials=true \
    --service-account-private-key-file="$p/sa.key" --root-ca-file="$p/ca.crt" \
    --cluster-signing-cert-file="$p/ca.crt" --cluster-signing-key-file="$p/ca.key" \
    --allocate-node-cidrs=true --cluster-cidr=10.244.0.0/16 --node-cidr-mask-size=24 --service-cluster-ip-range="$SERVICE_CIDR"
  start_bg kube-scheduler "$BIN/kube-scheduler" --kubeconfig="$p/scheduler.kubeconfig" \
    --authentication-kubeconfig="$p/scheduler.kubeconfig" --authorization-kubeconfig="$p/scheduler.kubeconfig" \
    --bind-address=127.0.0.1 --secure-port=20259 --leader-elect=false
  wait_for containerd 30 ctr_ version
  system_images
  start_bg kubelet "$BIN/kubelet" --config="$STATE/kubelet.yaml" --kubeconfig="$p/kubelet.kubeconfig" \
    --root-dir="$STATE/kubelet" --hostname-override="$NODE" --node-ip="$ip"
  start_bg kube-proxy "$BIN/kube-proxy" --config="$STATE/kube-proxy.yaml"
  wait_for "the node" 120 sh -c "'$BIN/kubectl' --kubeconfig='$KUBECONFIG_ADMIN' get node $NODE -o jsonpath='{.status.conditions[?(@.type==\"Ready\")].status}' | grep -qx True"
  addons
  wait_for "CoreDNS" 120 kubectl_ -n kube-system rollout status deployment/coredns --timeout=5s
  wait_for "Traefik" 120 kubectl_ -n traefik rollout status deployment/traefik --timeout=5s
  say "up in $(( $(date +%s) - started ))s: Kubernetes $K8S_VERSION on $ip:$API_PORT, node $NODE (containerd $(containerd --version | awk '{print $3}'))"
  say "ingress: $(ingress_url) (Traefik $TRAEFIK_VERSION; send the route's Host header)"
  say "kubectl: KUBECONFIG=$KUBECONFIG_ADMIN $BIN/kubectl (or $0 kubectl ...)"
}

# where the ingress controller answers: the node's address and the Traefik NodePort
ingress_url() { echo "http://$(cat "$STATE/pki/node-ip"):$HTTP_NODE_PORT"; }

# ---------------------------------------------------------------- down
stop_pid() { # NAME: stop a process this script started, TERM then KILL
  local f=$STATE/run/$1.pid pid
  [ -f "$f" ] || return 0
  pid=$(cat "$f")
  if kill "$pid" 2>/dev/null; then
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$f"
}

# processes whose command line names our containerd socket (its shims), by pid
our_shims() {
  local p
  for p in /proc/[0-9]*; do
    tr '\0' ' ' 2>/dev/null < "$p/cmdline" | grep -qF -- "-address $RUN/containerd.sock" && echo "${p#/proc/}"
  done
  return 0
}

down() {
  [ "$(id -u)" = 0 ] || fail "down needs root"
  # 1. let the kubelet stop every pod the normal way (CNI DEL, volume unmounts), with nothing to recreate them
  if running kubelet && kubectl_ get --raw=/readyz >/dev/null 2>&1; then
    kubectl_ delete deployments,statefulsets,daemonsets,replicasets,jobs,cronjobs --all -A --wait=false >/dev/null 2>&1 || true
    timeout 60 "$BIN/kubectl" --kubeconfig="$KUBECONFIG_ADMIN" delete pods --all -A --grace-period=2 --timeout=55s >/dev/null 2>&1 || true
  fi
  local c
  for c in kube-proxy kubelet kube-scheduler kube-controller-manager; do stop_pid "$c"; done
  # 2. whatever is left in the runtime: kill, delete, and drop the sandboxes' network namespaces
  local netns=""
  if running containerd; then
    for c in $(ctr_ containers ls -q 2>/dev/null); do
      netns="$netns $(ctr_ containers info "$c" 2>/dev/null | sed -n 's/.*"path": "\(\/var\/run\/netns\/cni-[^"]*\|\/run\/netns\/cni-[^"]*\)".*/\1/p' | head -1)"
      ctr_ tasks kill -s SIGKILL "$c" >/dev/null 2>&1 || true
    done
    sleep 1
    for c in $(ctr_ containers ls -q 2>/dev/null); do
      ctr_ tasks delete -f "$c" >/dev/null 2>&1 || true
      ctr_ containers delete "$c" >/dev/null 2>&1 || true
    done
  fi
  stop_pid containerd
  for c in $(our_shims); do kill -9 "$c" 2>/dev/null || true; done
  stop_pid kube-apiserver
  stop_pid etcd
  # 3. mounts below our folders (pod volumes, container root filesystems, shm), deepest first
  awk -v s="$STATE/" -v r="$RUN/" 'index($2, s) == 1 || index($2, r) == 1 {print $2}' /proc/self/mounts | sort -r \
    | while read -r m; do umount -l "$m" 2>/dev/null || true; done
  for c in $netns; do [ -e "$c" ] && { umount -l "$c" 2>/dev/null || true; rm -f "$c"; }; done
  # 4. network: the pod bridge, kube-proxy's rules, the CNI plugins' rules for our network
  ip link del syk8s0 2>/dev/null || true
  [ -x "$BIN/kube-proxy" ] && "$BIN/kube-proxy" --cleanup >/dev/null 2>&1 || true
  local t rule chain
  for t in nat filter; do
    { iptables -t "$t" -S 2>/dev/null || true; } | awk '/^-A/ && index($0, "name: \\\"stackyard\\\"")' | while read -r rule; do
      # shellcheck disable=SC2086
      eval "iptables -t $t ${rule/-A/-D}" 2>/dev/null || true
    done
    for chain in $(iptables -t "$t" -S 2>/dev/null | sed -n 's/^-N \(CNI-[0-9a-f]\{24\}\)$/\1/p'); do
      iptables -t "$t" -F "$chain" 2>/dev/null; iptables -t "$t" -X "$chain" 2>/dev/null || true
    done
  done
  # the kubelet's own chains and the CNI firewall plugin's (no other CNI network runs on these machines)
  local ipt
  for ipt in iptables ip6tables; do
    for t in filter nat mangle; do
      { "$ipt" -t "$t" -S 2>/dev/null || true; } | awk '/^-A (INPUT|OUTPUT|FORWARD|PREROUTING|POSTROUTING) .*-j (KUBE-FIREWALL|KUBE-KUBELET-CANARY|CNI-FORWARD)$/' \
        | while read -r rule; do eval "$ipt -t $t ${rule/-A/-D}" 2>/dev/null || true; done
      for chain in KUBE-FIREWALL KUBE-KUBELET-CANARY KUBE-IPTABLES-HINT CNI-FORWARD CNI-ADMIN; do
        "$ipt" -t "$t" -F "$chain" 2>/dev/null && "$ipt" -t "$t" -X "$chain" 2>/dev/null || true
      done
    done
  done
  # 5. the kubelet's cgroups (empty now)
  for c in /sys/fs/cgroup/*/kubepods /sys/fs/cgroup/*/kubepods.slice; do
    [ -d "$c" ] && find "$c" -depth -type d -exec rmdir {} \; 2>/dev/null || true
  done
  # 6. cluster state; the image store (containerd root) and certificates stay for the next `up`
  rm -rf "$STATE/etcd" "$STATE/kubelet" "$STATE/pod-logs" "$STATE/cni-ipam" "$STATE/volumes" "$STATE/run" "$RUN"
  local left; left=$(leftovers)
  [ -z "$left" ] || fail "down left these behind:"$'\n'"$left"
  say "down: nothing of the cluster is running (no process, mount, network namespace, bridge, iptables chain or pod cgroup of it)"
}

# leftovers: what of the cluster is still on the host, one line each (nothing when it is down)
leftovers() {
  local p cmd m t ipt
  for p in /proc/[0-9]*; do
    cmd=$(tr '\0' ' ' 2>/dev/null < "$p/cmdline") || continue
    case "$cmd" in *"$STATE/"*|*"$RUN/"*|"$BIN/kube"*) echo "process ${p#/proc/}: $cmd" ;; esac
  done
  for m in /sys/fs/cgroup/*/kubepods /sys/fs/cgroup/*/kubepods.slice; do
    [ -d "$m" ] || continue
    find "$m" -name cgroup.procs -exec cat {} + 2>/dev/null | sed "s|^|process in $m: |"
  done
  awk -v s="$STATE/" -v r="$RUN/" 'index($2, s) == 1 || index($2, r) == 1 || $2 ~ "^/(var/)?run/netns/cni-" {print "mount " $2}' /proc/self/mounts
  for m in /var/run/netns/cni-* /run/netns/cni-*; do [ -e "$m" ] && echo "network namespace $m"; done
  ip link show syk8s0 >/dev/null 2>&1 && echo "bridge syk8s0"
  for ipt in iptables ip6tables; do
    for t in filter nat mangle; do
      { "$ipt" -t "$t" -S 2>/dev/null || true; } | sed -n "s/^-N \(\(KUBE\|CNI\)-.*\)/$ipt -t $t chain \1/p"
    done
  done
  return 0
}

# recycle-volumes: node volumes whose claim was deleted (Released) are emptied and offered again,
# as a dynamic provisioner's new volume would be (the classes keep claims' data while they exist)
recycle_volumes() {
  local pv
  for pv in $(kubectl_ get pv -l stackyard.dev/node-volume=true -o jsonpath='{range .items[?(@.status.phase=="Released")]}{.metadata.name}{"\n"}{end}'); do
    rm -rf "${STATE:?}/volumes/$pv"
    kubectl_ patch pv "$pv" --type json -p '[{"op":"remove","path":"/spec/claimRef"}]' >/dev/null
    echo "recycled $pv"
  done
}

status() {
  local c any=0
  for c in containerd etcd kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy; do
    if running "$c"; then echo "$c: running (pid $(cat "$STATE/run/$c.pid"))"; any=1; else echo "$c: stopped"; fi
  done
  [ $any = 1 ] && kubectl_ get nodes -o wide 2>/dev/null || true
}

# Images from the local Docker engine into the node's runtime. SPEC is IMAGE[=NAME]: NAME is the
# reference the manifests use when the local image is a stand-in under another name.
#   save-images SPEC...    docker save into $STATE/images (the caller holds the Docker lock)
#   import-images SPEC...  import those tarballs into containerd (no Docker involved)
#   load-images SPEC...    both, taking the Docker lock only for the saves
mark_of() { echo "$STATE/images/$(printf '%s' "$1" | tr '/:' '__')"; }
save_images() {
  local spec src dst id m
  mkdir -p "$STATE/images"
  for spec in "$@"; do
    src=${spec%%=*}; dst=${spec#*=}; m=$(mark_of "$dst")
    id=$(docker image inspect -f '{{.Id}}' "$src") || fail "no local image $src"
    if [ "$(cat "$m.id" 2>/dev/null)" = "$id" ] && [ -s "$m.tar" ]; then touch "$m.tar"; continue; fi
    docker save "$src" -o "$m.tar.tmp" && mv "$m.tar.tmp" "$m.tar" || fail "docker save $src failed"
    echo "$id" > "$m.id"
  done
}
import_images() {
  local spec src dst m
  for spec in "$@"; do
    src=${spec%%=*}; dst=${spec#*=}; m=$(mark_of "$dst")
    [ -s "$m.tar" ] || fail "no saved image for $dst (save-images first)"
    if cmp -s "$m.id" "$m.imported" && has_image "$(normalize "$dst")"; then echo "cached $dst"; continue; fi
    ctr_ images import "$m.tar" >/dev/null || fail "importing $src failed"
    if [ "$dst" != "$src" ]; then
      ctr_ images tag --force "$(normalize "$src")" "$(normalize "$dst")" >/dev/null || fail "tagging $dst failed"
    fi
    cp "$m.id" "$m.imported"
    echo "loaded $dst (from $src)"
  done
}
load_images() {
  flock -o /tmp/stackyard-docker.lock bash "$0" save-images "$@"
  import_images "$@"
}
# a Docker short reference as containerd names it (docker.io/library/postgres:17)
normalize() {
  local r=$1
  case "$r" in */*) ;; *) r="library/$r" ;; esac
  case "${r%%/*}" in *.*|*:*|localhost) ;; *) r="docker.io/$r" ;; esac
  echo "$r"
}

case "${1:-}" in
  build) build_all ;;
  up) up ;;
  down) down ;;
  status) status ;;
  kubectl) shift; kubectl_ "$@" ;;
  ingress-url) ingress_url ;;
  load-images) shift; load_images "$@" ;;
  save-images) shift; save_images "$@" ;;
  import-images) shift; import_images "$@" ;;
  recycle-volumes) recycle_volumes ;;
  leftovers) leftovers ;;
  *) echo "usage: $0 build|up|down|status|leftovers|kubectl ARGS|ingress-url|load-images IMAGE[=NAME]..." >&2; exit 2 ;;
esac
