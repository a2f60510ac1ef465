"""Write each addon's README.rst from its readme/*.md fragments (OCA layout).

Usage: .venv/bin/python setup/gen_readme.py [addons/<addon> ...]
The fragments stay the source; README.rst is generated, like oca-gen-addon-readme does.
"""

import ast
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SECTIONS = [
    ("DESCRIPTION.md", None),
    ("CONFIGURE.md", "Configuration"),
    ("USAGE.md", "Usage"),
    ("HISTORY.md", "Changelog"),
    ("CONTRIBUTORS.md", "Contributors"),
]


def md_to_rst(text):
    """Convert the Markdown subset of the readme fragments to reStructuredText."""
    out = []
    in_code = False
    for line in text.splitlines():
        if line.startswith("```"):
            in_code = not in_code
            out.extend(["::", ""] if in_code else [""])
            continue
        if in_code:
            out.append("    " + line)
            continue
        image = re.match(r"^(\s*)!\[([^\]]*)\]\(([^)]+)\)\s*$", line)
        if image:
            indent, alt, src = image.groups()
            out.extend([f"{indent}.. image:: {src}", f"{indent}   :alt: {alt}"])
            continue
        heading = re.match(r"^(#{1,6})\s+(.*)$", line)
        if heading:
            title = heading.group(2)
            char = "~" if len(heading.group(1)) <= 2 else "^"
            out.extend([title, char * len(title.encode("utf-16-le"))])
            continue
        line = re.sub(r"(?<!`)`([^`]+)`(?!`)", r"``\1``", line)
        line = re.sub(r"\*\*([^*]+)\*\*", r"**\1**", line)
        line = re.sub(r"\[([^\]]+)\]\(([^)]+)\)", r"`\1 <\2>`_", line)
        out.append(line)
    return "\n".join(out).strip() + "\n"


def generate(addon_dir):
    manifest = ast.literal_eval((addon_dir / "__manifest__.py").read_text())
    title = manifest["name"]
    parts = ["=" * len(title), title, "=" * len(title), ""]
    parts += [
        f".. |license| image:: https://img.shields.io/badge/license-{manifest['license']}-blue.png",
        "",
        "|license|",
        "",
        manifest.get("summary", ""),
        "",
        ".. contents::",
        "   :local:",
        "",
    ]
    for fragment, heading in SECTIONS:
        path = addon_dir / "readme" / fragment
        if not path.exists():
            continue
        if heading:
            parts += [heading, "=" * len(heading), ""]
        parts += [md_to_rst(path.read_text()), ""]
    (addon_dir / "README.rst").write_text("\n".join(parts).rstrip() + "\n")


if __name__ == "__main__":
    dirs = [Path(a) for a in sys.argv[1:]] or sorted((ROOT / "addons").glob("oms_*"))
    for addon in dirs:
        generate(addon.resolve())
