#!/usr/bin/env bash
# Find Odoo 18.0 community source and print its path. Order:
#   1. ODOO_SRC (environment, or a line ODOO_SRC=... in setup/local.env);
#   2. an `odoo` 18.0 package already importable by python3;
#   3. the cache ${XDG_CACHE_HOME:-$HOME/.cache}/oms/odoo-18.0;
#   4. a shallow clone of upstream Odoo 18.0 into that cache.
source "$(dirname "$0")/common.sh"

CACHE_DIR="${XDG_CACHE_HOME:-$HOME/.cache}/oms/odoo-18.0"
UPSTREAM="${OMS_ODOO_GIT:-https://github.com/odoo/odoo.git}"

# Print why DIR is not a usable Odoo 18.0 tree, or nothing when it is.
odoo_problem() {
    local dir="$1" release="$1/odoo/release.py"
    [[ -d "$dir" ]] || { echo "$dir does not exist"; return; }
    [[ -f "$release" && -f "$dir/odoo-bin" ]] \
        || { echo "$dir has no odoo-bin or odoo/release.py: not an Odoo source tree"; return; }
    local version
    version="$(sed -n 's/^version_info = (\([0-9]*\), *\([0-9]*\).*/\1.\2/p' "$release")"
    [[ "$version" == "18.0" ]] || { echo "$dir holds Odoo ${version:-of unknown version}, not 18.0"; return; }
    local missing=""
    for part in requirements.txt odoo/addons/base/__manifest__.py addons/sale_stock/__manifest__.py \
                addons/delivery/__manifest__.py addons/spreadsheet_dashboard/__manifest__.py; do
        [[ -f "$dir/$part" ]] || missing+=" $part"
    done
    [[ -z "$missing" ]] || echo "$dir is an incomplete Odoo 18.0 tree (missing:$missing)"
}

check_or_die() {
    local dir="$1" origin="$2" problem
    problem="$(odoo_problem "$dir")"
    [[ -z "$problem" ]] || die "$origin: $problem.
    Point ODOO_SRC at an Odoo 18.0 community checkout (git clone -b 18.0 --depth 1 $UPSTREAM),
    in the environment or as a line ODOO_SRC=/path in setup/local.env, or unset it to use the cache."
    echo "$dir"
}

if [[ -n "${ODOO_SRC:-}" ]]; then
    check_or_die "$(cd "$ODOO_SRC" 2>/dev/null && pwd || echo "$ODOO_SRC")" "ODOO_SRC=$ODOO_SRC"
    exit 0
fi

importable="$(python3 -c 'import os, odoo; print(os.path.dirname(os.path.dirname(os.path.abspath(odoo.__file__))))' 2>/dev/null || true)"
if [[ -n "$importable" && -z "$(odoo_problem "$importable")" ]]; then
    echo "$importable"; exit 0
fi

if [[ -e "$CACHE_DIR" ]]; then
    check_or_die "$CACHE_DIR" "the Odoo cache $CACHE_DIR (delete it to clone again)"
    exit 0
fi

command -v git >/dev/null || die "git is required to download Odoo 18.0 (or set ODOO_SRC)"
say "cloning Odoo 18.0 from $UPSTREAM into $CACHE_DIR (once; about 1 GB)"
mkdir -p "$(dirname "$CACHE_DIR")"
git clone --quiet --depth 1 --branch 18.0 "$UPSTREAM" "$CACHE_DIR.partial" \
    || die "could not clone $UPSTREAM; set ODOO_SRC to an Odoo 18.0 checkout instead"
mv "$CACHE_DIR.partial" "$CACHE_DIR"
check_or_die "$CACHE_DIR" "the freshly cloned $CACHE_DIR"
