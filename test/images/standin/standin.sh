#!/bin/sh
# Serves /www on every port of $STANDIN_PORTS until SIGTERM/SIGINT; arguments are ignored.
pids=""
for p in $STANDIN_PORTS; do busybox httpd -f -p "$p" -h /www & pids="$pids $!"; done
stop() { kill $pids 2>/dev/null; exit 0; }
trap stop TERM INT
echo "stand-in for: ${*:-(no arguments)}; serving on $STANDIN_PORTS"
while :; do sleep 3600 & wait $!; done
