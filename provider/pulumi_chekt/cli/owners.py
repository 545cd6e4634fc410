"""``owners``: fail when two stacks of one backend manage the same site.

The CHeKT API has no tag or owner field, so nothing in CHeKT says which stack a device belongs to.
Each stack converges *its* sites to its files: two stacks that declare one site both adopt its
devices; each deletes the devices only the other declares, and destroying either deletes them all.
This command makes that visible before it happens. A site is claimed by a stack when:

- its **state** holds Devices of the site (read with ``pulumi stack export``: the truth of what
  the stack manages, whatever program declared them), or
- its **files** declare the site (the files its ``Pulumi.<stack>.yaml`` ``chekt:sites`` globs
  match now, so a pull request that adds a site to a second stack fails before ``pulumi up``).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
from collections import defaultdict
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from pulumi_chekt.cli.common import EXIT_OK, one_line, report_error
from pulumi_chekt.cli.stacks import StackConfigError, StackFiles, matched_files, stack_files
from pulumi_chekt.contract.device_fields import DEALER_ID, SITE_ID

PULUMI_TIMEOUT_SECONDS = 300
Site = tuple[int, int]
Claims = dict[Site, dict[str, set[str]]]


class PulumiCommandError(RuntimeError):
    """The Pulumi CLI failed or printed something that is not the JSON asked for."""


def _pulumi(binary: str, project_dir: Path, *args: str) -> Any:
    argv = [binary, *args, "--non-interactive"]
    try:
        done = subprocess.run(  # noqa: S603 (argv list, no shell; the binary is the user's pulumi)
            argv,
            cwd=project_dir,
            capture_output=True,
            text=True,
            timeout=PULUMI_TIMEOUT_SECONDS,
            check=False,
            env={**os.environ, "PULUMI_SKIP_UPDATE_CHECK": "true"},
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise PulumiCommandError(f"`pulumi {' '.join(args)}` could not run: {error}") from None
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no error output"])[-1]
        raise PulumiCommandError(f"`pulumi {' '.join(args)}` failed ({done.returncode}): {one_line(last)}")
    try:
        return json.loads(done.stdout)
    except ValueError:
        raise PulumiCommandError(f"`pulumi {' '.join(args)}` did not print JSON") from None


def backend_stacks(binary: str, project_dir: Path) -> list[str]:
    """The stacks of this project in the current backend (``pulumi stack ls``)."""
    listed = _pulumi(binary, project_dir, "stack", "ls", "--json")
    return [str(item["name"]) for item in listed if isinstance(item, Mapping) and "name" in item]


def _is_device(resource: Mapping[str, Any]) -> bool:
    kind = str(resource.get("type", ""))
    return kind.endswith(":Device") and "chekt" in kind


def sites_in_state(deployment: Any) -> set[Site]:
    """The (dealer, site) pairs of the Devices in a ``pulumi stack export`` document."""
    resources = (deployment or {}).get("deployment", {}).get("resources") or []
    found = set()
    for resource in resources:
        if not isinstance(resource, Mapping) or not _is_device(resource):
            continue
        inputs = resource.get("inputs") or resource.get("outputs") or {}
        dealer, site = inputs.get(DEALER_ID), inputs.get(SITE_ID)
        if isinstance(dealer, int) and isinstance(site, int):
            found.add((dealer, site))
    return found


def site_of_file(path: Path) -> Site | None:
    """dealer_id and site_id of a site file, or None when it has none (``validate`` says why)."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None
    if not isinstance(data, Mapping):
        return None
    dealer, site = data.get(DEALER_ID), data.get(SITE_ID)
    if isinstance(dealer, bool) or isinstance(site, bool):
        return None
    return (dealer, site) if isinstance(dealer, int) and isinstance(site, int) else None


def claims(files: Mapping[str, Iterable[Site]], states: Mapping[str, Iterable[Site]]) -> Claims:
    """For each site: the stacks that claim it, and how (``files``, ``state``)."""
    found: Claims = defaultdict(lambda: defaultdict(set))
    for how, source in (("files", files), ("state", states)):
        for stack, sites in source.items():
            for site in sites:
                found[site][stack].add(how)
    return found


def overlaps(found: Claims) -> list[tuple[Site, dict[str, set[str]]]]:
    return sorted((site, dict(stacks)) for site, stacks in found.items() if len(stacks) > 1)


def describe(site: Site, stacks: Mapping[str, set[str]]) -> str:
    owners = ", ".join(f"{name} ({', '.join(sorted(how))})" for name, how in sorted(stacks.items()))
    return f"dealer {site[0]} site {site[1]} is managed by {len(stacks)} stacks: {owners}"


def _selected(args: argparse.Namespace, configured: list[StackFiles]) -> tuple[list[str], list[str]]:
    """(stacks to compare, stacks that exist in the backend); the backend is asked unless --no-state."""
    in_backend = [] if args.no_state else backend_stacks(args.pulumi, args.project_dir)
    every = sorted({*in_backend, *(stack.name for stack in configured)})
    return (sorted(set(args.stack)) if args.stack else every), in_backend


def run(args: argparse.Namespace) -> int:
    try:
        configured = stack_files(args.project_dir)
        stacks, in_backend = _selected(args, configured)
        files = {
            stack.name: {
                site for path in matched_files(stack, args.project_dir) if (site := site_of_file(path))
            }
            for stack in configured
            if stack.name in stacks
        }
        states = {
            name: sites_in_state(_pulumi(args.pulumi, args.project_dir, "stack", "export", "--stack", name))
            for name in stacks
            if name in in_backend
        }
    except (OSError, StackConfigError, PulumiCommandError) as error:
        return report_error(str(error))
    found = claims(files, states)
    shared = overlaps(found)
    for site, owners in shared:
        print(describe(site, owners))
    if shared:
        return report_error(
            f"{len(shared)} site{'s are' if len(shared) != 1 else ' is'} managed by more than one stack: "
            "each stack deletes the devices only the other declares, and destroying either deletes them "
            "all (README: Fleet layout)"
        )
    sites = f"{len(found)} site{'' if len(found) == 1 else 's'}"
    print(f"{sites} in {len(stacks)} stack{'' if len(stacks) == 1 else 's'}: each site has one owner")
    return EXIT_OK


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "owners",
        help="fail when two stacks manage the same site",
        description=(
            "Compare the stacks of this project: a site is claimed by a stack whose state holds its "
            "devices (`pulumi stack export`) or whose chekt:sites files declare it "
            "(Pulumi.<stack>.yaml). Print every site claimed by more than one stack. Runs the Pulumi "
            "CLI in --project-dir with the current backend login (PULUMI_BACKEND_URL, "
            "PULUMI_ACCESS_TOKEN); no CHeKT credentials. Exit status: 0 every site has one owner, "
            "1 a site has several owners or the CLI failed, 2 usage error."
        ),
    )
    parser.add_argument(
        "--project-dir", type=Path, default=Path("."), metavar="DIR", help="the folder of Pulumi.yaml"
    )
    parser.add_argument(
        "--stack", action="append", default=[], metavar="NAME", help="compare only these stacks (repeatable)"
    )
    parser.add_argument(
        "--no-state", action="store_true", help="compare the stacks' files only (offline, no backend)"
    )
    parser.add_argument("--pulumi", default="pulumi", metavar="PATH", help="the Pulumi CLI (default: pulumi)")
    parser.set_defaults(func=run)
