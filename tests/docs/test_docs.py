"""The documentation holds together: links resolve, generated parts are current, nothing drifts apart.

``make docs`` (mkdocs build --strict) checks the site's own links too, but it needs the `docs`
extra; these checks run on every ``make test`` and also cover README.md, which is not part of the site.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from pulumi_chekt.resources.settings import CONFIG_KEYS
from tests.docs.links import anchors, broken_links, github_slug, mkdocs_slug

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs"
PAGES = sorted(DOCS.rglob("*.md"))


def test_every_relative_link_and_anchor_of_readme_and_docs_resolves() -> None:
    broken = broken_links(REPO / "README.md", github=True)
    for page in PAGES:
        broken += broken_links(page, github=False)
    assert not broken, "\n".join(map(str, broken))


def test_the_link_check_finds_a_missing_file_a_missing_anchor_and_ignores_code(tmp_path: Path) -> None:
    (tmp_path / "other.md").write_text("# Other\n\n## `Device` reference\n\n## Pull requests & drift\n")
    page = tmp_path / "page.md"
    page.write_text(
        "# Page\n\n"
        "[ok](other.md#device-reference) [ok](other.md#pull-requests-drift) [ok](#page)\n"
        "[gone](missing.md) ![gone](figures/missing.svg) [bad anchor](other.md#nope)\n"
        "`[not a link](missing.md)`\n\n"
        "```bash\n# [not a link](missing.md)\n```\n",
        encoding="utf-8",
    )
    found = [(b.line, b.target) for b in broken_links(page, github=False)]
    assert found == [(4, "missing.md"), (4, "figures/missing.svg"), (4, "other.md#nope")]
    # On GitHub the same heading has another anchor: README links are checked with GitHub's.
    assert "pull-requests--drift" in anchors(tmp_path / "other.md", github=True)
    assert [b.target for b in broken_links(page, github=True)] == [
        "other.md#pull-requests-drift",
        "missing.md",
        "figures/missing.svg",
        "other.md#nope",
    ]


def test_slugs_match_what_mkdocs_and_github_make() -> None:
    assert mkdocs_slug("The fault campaign: make chaos") == "the-fault-campaign-make-chaos"
    assert mkdocs_slug("Pull requests & drift") == "pull-requests-drift"
    assert github_slug("Pull requests & drift") == "pull-requests--drift"


def test_every_page_is_in_the_navigation() -> None:
    config = yaml.safe_load((REPO / "mkdocs.yml").read_text(encoding="utf-8"))

    def listed(entries: list[object]) -> list[str]:
        names = []
        for entry in entries:
            value = next(iter(entry.values())) if isinstance(entry, dict) else entry
            names += listed(value) if isinstance(value, list) else [str(value)]
        return names

    assert sorted(listed(config["nav"])) == sorted(str(p.relative_to(DOCS)) for p in PAGES)


def test_generated_parts_of_the_pages_are_current() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "scripts.docs.pages", "--check"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    site_files = (DOCS / "site-files.md").read_text(encoding="utf-8")
    assert "| `zone_number` | string | yes |" in site_files  # the part is there, not an empty block
    assert "(device 1) | zone_number: `012` → `014` |" in (DOCS / "pull-requests.md").read_text(
        encoding="utf-8"
    )


def _bash_blocks(text: str, section: str) -> list[str]:
    body = text.split(f"\n## {section}\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```bash\n(.*?)```", body, flags=re.S)


def test_the_docs_quick_start_is_the_readme_quick_start() -> None:
    """tests/packaging/test_quickstart.py runs the README's; the docs must not tell another story."""
    readme = _bash_blocks((REPO / "README.md").read_text(encoding="utf-8"), "Quick start")
    docs = _bash_blocks((DOCS / "getting-started.md").read_text(encoding="utf-8"), "Quick start")
    assert readme and docs == readme


def test_readme_stays_short_and_gives_the_two_commands() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) <= 200
    [commands] = _bash_blocks(readme, "The two commands")
    assert [line.split()[:2] for line in commands.splitlines()] == [["make", "demo"], ["make", "test"]]


@pytest.mark.parametrize(("key", "variable"), sorted(CONFIG_KEYS.items()))
def test_the_configuration_page_names_every_config_key(key: str, variable: str) -> None:
    page = (DOCS / "configuration.md").read_text(encoding="utf-8")
    assert f"| `{key}`" in page and f"`{variable}`" in page


def test_the_benchmark_chart_is_committed_and_shown() -> None:
    charts = sorted((DOCS / "figures").glob("*bench*.svg"))
    assert charts
    shown = "".join(page.read_text(encoding="utf-8") for page in PAGES)
    for chart in charts:
        assert f"](figures/{chart.name})" in shown, f"{chart.name} is shown by no page"
    assert "](figures/device-write-path.svg)" in shown
