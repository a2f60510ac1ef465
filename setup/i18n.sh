#!/usr/bin/env bash
# Refresh the translation template (i18n/<addon>.pot) of each OMS addon from the database
# oms_demo (make run first), and merge it into i18n/zh_CN.po, keeping existing translations.
# Usage: setup/i18n.sh [addon ...]
source "$(dirname "$0")/common.sh"
load_state
DB="${OMS_DB:-oms_demo}"
addons=("$@")
[[ ${#addons[@]} -gt 0 ]] || IFS=, read -r -a addons <<<"$OMS_ADDONS"
for addon in "${addons[@]}"; do
    dir="$OMS_ROOT/addons/$addon/i18n"
    mkdir -p "$dir"
    "$OMS_ROOT/setup/odoo.sh" -d "$DB" --no-http --stop-after-init --log-level=warn \
        --i18n-export="$dir/$addon.pot" --modules="$addon"
    if [[ -f "$dir/zh_CN.po" ]]; then
        "$OMS_PY" - "$dir/$addon.pot" "$dir/zh_CN.po" <<'PY'
import sys
import polib
pot, po = polib.pofile(sys.argv[1]), polib.pofile(sys.argv[2])
po.merge(pot)
po.save(sys.argv[2])
PY
    else
        sed -e 's/^"Language: \\n"/"Language: zh_CN\\n"/' "$dir/$addon.pot" >"$dir/zh_CN.po"
    fi
    say "$addon: $(grep -c '^msgid' "$dir/$addon.pot") messages; untranslated in zh_CN.po:" \
        "$("$OMS_PY" -c "import polib,sys; print(len(polib.pofile(sys.argv[1]).untranslated_entries()))" "$dir/zh_CN.po")"
done
