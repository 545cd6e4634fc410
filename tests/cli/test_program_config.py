"""``chekt:sites`` as users set it: unset (sites/*.yaml), a plain string, or a list."""

from __future__ import annotations

import pytest

from pulumi_chekt.program import DEFAULT_SITE_GLOBS, site_globs
from pulumi_chekt.resources.provider_process import shared_budget
from tests.e2e.conftest import device, site
from tests.e2e.harness import PulumiProject, changed_steps


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, ["sites/*.yaml"]),
        ("", ["sites/*.yaml"]),
        ("[]", ["sites/*.yaml"]),
        ("sites/*.yaml", ["sites/*.yaml"]),
        ("  more/**/*.yml ", ["more/**/*.yml"]),
        ('"quoted/*.yaml"', ["quoted/*.yaml"]),
        ('["a/*.yaml", "b/*.yaml"]', ["a/*.yaml", "b/*.yaml"]),
    ],
)
def test_site_globs_accepts_unset_a_string_or_a_list(raw: str | None, expected: list[str]) -> None:
    assert site_globs(raw) == expected
    assert DEFAULT_SITE_GLOBS == ["sites/*.yaml"]


@pytest.mark.parametrize("raw", ["5", '{"a": 1}', '["a", 3]', '[""]', "null"])
def test_site_globs_refuses_anything_else(raw: str) -> None:
    with pytest.raises(
        ValueError, match=r"chekt:sites must be a glob or a list of globs, e\.g\. sites/\*\.yaml"
    ):
        site_globs(raw)


def test_the_engine_passes_a_plain_string_and_the_default_applies_when_unset(project: PulumiProject) -> None:
    project.write_site("store.yaml", site(2, 3, device("cam-1", "001")))

    project.run("config", "set", "chekt:sites", "sites/*.yaml")  # a plain string, not a JSON list
    planned = project.preview_json()
    assert [s["op"] for s in changed_steps(planned)] == ["create"]

    project.run("config", "rm", "chekt:sites")  # unset: the default, sites/*.yaml
    planned = project.preview_json()
    assert [s["op"] for s in changed_steps(planned)] == ["create"]

    project.run("config", "set", "chekt:sites", "nothing/*.yaml")
    refused = project.run("preview", check=False)
    assert refused.returncode != 0
    assert "chekt:sites ['nothing/*.yaml'] matched no files" in refused.output


def test_the_request_budget_is_divided_among_the_provider_processes() -> None:
    assert shared_budget("100", 1) == "100"
    assert shared_budget("100", 3) == "33"
    assert shared_budget("2", 4) == "1"  # never 0: a process with no budget would never send
    assert shared_budget("lots", 2) == "lots"  # the provider refuses it, naming the key
