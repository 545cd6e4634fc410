"""Which files a stack converges: the ``chekt:sites`` globs and the files they match.

Read by the root program and by the CLI (``affected``, ``owners``, ``init``); it imports no Pulumi
module, so those commands do not load the Pulumi SDK.
"""

from __future__ import annotations

import glob
import json
from pathlib import Path

DEFAULT_SITE_GLOBS = ["sites/*.yaml"]
"""Where ``chekt-devices init`` puts site files, relative to the folder holding Pulumi.yaml."""
SITES_HINT = 'chekt:sites must be a glob or a list of globs, e.g. sites/*.yaml or ["sites/*.yaml"]'


def site_globs(raw: str | None) -> list[str]:
    """The globs of ``chekt:sites``: unset means the default; a plain string is one glob (as
    ``pulumi config set chekt:sites 'sites/*.yaml'`` stores it); a JSON list (``--path 'chekt:sites[0]'``
    or ``config set --json``) is several. Raises ValueError for anything else."""
    if raw is None or not raw.strip():
        return list(DEFAULT_SITE_GLOBS)
    try:
        value = json.loads(raw)
    except ValueError:
        value = raw
    if isinstance(value, str) and value.strip():
        return [value.strip()]
    if value == []:
        return list(DEFAULT_SITE_GLOBS)
    if isinstance(value, list) and value and all(isinstance(p, str) and p.strip() for p in value):
        return [p.strip() for p in value]
    raise ValueError(f"{SITES_HINT}; got {raw[:80]!r}")


def site_files(patterns: list[str], root: Path) -> list[Path]:
    """Files matched by the globs (relative to the project root), sorted and without repeats."""
    matched: set[Path] = set()
    for pattern in patterns:
        full = pattern if Path(pattern).is_absolute() else str(root / pattern)
        matched.update(Path(p) for p in glob.glob(full, recursive=True) if Path(p).is_file())
    return sorted(matched)
