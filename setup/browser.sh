#!/usr/bin/env bash
# Make Debian's Chromium available for Odoo's browser tests (HttpCase tours). Without it Odoo
# skips those tests silently, so `make test` installs it (as root, from the OS packages) or
# fails with instructions.
source "$(dirname "$0")/common.sh"
for candidate in chromium chromium-browser google-chrome; do
    command -v "$candidate" >/dev/null && exit 0
done
if [[ $EUID -eq 0 ]] && command -v apt-get >/dev/null; then
    say "installing Chromium from the OS packages (browser tests)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null \
        && exit 0
fi
die "Chromium is needed for the browser tests: install it (Debian/Ubuntu: apt-get install chromium)"
