#!/usr/bin/env bash
# Lints .github/workflows with actionlint, built from the Go module proxy into .tools/bin.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tools=${STACKYARD_TOOLS:-$root/.tools}
VERSION=v1.7.12
export GOFLAGS=-buildvcs=false GOTOOLCHAIN=${GOTOOLCHAIN:-local}
if ! [ -x "$tools/bin/actionlint" ] || ! "$tools/bin/actionlint" -version 2>/dev/null | grep -q "${VERSION#v}"; then
  echo "building actionlint $VERSION"
  GOBIN="$tools/bin" go install -ldflags "-s -w -X github.com/rhysd/actionlint.version=${VERSION#v}" "github.com/rhysd/actionlint/cmd/actionlint@$VERSION"
fi
cd "$root"
"$tools/bin/actionlint" -no-color .github/workflows/*.yml
echo "actionlint $VERSION: $(ls .github/workflows/*.yml | wc -l) workflow file(s) clean"
