#!/usr/bin/env bash
# prettier with its XML plugin for pre-commit, installed from npm into .local/node (once).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
node_dir="$root/.local/node"
if [[ ! -x "$node_dir/node_modules/.bin/prettier" ]]; then
    mkdir -p "$node_dir"
    npm install --silent --prefix "$node_dir" prettier@3.6.2 @prettier/plugin-xml@3.4.2 >/dev/null
fi
exec "$node_dir/node_modules/.bin/prettier" --config "$root/.prettierrc.yml" \
    --plugin "$node_dir/node_modules/@prettier/plugin-xml/src/plugin.js" "$@"
