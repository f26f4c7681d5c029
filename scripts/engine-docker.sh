#!/usr/bin/env bash
# Starts (or stops) the Docker engine the tests and `npm run up` deploy to: Debian's docker.io,
# dockerd as root on the standard unix socket, data in a scratch folder outside the repo.
#
#   scripts/engine-docker.sh start   install docker.io if missing, start dockerd if nothing answers
#   scripts/engine-docker.sh stop    stop the dockerd this script started (never someone else's)
#   scripts/engine-docker.sh status
set -euo pipefail
SCRATCH=${STACKYARD_SCRATCH:-/var/tmp/stackyard}
SOCK=${STACKYARD_DOCKER_SOCKET:-/var/run/docker.sock}
PIDFILE=$SCRATCH/dockerd.pid
LOG=$SCRATCH/dockerd.log
export DOCKER_HOST=unix://$SOCK

answers() { timeout 5 docker version --format '{{.Server.Version}}' >/dev/null 2>&1; }

case "${1:-start}" in
  start)
    if answers; then echo "docker engine: already answering on $SOCK ($(docker version --format '{{.Server.Version}}'))"; exit 0; fi
    if ! command -v dockerd >/dev/null; then
      [ "$(id -u)" = 0 ] || { echo "docker engine: dockerd is missing; install Debian's docker.io (as root: apt-get install docker.io)" >&2; exit 1; }
      echo "docker engine: installing Debian's docker.io"
      (apt-get install -y -qq docker.io >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io; }) >/dev/null
    fi
    [ "$(id -u)" = 0 ] || { echo "docker engine: starting dockerd needs root" >&2; exit 1; }
    mkdir -p "$SCRATCH/docker"
    started=$(date +%s)
    # The daemon outlives this script: it must not inherit descriptors above stderr, or a lock held
    # by the caller (a deploy's flock, a test harness's) stays held for as long as dockerd runs.
    (
      for fd in $(ls /proc/$BASHPID/fd); do [ "$fd" -gt 2 ] && eval "exec $fd>&-"; done
      exec nohup dockerd --host "unix://$SOCK" --data-root "$SCRATCH/docker" --exec-root /run/stackyard-docker \
        --pidfile "$PIDFILE"
    ) >>"$LOG" 2>&1 &
    for _ in $(seq 1 60); do answers && break; sleep 0.5; done
    answers || { echo "docker engine: dockerd did not start; last lines of $LOG:" >&2; tail -20 "$LOG" >&2; exit 1; }
    echo "docker engine: started dockerd $(docker version --format '{{.Server.Version}}') on $SOCK in $(( $(date +%s) - started ))s (data in $SCRATCH/docker)"
    ;;
  stop)
    if [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
      kill "$(cat "$PIDFILE")"
      for _ in $(seq 1 40); do kill -0 "$(cat "$PIDFILE" 2>/dev/null)" 2>/dev/null || break; sleep 0.5; done
      echo "docker engine: stopped"
    else
      echo "docker engine: not started by stackyard; left alone"
    fi
    ;;
  status)
    answers && docker version --format 'docker engine {{.Server.Version}} on '"$SOCK" || { echo "docker engine: not answering on $SOCK"; exit 1; }
    ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
