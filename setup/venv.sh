#!/usr/bin/env bash
# Create .venv and install Odoo 18.0's requirements (with our documented overrides) and the
# project's own requirements.txt. Re-runs only when one of those files changed.
# Usage: setup/venv.sh ODOO_SRC
source "$(dirname "$0")/common.sh"
ODOO_SRC="$1"

pick_python() {
    local candidate
    for candidate in "${OMS_PYTHON:-}" python3 python3.12 python3.11 python3.10; do
        [[ -n "$candidate" ]] && command -v "$candidate" >/dev/null || continue
        if "$candidate" -c 'import sys; sys.exit(not ((3, 10) <= sys.version_info[:2] < (3, 13)))' 2>/dev/null; then
            echo "$candidate"; return
        fi
    done
    die "Python 3.10 to 3.12 is required for Odoo 18.0 (set OMS_PYTHON to its path)"
}

reqs="$OMS_LOCAL/odoo-requirements.txt"
stamp="$OMS_VENV/.oms-requirements"
# Odoo's requirements minus the overridden packages, plus the overrides.
"$(pick_python)" - "$ODOO_SRC/requirements.txt" "$OMS_ROOT/setup/odoo-requirements-overrides.txt" >"$reqs" <<'PY'
import re, sys
odoo_reqs, overrides = (open(p).read().splitlines() for p in sys.argv[1:3])
name = lambda line: re.split(r"[\s;=<>!~\[]", line.strip(), maxsplit=1)[0].lower()
overrides = [o.strip() for o in overrides if o.strip() and not o.startswith("#")]
dropped = {name(o.lstrip("-")) for o in overrides}
print(*[r for r in odoo_reqs if r.strip() and not r.startswith("#") and name(r) not in dropped], sep="\n")
print(*[o for o in overrides if not o.startswith("-")], sep="\n")
PY
want="$(cat "$reqs" "$OMS_ROOT/requirements.txt" | sha1sum | cut -d' ' -f1)"

if [[ -x "$OMS_PY" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
    exit 0
fi
if [[ ! -x "$OMS_PY" ]]; then
    py="$(pick_python)"
    say "creating .venv with $($py --version)"
    "$py" -m venv "$OMS_VENV"
fi
say "installing Python requirements into .venv (first time: a few minutes)"
"$OMS_PY" -m pip install --quiet --upgrade "pip<25" "setuptools<81" wheel
"$OMS_PY" -m pip install --quiet -r "$reqs" -r "$OMS_ROOT/requirements.txt" \
    || die "pip could not install the requirements (see above)"
echo "$want" >"$stamp"
