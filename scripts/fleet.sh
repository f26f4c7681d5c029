#!/usr/bin/env bash
# A test fleet of three Docker hosts on this machine, reached only over ssh:// (issue 14).
#
#   scripts/fleet.sh up                 make (or finish making) the fleet; idempotent
#   scripts/fleet.sh down               remove everything `up` made, a half-made fleet included
#   scripts/fleet.sh status             one line per host and for the registry; exit 1 when something is down
#   scripts/fleet.sh push               (re)push the stand-in images to the fleet registry
#                                       (STACKYARD_FLEET_SEED003=1 on up/push: seed 003's images too)
#   scripts/fleet.sh ssh-stop HOST      stop that host's sshd (fault tests); ssh-start HOST starts it again
#   scripts/fleet.sh dockerd-restart HOST
#                                       stop that host's dockerd (it stops its containers) and start it
#                                       again, as a host's `systemctl restart docker` (fault tests)
#
# Each host (core, worker-1, worker-2) is a network namespace on one bridge, with its own dockerd
# (own data root, exec root, /run, cgroup parent and bridge) and its own sshd whose sessions get
# DOCKER_HOST pointing at that host's engine. Namespaces have no default route: they reach each
# other, the bridge address and loopback, nothing else. A CNCF distribution registry (Debian's
# docker-registry package) runs on core with htpasswd (bcrypt) auth; every dockerd trusts it over
# plain HTTP. Everything lives in $STACKYARD_SCRATCH/fleet (default /var/tmp/stackyard/fleet);
# fleet.json there describes the fleet for the tests. Needs root.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
SCRATCH=${STACKYARD_SCRATCH:-/var/tmp/stackyard}
FLEET=$SCRATCH/fleet
DOCKER_LOCK=${STACKYARD_DOCKER_LOCK:-/tmp/stackyard-docker.lock}   # the main engine is shared

# The layout: host name, last octet of its address, third octet of its docker bridge.
HOSTS=(core worker-1 worker-2)
declare -A OCTET=([core]=2 [worker-1]=3 [worker-2]=4)
declare -A BIP=([core]=172.30.2.1/24 [worker-1]=172.30.3.1/24 [worker-2]=172.30.4.1/24)
NET=10.231.0
BRIDGE=syfleet0
NS_PREFIX=syfleet-           # network namespaces: syfleet-core, ...
VETH_PREFIX=syf-             # root ends of the veth pairs: syf-core, ...
CGROUP_PREFIX=stackyard-fleet-
REGISTRY_HOST=core
REGISTRY=$NET.${OCTET[$REGISTRY_HOST]}:5000
REGISTRY_USER=stackyard
# The CNCF distribution registry as Debian packages it (docker-registry 2.8.2, the same program
# ghcr.io-style registries speak to); packaged, so a cold machine installs it in seconds instead of
# building it from the Go module proxy (about 9 minutes here).
REGISTRY_BIN=/usr/bin/docker-registry
# Stand-in images (scripts/images.sh) the fleet environments pull through the registry.
IMAGES=(stackyard-test/traefik:3.6 stackyard-test/postgres:17 stackyard-test/redis:7 stackyard/demo-app:1 stackyard/demo-app:2)
# STACKYARD_FLEET_SEED003=1: also seed 003's (test/fleet/environments/homelab.yaml), which only
# `scripts/images.sh fleet` builds (the real Jaeger, Ofelia and Prometheus, the ktrdr stand-in)
IMAGES_ARGS=()
if [ "${STACKYARD_FLEET_SEED003:-0}" = 1 ]; then
  IMAGES+=(stackyard-test/prometheus:debian-trixie stackyard-test/jaeger:1.76.0 stackyard-test/ofelia:v0.3.13 stackyard-test/ktrdr:1 stackyard-test/standin:1)
  IMAGES_ARGS=(fleet)
fi

