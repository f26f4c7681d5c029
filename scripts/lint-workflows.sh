#!/usr/bin/env bash
# Lints .github/workflows with actionlint, built from the Go module proxy into .tools/bin.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tools=${STACKYARD_TOOLS:-$root/.tools}
VERSION=v1.7.12
export GOFLAGS=-buildvcs=false GOTOOLCHAIN=${GOTOOLCHAIN:-local}
# output read whole before matching: `actionlint -version | grep -q` fails under pipefail when grep exits first (SIGPIPE)
if ! [ -x "$tools/bin/actionlint" ] || ! grep -q "${VERSION#v}" <<<"$("$tools/bin/actionlint" -version 2>/dev/null || true)"; then
  echo "building actionlint $VERSION"
  GOBIN="$tools/bin" go install -ldflags "-s -w -X github.com/rhysd/actionlint.version=${VERSION#v}" "github.com/rhysd/actionlint/cmd/actionlint@$VERSION"
fi
cd "$root"
"$tools/bin/actionlint" -no-color .github/workflows/*.yml
echo "actionlint $VERSION: $(ls .github/workflows/*.yml | wc -l) workflow file(s) clean"
