"""Relative links and anchors of markdown files, checked the way their readers resolve them.

README.md is read on the repository's web page, whose heading anchors are GitHub's; the pages under
docs/ are read on the MkDocs site, whose anchors are Python-Markdown's ``toc`` slugs (an explicit
``{#id}`` wins). Links inside fenced code blocks and code spans are not links.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

FENCE = re.compile(r"^\s*(```|~~~)")
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
EXPLICIT_ID = re.compile(r"\s*\{[^}]*#([\w-]+)[^}]*\}\s*$")
LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
CODE_SPAN = re.compile(r"(`+).+?\1")
EXTERNAL = ("http://", "https://", "mailto:", "tel:")


@dataclass(frozen=True)
class BrokenLink:
    file: Path
    line: int
    target: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.target}: {self.reason}"


def prose_lines(text: str) -> Iterator[tuple[int, str]]:
    """(line number, line) outside fenced code blocks."""
    fenced = False
    for number, line in enumerate(text.splitlines(), 1):
        if FENCE.match(line):
            fenced = not fenced
            continue
        if not fenced:
            yield number, line


def heading_text(raw: str) -> str:
    """What a heading shows: code spans' text, links' text, no emphasis markers."""
    text = re.sub(r"`([^`]*)`", r"\1", raw)
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)
    return re.sub(r"[*_]{1,2}([^*_]+)[*_]{1,2}", r"\1", text)


def mkdocs_slug(text: str) -> str:
    """Python-Markdown's ``toc`` slugify (the default of MkDocs)."""
    value = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    value = re.sub(r"[^\w\s-]", "", value).strip().lower()
    return re.sub(r"[-\s]+", "-", value)


def github_slug(text: str) -> str:
    """GitHub's heading anchors: lower case, punctuation dropped, each space a hyphen."""
    value = re.sub(r"[^\w\- ]", "", text.lower())
    return value.replace(" ", "-")


def anchors(path: Path, *, github: bool) -> set[str]:
    """The anchors of a markdown file's headings (each repeated heading gets ``-1``/``_1``, ...)."""
    found: set[str] = set()
    seen: dict[str, int] = {}
    for _, line in prose_lines(path.read_text(encoding="utf-8")):
        match = HEADING.match(line)
        if not match:
            continue
        raw = match.group(2)
        explicit = EXPLICIT_ID.search(raw)
        if explicit and not github:
            found.add(explicit.group(1))
            continue
        text = heading_text(EXPLICIT_ID.sub("", raw))
        slug = github_slug(text) if github else mkdocs_slug(text)
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        found.add(slug if count == 0 else f"{slug}{'-' if github else '_'}{count}")
    return found


def broken_links(path: Path, *, github: bool) -> list[BrokenLink]:
    """Every relative link of ``path`` that points at no file, or at an anchor its target lacks."""
    broken = []
    for number, line in prose_lines(path.read_text(encoding="utf-8")):
        for match in LINK.finditer(CODE_SPAN.sub("", line)):
            target = match.group(1)
            if target.startswith(EXTERNAL):
                continue
            file_part, _, anchor = target.partition("#")
            linked = (path.parent / file_part).resolve() if file_part else path.resolve()
            if not linked.exists():
                broken.append(BrokenLink(path, number, target, "no such file"))
                continue
            if not anchor:
                continue
            if linked.is_dir() or linked.suffix != ".md":
                broken.append(BrokenLink(path, number, target, "an anchor into a file that is not markdown"))
            elif anchor not in anchors(linked, github=github):
                broken.append(BrokenLink(path, number, target, f"no heading with the anchor #{anchor}"))
    return broken
