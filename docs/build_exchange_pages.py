"""Copy each bundled plugin's README into docs/exchanges/<venue>.md.

The plugin README is the single source: it sits beside the code it describes and ships on
the package index. The copy gets a header naming its source, and relative links are
rewritten so they still point at the same files from docs/exchanges/.

    python docs/build_exchange_pages.py          # write the pages
    python docs/build_exchange_pages.py --check  # exit 1 if a page is missing or stale
"""

from __future__ import annotations

import argparse
import os
import posixpath
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = Path("docs") / "exchanges"
#: [text](target) and [text]: target; images and absolute URLs are left alone.
_INLINE = re.compile(r"(?<!!)(\[[^\]]*\]\()([^)\s]+)(\))")
_REFERENCE = re.compile(r"^(\s*\[[^\]]+\]:\s+)(\S+)", re.M)
_ABSOLUTE = re.compile(r"^(?:[a-z][a-z0-9+.-]*:|#|/)", re.I)


def venues(root: Path = ROOT) -> list[str]:
    """Bundled plugins with a README, discovered from the tree like the noxfile does."""
    return sorted(p.parent.name for p in root.glob("plugins/*/README.md")
                  if not p.parent.name.startswith("_")
                  and (p.parent / "pyproject.toml").is_file())


def _relink(target: str, venue: str) -> str:
    if _ABSOLUTE.match(target):
        return target
    path, hashmark, anchor = target.partition("#")
    if not path:
        return target
    source = posixpath.normpath(posixpath.join("plugins", venue, path))
    relative = posixpath.relpath(source, OUT.as_posix())
    return relative + hashmark + anchor


def render(venue: str, root: Path = ROOT) -> str:
    text = (root / "plugins" / venue / "README.md").read_text(encoding="utf-8")
    text = _INLINE.sub(lambda m: m[1] + _relink(m[2], venue) + m[3], text)
    text = _REFERENCE.sub(lambda m: m[1] + _relink(m[2], venue), text)
    header = (f"<!-- Generated from plugins/{venue}/README.md by docs/build_exchange_pages.py;"
              " edit the README, not this page. -->\n\n")
    return header + text


def stale(root: Path = ROOT) -> list[str]:
    """Pages that are missing, out of date, or left over from a removed plugin."""
    found = []
    expected = set()
    for venue in venues(root):
        page = root / OUT / f"{venue}.md"
        expected.add(page.name)
        if not page.is_file() or page.read_text(encoding="utf-8") != render(venue, root):
            found.append(f"{OUT / page.name}")
    out = root / OUT
    if out.is_dir():
        found += [f"{OUT / p.name} (no such plugin)" for p in sorted(out.glob("*.md"))
                  if p.name not in expected]
    return found


def build(root: Path = ROOT) -> list[Path]:
    out = root / OUT
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for venue in venues(root):
        page = out / f"{venue}.md"
        with page.open("w", encoding="utf-8", newline="\n") as handle:
            handle.write(render(venue, root))
        written.append(page)
    for leftover in out.glob("*.md"):
        if leftover not in written:
            os.remove(leftover)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report stale pages")
    args = parser.parse_args(argv)
    if args.check:
        problems = stale()
        for problem in problems:
            print(f"stale: {problem}", file=sys.stderr)
        return 1 if problems else 0
    for page in build():
        print(page.relative_to(ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main())
