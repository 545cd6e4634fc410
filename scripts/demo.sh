#!/usr/bin/env bash
# demo.sh up|down - the README's main command: a real `pulumi up` of examples/sites against a local
# CHeKT API server, with a local file backend and a passphrase kept in the ignored .state/ folder.
#
#   up    start the local API server (SQLite in .state/demo, so devices survive between runs),
#         converge the `demo` stack, print the devices the API now holds, stop the server.
#         Running it again shows no changes.
#   down  start the server, `pulumi destroy` the demo stack, remove the stack and .state/demo.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
state="$root/.state/demo"
venv="$root/.venv"
action="${1:-up}"

log() { printf '\n==> %s\n' "$*"; }

mkdir -p "$state/backend"
pulumi_bin="$(scripts/get-pulumi.sh | tail -n 1)"
export PATH="$pulumi_bin:$venv/bin:$PATH"
export PULUMI_BACKEND_URL="file://$state/backend"
export PULUMI_HOME="$state/pulumi-home"
export PULUMI_CONFIG_PASSPHRASE_FILE="$state/passphrase"
export PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
# State saved once at the end of a run instead of after every step: many times faster for large stacks,
# and safe here (docs/interrupted.md). Set PULUMI_SKIP_CHECKPOINTS=false to turn off.
export PULUMI_SKIP_CHECKPOINTS="${PULUMI_SKIP_CHECKPOINTS:-true}"
# The Python language host built by get-pulumi.sh runs $PULUMI_PYTHON_CMD (see that script).
export PULUMI_PYTHON_CMD="$venv/bin/python"
unset PULUMI_CONFIG_PASSPHRASE
if [ ! -s "$PULUMI_CONFIG_PASSPHRASE_FILE" ]; then
  (umask 077 && "$venv/bin/python" -c 'import secrets; print(secrets.token_urlsafe(32))' >"$PULUMI_CONFIG_PASSPHRASE_FILE")
fi

# The first run picks a free port; later runs reuse it, because `pulumi destroy` talks to the API
# through the provider configuration recorded in state at the last `up` (the engine's rule).
log "starting the local CHeKT API server"
port="$(cat "$state/port" 2>/dev/null || echo 0)"
rm -f "$state/port.new"
"$venv/bin/chekt-local-api" --port "$port" --port-file "$state/port.new" --db "$state/chekt.db" \
  --config examples/local-api.yaml >"$state/server.log" 2>&1 &
server_pid=$!
trap 'kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  [ -s "$state/port.new" ] && break
  kill -0 "$server_pid" 2>/dev/null || break
  sleep 0.1
done
if [ ! -s "$state/port.new" ]; then
  cat "$state/server.log" >&2
  echo "the local API server did not start (port $port busy? remove .state/demo/port to pick another)" >&2
  exit 1
fi
mv "$state/port.new" "$state/port"
base_url="http://127.0.0.1:$(cat "$state/port")"
echo "listening on $base_url (log: .state/demo/server.log)"

pulumi stack select --create demo --non-interactive >/dev/null
pulumi config set chekt:sites 'examples/sites/*.yaml'   # the program's default is sites/*.yaml
pulumi config set --plaintext chekt:baseUrl "$base_url"
pulumi config set --plaintext chekt:clientId demo-client
pulumi config set --secret chekt:clientSecret demo-secret

if [ "$action" = "down" ]; then
  log "pulumi destroy"
  pulumi destroy --yes --skip-preview --non-interactive
  pulumi stack rm demo --yes --non-interactive
  kill "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  trap - EXIT
  rm -rf "$state" Pulumi.demo.yaml
  log "demo removed"
  exit 0
fi

log "pulumi up (stack demo, sites: examples/sites/*.yaml)"
pulumi up --yes --non-interactive

log "devices the CHeKT API now holds"
export CHEKT_BASE_URL="$base_url" CHEKT_CLIENT_ID=demo-client CHEKT_CLIENT_SECRET=demo-secret
for file in examples/sites/*.yaml; do
  ids="$("$venv/bin/python" -c 'import sys, yaml; d = yaml.safe_load(open(sys.argv[1])); print(d["dealer_id"], d["site_id"])' "$file")"
  read -r dealer site <<<"$ids"
  echo "-- dealer $dealer site $site ($file)"
  chekt-devices list --dealer "$dealer" --site "$site"
done
log "done. Run 'make demo' again to see that nothing changes; 'make demo-down' removes everything."
