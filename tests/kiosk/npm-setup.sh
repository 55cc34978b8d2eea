#!/usr/bin/env bash
# Installs the browser tests' npm packages (tests/kiosk/package-lock.json,
# playwright-core) with `npm ci` into $BUILD/kiosk-node, only when they are
# missing or the lockfile changed; prints the node_modules directory for
# NODE_PATH. Chromium is Debian's (/usr/bin/chromium): npm downloads no
# browser.
set -eu
: "${BUILD:?}"
here=$(cd "$(dirname "$0")" && pwd)
dir=$BUILD/kiosk-node
sum=$(cat "$here/package.json" "$here/package-lock.json" | sha256sum | cut -d' ' -f1)
if [ ! -d "$dir/node_modules/playwright-core" ] || [ "$(cat "$dir/.lock-sum" 2>/dev/null)" != "$sum" ]; then
	mkdir -p "$dir"
	cp "$here/package.json" "$here/package-lock.json" "$dir/"
	(cd "$dir" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error) >&2
	echo "$sum" >"$dir/.lock-sum"
fi
echo "$dir/node_modules"
