#!/usr/bin/env bash
# get-pulumi.sh - provide the Pulumi CLI on machines that cannot reach the
# official installer or GitHub downloads, by building it from the Go module
# proxy (the only place Pulumi's Go code can be fetched here).
#
# Prints progress to stderr; the LAST stdout line is the bin directory to put
# on PATH:
#     PATH="$(scripts/get-pulumi.sh | tail -n1):$PATH"
#
# Order of preference:
#   1. a `pulumi` already on PATH, >= the pinned Python SDK, with a
#      `pulumi-language-python` beside it (e.g. an official install);
#   2. a previous build in .tools/pulumi/bin (a rerun takes seconds);
#   3. a fresh build (several minutes the first time; Go's module and build
#      caches in the default GOPATH/GOCACHE make later builds fast).
#
# What gets built (see tools/pulumi-cli/):
#   pulumi                        pkg/v3 $PULUMI_VERSION, cmd/pulumi
#   pulumi-language-python        sdk/v3 $LANGHOST_SDK_VERSION (see below)
#   pulumi-language-python-exec   } plain scripts copied from the sdk/v3
#   pulumi-resource-pulumi-python } $PULUMI_VERSION module (dynamic providers)
#
# Caveat: upstream's current Python language host is an untagged module that
# the module proxy here does not serve, so we build the one from sdk/v3
# v3.68.0, the newest served release that still contains it. It ignores
# Pulumi.yaml's `runtime.options.virtualenv` (newer engines no longer pass it
# as a flag) and runs `python3` from PATH, or $PULUMI_PYTHON_CMD if set. So run
# `pulumi` with the project's venv activated, or export
# PULUMI_PYTHON_CMD=/abs/path/to/venv/bin/python. Dynamic providers do honour
# the virtualenv option (the engine passes it on to the provider launcher).
set -euo pipefail

PULUMI_VERSION=v3.274.1      # CLI release to build
MIN_VERSION=3.272.0          # the Python SDK the project pins: CLI must be >= it
LANGHOST_SDK_VERSION=v3.68.0 # must match tools/pulumi-cli/language-python/go.mod

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="$root/.tools/pulumi/bin"
files=(pulumi pulumi-language-python pulumi-language-python-exec pulumi-resource-pulumi-python)
export PULUMI_SKIP_UPDATE_CHECK=true

log() { echo "get-pulumi: $*" >&2; }

# version_ge A B: true if version A >= version B (ignores a leading "v" and any
# -prerelease/+build suffix).
version_ge() {
  local a="${1#v}" b="${2#v}"
  a="${a%%[-+]*}" b="${b%%[-+]*}"
  [ "$(printf '%s\n%s\n' "$a" "$b" | sort -V | head -n1)" = "$b" ]
}

# 1. A suitable pulumi already on PATH.
if existing="$(command -v pulumi 2>/dev/null)"; then
  dir="$(cd "$(dirname "$existing")" && pwd)"
  v="$(pulumi version 2>/dev/null || true)"
  if [ -x "$dir/pulumi-language-python" ] && [ -n "$v" ] && version_ge "$v" "$MIN_VERSION"; then
    log "using $existing ($v)"
    echo "$dir"
    exit 0
  fi
  log "ignoring $existing (${v:-unknown version}): need >= $MIN_VERSION with pulumi-language-python beside it"
fi

# 2. A previous build.
all_present() { local f; for f in "${files[@]}"; do [ -x "$bin/$f" ] || return 1; done; }
if all_present && [ "$("$bin/pulumi" version 2>/dev/null || true)" = "$PULUMI_VERSION" ]; then
  log "reusing $bin/pulumi ($PULUMI_VERSION)"
  echo "$bin"
  exit 0
fi

# 3. Build.
command -v go >/dev/null || { log "error: 'go' not found; it is needed to build the Pulumi CLI"; exit 1; }
mkdir -p "$bin"
export CGO_ENABLED=0
build() { # build MODULE_DIR VERSION_STAMP OUTPUT PACKAGE
  (cd "$root/$1" && go build -trimpath -buildvcs=false \
    -ldflags "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$2" \
    -o "$bin/$3" "$4")
}

log "building pulumi-language-python (from sdk/v3 $LANGHOST_SDK_VERSION)..."
build tools/pulumi-cli/language-python "$LANGHOST_SDK_VERSION" pulumi-language-python \
  github.com/pulumi/pulumi/sdk/v3/python/cmd/pulumi-language-python

log "copying the Python helper scripts from sdk/v3 $PULUMI_VERSION..."
sdk="$(cd "$root/tools/pulumi-cli" && go mod download -json github.com/pulumi/pulumi/sdk/v3 |
  sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
install -m 755 "$sdk/python/cmd/pulumi-language-python-exec" \
  "$sdk/python/dist/pulumi-resource-pulumi-python" "$bin/"

# Built last, so a complete `pulumi` means the whole set is there (see step 2).
log "building pulumi CLI $PULUMI_VERSION (first time takes several minutes)..."
rm -f "$bin/pulumi"
build tools/pulumi-cli "$PULUMI_VERSION" pulumi github.com/pulumi/pulumi/pkg/v3/cmd/pulumi

log "done: $("$bin/pulumi" version) in $bin"
echo "$bin"