fail() { printf 'fleet: %s\n' "$*" >&2; exit 1; }
say() { printf 'fleet: %s\n' "$*"; }
addr() { echo "$NET.${OCTET[$1]}"; }
ns() { echo "$NS_PREFIX$1"; }
hdir() { echo "$FLEET/hosts/$1"; }
in_ns() { local h=$1; shift; nsenter --net="/var/run/netns/$(ns "$h")" "$@"; }
alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }
host_known() { [ -n "${OCTET[$1]:-}" ] || fail "no fleet host named $1 (hosts: ${HOSTS[*]})"; }
engine_answers() { DOCKER_HOST="unix://$(hdir "$1")/run/docker.sock" timeout 5 docker version --format '{{.Server.Version}}' 2>/dev/null; }
ssh_answers() { timeout 15 ssh -F "$FLEET/ssh/config" "root@$(addr "$1")" docker version --format '{{.Server.Version}}' 2>/dev/null; }
registry_answers() { [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 3 "http://$REGISTRY/v2/" 2>/dev/null)" = 401 ]; }

# --- packages and tools ------------------------------------------------------------------------
ensure_packages() {
  local need=()
  command -v dockerd >/dev/null || need+=(docker.io)
  [ -x /usr/sbin/sshd ] || need+=(openssh-server)
  command -v ssh-keygen >/dev/null || need+=(openssh-client)
  command -v htpasswd >/dev/null || need+=(apache2-utils)
  [ -x "$REGISTRY_BIN" ] || need+=(docker-registry)
  command -v skopeo >/dev/null || need+=(skopeo)
  command -v curl >/dev/null || need+=(curl)
  command -v ip >/dev/null || need+=(iproute2)
  command -v iptables >/dev/null || need+=(iptables)
  if [ ${#need[@]} -gt 0 ]; then
    say "installing ${need[*]}"
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null \
      || fail "could not install ${need[*]} (apt-get install failed)"
  fi
  # Debian's openssh-server may have started the machine's own sshd on install, and on a systemd
  # machine docker-registry its own service on :5000 (/etc/docker/registry): not ours, left alone.
}


# --- network -----------------------------------------------------------------------------------
make_network() {
  ip link show "$BRIDGE" >/dev/null 2>&1 || ip link add "$BRIDGE" type bridge
  [[ "$(ip addr show dev "$BRIDGE")" == *"inet $NET.1/24"* ]] || ip addr add "$NET.1/24" dev "$BRIDGE"
  ip link set "$BRIDGE" up
  # Docker on this machine sets FORWARD's policy to DROP; bridged traffic between the hosts passes it.
  iptables -C FORWARD -i "$BRIDGE" -o "$BRIDGE" -j ACCEPT 2>/dev/null || iptables -I FORWARD -i "$BRIDGE" -o "$BRIDGE" -j ACCEPT
  for h in "${HOSTS[@]}"; do
    local n; n=$(ns "$h")
    [ -e "/var/run/netns/$n" ] || ip netns add "$n"
    if ! ip link show "$VETH_PREFIX$h" >/dev/null 2>&1; then
      ip link add "$VETH_PREFIX$h" type veth peer name eth0 netns "$n"
    fi
    ip link set "$VETH_PREFIX$h" master "$BRIDGE" up
    in_ns "$h" ip link set lo up
    [[ "$(in_ns "$h" ip addr show dev eth0)" == *"inet $(addr "$h")/24"* ]] || in_ns "$h" ip addr add "$(addr "$h")/24" dev eth0
    in_ns "$h" ip link set eth0 up
  done
}

# --- per-host dockerd --------------------------------------------------------------------------
start_dockerd() {
  local h=$1 d; d=$(hdir "$h")
  if engine_answers "$h" >/dev/null; then return; fi
  alive "$d/run/docker.pid" && fail "dockerd of $h runs (pid $(cat "$d/run/docker.pid")) but does not answer; run: npm run fleet -- down"
  mkdir -p "$d/run" "$d/docker"
  # Its own mount namespace whose /run is this host's folder: the socket, exec root and pidfile
  # live there, and containers that mount /var/run/docker.sock (Traefik) reach this engine.
  # nsenter --net only (not `ip netns exec`, which remounts /sys and hides the cgroup mounts).
  nohup nsenter --net="/var/run/netns/$(ns "$h")" unshare --mount --propagation private \
    sh -c 'mount --bind "$1" /run && shift && exec "$@"' sh "$d/run" \
    dockerd --host unix:///run/docker.sock --pidfile /run/docker.pid --exec-root /run/docker \
      --data-root "$d/docker" --bip "${BIP[$h]}" --cgroup-parent "/$CGROUP_PREFIX$h" \
      --insecure-registry "$REGISTRY" --log-level warn \
    >>"$d/dockerd.log" 2>&1 </dev/null &
}

stop_dockerd() {
  local h=$1 d; d=$(hdir "$h")
  alive "$d/run/docker.pid" || return 0
  local pid; pid=$(cat "$d/run/docker.pid")
  kill "$pid"
  # dockerd gives each container its stop timeout, then stops containerd
  for _ in $(seq 1 240); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.5; done
  fail "dockerd of $h (pid $pid) did not stop within 120s"
}

wait_dockerd() {
  local h=$1
  for _ in $(seq 1 120); do engine_answers "$h" >/dev/null && return; sleep 0.5; done
  tail -20 "$(hdir "$h")/dockerd.log" >&2
  fail "dockerd of $h did not answer within 60s (log above: $(hdir "$h")/dockerd.log)"
}

# --- ssh ---------------------------------------------------------------------------------------
make_ssh_client() {
  local s=$FLEET/ssh
  mkdir -p "$s" && chmod 700 "$s"
  [ -f "$s/id_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C stackyard-fleet-deployer -f "$s/id_ed25519"
  cp "$s/id_ed25519.pub" "$s/authorized_keys"
  : > "$s/known_hosts.tmp"
  local names=()
  for h in "${HOSTS[@]}"; do
    local d; d=$(hdir "$h"); mkdir -p "$d"
    [ -f "$d/ssh_host_ed25519_key" ] || ssh-keygen -q -t ed25519 -N '' -C "stackyard-fleet-$h" -f "$d/ssh_host_ed25519_key"
    echo "$(addr "$h") $(cut -d' ' -f1,2 "$d/ssh_host_ed25519_key.pub")" >> "$s/known_hosts.tmp"
    names+=("$(addr "$h")")
  done
  mv "$s/known_hosts.tmp" "$s/known_hosts"
  # The deploy machine's side: pinned host keys, the fleet's key only, fail fast, never prompt.
  cat > "$s/config" <<CFG
# Written by scripts/fleet.sh: how the deploy machine reaches the test fleet (ssh -F this file).
Host ${names[*]}
  User root
  IdentityFile $s/id_ed25519
  IdentitiesOnly yes
  UserKnownHostsFile $s/known_hosts
  GlobalKnownHostsFile /dev/null
  StrictHostKeyChecking yes
  BatchMode yes
  ConnectTimeout 5
  ServerAliveInterval 5
  ServerAliveCountMax 3
  LogLevel ERROR
CFG
}

write_sshd_config() {
  local h=$1 d; d=$(hdir "$h")
  cat > "$d/sshd_config" <<CFG
# Written by scripts/fleet.sh: the sshd of fleet host $h.
ListenAddress $(addr "$h"):22
HostKey $d/ssh_host_ed25519_key
PidFile $d/sshd.pid
AuthorizedKeysFile $FLEET/ssh/authorized_keys
# the fleet's files live under /var/tmp (world-writable): StrictModes would refuse them
StrictModes no
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
PrintMotd no
# many parallel connections during a deploy (one per Docker API connection)
MaxStartups 100:30:200
MaxSessions 100
SetEnv DOCKER_HOST=unix://$d/run/docker.sock
CFG
}

start_sshd() {
  local h=$1 d; d=$(hdir "$h")
  alive "$d/sshd.pid" && return
  write_sshd_config "$h"
  mkdir -p /run/sshd   # privilege separation directory Debian's sshd expects
  in_ns "$h" /usr/sbin/sshd -f "$d/sshd_config" -E "$d/sshd.log" || fail "sshd of $h did not start (see $d/sshd.log)"
}

stop_sshd() {
  local h=$1 d; d=$(hdir "$h")
  if alive "$d/sshd.pid"; then
    local pid; pid=$(cat "$d/sshd.pid")
    kill "$pid"
    for _ in $(seq 1 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  fi
  rm -f "$d/sshd.pid"
}

wait_ssh() {
  local h=$1
  for _ in $(seq 1 40); do ssh_answers "$h" >/dev/null && return; sleep 0.5; done
  ssh -F "$FLEET/ssh/config" "root@$(addr "$h")" docker version >&2 || true
  fail "$h does not answer over ssh://root@$(addr "$h") (above: what ssh said)"
}

# --- registry ----------------------------------------------------------------------------------
start_registry() {
  local r=$FLEET/registry
  mkdir -p "$r/data" && chmod 700 "$r"
  if [ ! -s "$r/password" ]; then
    (umask 077; head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$r/password")
  fi
  # bcrypt, password read from stdin (never on a command line)
  htpasswd -B -i -c "$r/htpasswd" "$REGISTRY_USER" < "$r/password" 2>/dev/null
  (umask 077; printf '{"auths":{"%s":{"auth":"%s"}}}\n' "$REGISTRY" "$(printf '%s:%s' "$REGISTRY_USER" "$(cat "$r/password")" | base64 -w0)" > "$r/auth.json")
  if alive "$r/registry.pid" && registry_answers; then return; fi
  (umask 077; cat > "$r/config.yml" <<CFG
version: 0.1
log: { level: warn }
storage:
  filesystem: { rootdirectory: $r/data }
  delete: { enabled: true }
http:
  addr: $REGISTRY
  secret: $(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
auth:
  htpasswd: { realm: stackyard-fleet, path: $r/htpasswd }
CFG
)
  nohup nsenter --net="/var/run/netns/$(ns "$REGISTRY_HOST")" "$REGISTRY_BIN" serve "$r/config.yml" \
    >>"$r/registry.log" 2>&1 </dev/null &
  echo $! > "$r/registry.pid"
  for _ in $(seq 1 40); do registry_answers && return; sleep 0.25; done
  tail -20 "$r/registry.log" >&2
  fail "the registry did not answer on http://$REGISTRY (log above)"
}

# Images copied from the main engine are kept in $IMAGE_CACHE (docker archives, outside $FLEET:
# `down` keeps them, like the images themselves), each stamped with a digest of the files
# scripts/images.sh builds from; a fleet made again pushes from there without the main engine.
IMAGE_CACHE=$SCRATCH/fleet-images
images_stamp() {
  (cd "$root" && { git ls-files -- scripts/images.sh test/images 2>/dev/null || find scripts/images.sh test/images -type f; } \
    | LC_ALL=C sort | xargs sha256sum | sha256sum | cut -c1-16)
}
cached_archive() { echo "$IMAGE_CACHE/$(tr '/:' '__' <<<"$1").tar"; }

# Copies the stand-in images (built by scripts/images.sh) to the registry: from the cache when it
# is current, else from the main engine, which is shared: used under $DOCKER_LOCK, taken once.
push_images() {
  local r=$FLEET/registry missing=() stale=() stamp
  for i in "${IMAGES[@]}"; do
    curl -sf -o /dev/null --max-time 5 -u "$REGISTRY_USER:$(cat "$r/password")" \
      -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' "http://$REGISTRY/v2/${i%:*}/manifests/${i##*:}" \
      || missing+=("$i")
  done 2>/dev/null
  [ ${#missing[@]} -eq 0 ] && return
  stamp=$(images_stamp)
  for i in "${missing[@]}"; do
    [ -s "$(cached_archive "$i")" ] && [ "$(cat "$(cached_archive "$i").stamp" 2>/dev/null)" = "$stamp" ] || stale+=("$i")
  done
  if [ ${#stale[@]} -gt 0 ]; then
    command -v docker >/dev/null || fail "the docker CLI is missing"
    say "copying ${#stale[@]} image(s) from the main engine (waiting for $DOCKER_LOCK)"
    exec 9>>"$DOCKER_LOCK"
    flock 9
    # the engine may outlive this script: it must not inherit the lock
    bash "$root/scripts/engine-docker.sh" start 9>&- >/dev/null || fail "the main Docker engine does not start (scripts/engine-docker.sh start)"
    local absent=()
    for i in "${stale[@]}"; do docker image inspect "$i" >/dev/null 2>&1 || absent+=("$i"); done
    if [ ${#absent[@]} -gt 0 ]; then
      say "building the stand-in images on the main engine (missing: ${absent[*]})"
      bash "$root/scripts/images.sh" "${IMAGES_ARGS[@]}" 9>&- >/dev/null || fail "scripts/images.sh failed; run it to see why"
    fi
    mkdir -p "$IMAGE_CACHE"
    for i in "${stale[@]}"; do
      local a; a=$(cached_archive "$i")
      rm -f "$a" "$a.stamp"
      skopeo copy --quiet "docker-daemon:$i" "docker-archive:$a.tmp:$i" && mv "$a.tmp" "$a" \
        || { rm -f "$a.tmp"; fail "copying $i from the main engine failed"; }
      echo "$stamp" > "$a.stamp"
    done
    flock -u 9
    exec 9>&-
  fi
  for i in "${missing[@]}"; do
    local t0; t0=$(date +%s)
    skopeo copy --quiet --dest-tls-verify=false --dest-authfile "$r/auth.json" "docker-archive:$(cached_archive "$i")" "docker://$REGISTRY/$i" \
      || fail "pushing $i to the registry failed"
    say "pushed $i to $REGISTRY in $(( $(date +%s) - t0 ))s"
  done
}

write_description() {
  local hosts="" sep=""
  for h in "${HOSTS[@]}"; do
    hosts+="$sep\"$h\": {\"address\": \"$(addr "$h")\", \"docker\": \"ssh://root@$(addr "$h")\", \"socket\": \"unix://$(hdir "$h")/run/docker.sock\", \"namespace\": \"$(ns "$h")\"}"
    sep=", "
  done
  cat > "$FLEET/fleet.json" <<JSON
{
  "dir": "$FLEET",
  "sshConfig": "$FLEET/ssh/config",
  "registry": {"address": "$REGISTRY", "username": "$REGISTRY_USER", "passwordFile": "$FLEET/registry/password"},
  "hosts": {$hosts}
}
JSON
}

# --- teardown ----------------------------------------------------------------------------------
kill_pids() {   # kill_pids SIGNAL PID...  (ignores pids already gone)
  local sig=$1; shift
  [ $# -gt 0 ] && kill "-$sig" "$@" 2>/dev/null || true
}

cgroup_pids() {   # every process docker put under this fleet's cgroup parents (containers)
  cat /sys/fs/cgroup/pids/"$CGROUP_PREFIX"*/*/cgroup.procs /sys/fs/cgroup/pids/"$CGROUP_PREFIX"*/cgroup.procs 2>/dev/null || true
}

down() {
  local started; started=$(date +%s)
  # 1. graceful: each dockerd stops its containers; each sshd stops listening; the registry stops
  local pids=()
  for h in "${HOSTS[@]}"; do
    local d; d=$(hdir "$h")
    alive "$d/sshd.pid" && pids+=("$(cat "$d/sshd.pid")")
    alive "$d/run/docker.pid" && pids+=("$(cat "$d/run/docker.pid")")
  done
  alive "$FLEET/registry/registry.pid" && pids+=("$(cat "$FLEET/registry/registry.pid")")
  kill_pids TERM "${pids[@]}"
  for _ in $(seq 1 60); do
    local any=""
    for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && any=1; done
    [ -z "$any" ] && break
    sleep 0.5
  done
  # 2. whatever is left (an interrupted run, a hung daemon): every process in the fleet's network
  #    namespaces (daemons, containerd, shims, ssh sessions) and in its containers' cgroups
  for _ in 1 2 3; do
    local left=()
    for n in $(ip netns list 2>/dev/null | awk '{print $1}' | grep "^$NS_PREFIX" || true); do
      mapfile -t -O "${#left[@]}" left < <(ip netns pids "$n" 2>/dev/null)
    done
    mapfile -t -O "${#left[@]}" left < <(cgroup_pids)
    [ ${#left[@]} -eq 0 ] && break
    kill_pids KILL "${left[@]}"
    sleep 0.5
  done
  for c in /sys/fs/cgroup/*/"$CGROUP_PREFIX"*; do
    [ -d "$c" ] || continue
    find "$c" -mindepth 1 -depth -type d -exec rmdir {} \; 2>/dev/null || true
    rmdir "$c" 2>/dev/null || true
  done
  # 3. network: namespaces, veths, bridge, the FORWARD rule
  for n in $(ip netns list 2>/dev/null | awk '{print $1}' | grep "^$NS_PREFIX" || true); do ip netns del "$n"; done
  for l in $(ip -o link show 2>/dev/null | awk -F': ' '{print $2}' | sed 's/@.*//' | grep "^$VETH_PREFIX" || true); do ip link del "$l" 2>/dev/null || true; done
  ip link show "$BRIDGE" >/dev/null 2>&1 && ip link del "$BRIDGE"
  while iptables -D FORWARD -i "$BRIDGE" -o "$BRIDGE" -j ACCEPT 2>/dev/null; do :; done
  # 4. files; a mount still under the folder (it should have died with its namespace) is unmounted first
  if [ -d "$FLEET" ]; then
    awk -v f="$FLEET" 'index($2, f) == 1 {print $2}' /proc/mounts | sort -r | while read -r m; do umount -l "$m" || true; done
    rm -rf "$FLEET"
  fi
  say "down in $(( $(date +%s) - started ))s: no namespace, process, bridge or folder of the fleet is left"
}

# --- commands ----------------------------------------------------------------------------------
up() {
  [ "$(id -u)" = 0 ] || fail "the fleet needs root (network namespaces, dockerd, sshd)"
  local started; started=$(date +%s)
  ensure_packages
  mkdir -p "$FLEET"
  make_network
  for h in "${HOSTS[@]}"; do start_dockerd "$h"; done
  make_ssh_client
  for h in "${HOSTS[@]}"; do start_sshd "$h"; done
  for h in "${HOSTS[@]}"; do wait_dockerd "$h"; done
  start_registry
  for h in "${HOSTS[@]}"; do wait_ssh "$h"; done
  write_description
  [ "${STACKYARD_FLEET_PUSH:-1}" = 0 ] || push_images
  say "up in $(( $(date +%s) - started ))s: ${HOSTS[*]} on $NET.0/24, registry http://$REGISTRY (user $REGISTRY_USER, password in $FLEET/registry/password)"
  say "ssh config: $FLEET/ssh/config; description: $FLEET/fleet.json"
}

status() {
  local bad=0
  for h in "${HOSTS[@]}"; do
    local e s
    e=$( [ -e "/var/run/netns/$(ns "$h")" ] && engine_answers "$h" || true)
    s=$( [ -f "$FLEET/ssh/config" ] && ssh_answers "$h" || true)
    printf '%-9s %-11s engine %-16s ssh %s\n' "$h" "$(addr "$h")" "${e:-DOWN}" "$([ -n "$s" ] && echo up || echo DOWN)"
    [ -n "$e" ] && [ -n "$s" ] || bad=1
  done
  if registry_answers; then echo "registry  http://$REGISTRY up (htpasswd)"; else echo "registry  http://$REGISTRY DOWN"; bad=1; fi
  return $bad
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  push) push_images ;;
  ssh-stop) host_known "${2:?usage: fleet.sh ssh-stop HOST}"; stop_sshd "$2"; say "sshd of $2 stopped" ;;
  ssh-start) host_known "${2:?usage: fleet.sh ssh-start HOST}"; start_sshd "$2"; wait_ssh "$2"; say "sshd of $2 started" ;;
  dockerd-restart)
    host_known "${2:?usage: fleet.sh dockerd-restart HOST}"
    t0=$(date +%s); stop_dockerd "$2"; start_dockerd "$2"; wait_dockerd "$2"
    say "dockerd of $2 restarted in $(( $(date +%s) - t0 ))s" ;;
  *) echo "usage: scripts/fleet.sh up|down|status|push|ssh-stop HOST|ssh-start HOST|dockerd-restart HOST" >&2; exit 2 ;;
esac
