"""``init [DIR]``: a new Pulumi project that converges the site files in ``DIR/sites``.

A subcommand rather than a ``pulumi new`` template: it ships inside the wheel, so it works offline
and without a clone, and the schema copy it writes always matches the installed package's rules.
It writes only files that do not exist yet (``--force`` replaces them) and never touches others.
"""

from __future__ import annotations

import argparse
import re
import shlex
from dataclasses import dataclass
from pathlib import Path

from pulumi_chekt.cli.common import EXIT_OK, PROG, report_error
from pulumi_chekt.cli.schema import PROJECT_SCHEMA_PATH, bundled_text
from pulumi_chekt.site.globs import DEFAULT_SITE_GLOBS

DEFAULT_NAME = "chekt-sites"
EXAMPLE_SITE = Path("sites") / "example-site.yaml"

PULUMI_YAML = """\
name: {name}
description: CHeKT site devices (cameras and bridges), converged to the site files in sites/.
# No virtualenv option: Pulumi runs the `python3` of the activated virtualenv, the one that has
# pulumi-chekt installed (README "Install").
runtime: python
# Stack config read by the program and the provider (README "Configuration"):
#   chekt:sites         a glob or a list of globs relative to this folder (default {default_sites})
#   chekt:baseUrl, chekt:tokenUrl (set with --plaintext), chekt:clientId,
#   chekt:clientSecret (--secret), chekt:apiToken (--secret), chekt:caBundle
"""

MAIN_PY = '''\
"""Converge every site file matched by chekt:sites (default sites/*.yaml) with pulumi-chekt."""

from pulumi_chekt.program import main

main()
'''

EXAMPLE_SITE_YAML = """\
# yaml-language-server: $schema=../{schema}
# One file per CHeKT site: the whole truth for that site. A device removed from this file is deleted
# from the site by `pulumi up`. Check with `{prog} validate sites/*.yaml`.
# Dealer 2, site 3 exist on `chekt-local-api` as it starts; put your own dealer and site ids here.
dealer_id: 2
site_id: 3
description: Example store
# prune: true    # also delete this site's devices that no site file declares (off: left alone)
defaults:
  manufacturer: CHeKT
devices:
  - external_device_id: front-door-cam
    device_type: camera
    name: Front Door Camera
    zone_number: "001"          # zone numbers are strings: quote them
    additional_zone_numbers: ["002", "003"]
  - external_device_id: alarm-bridge
    device_type: bridge
    name: Alarm Panel Bridge
    zone_number: "010"
"""

GITIGNORE = """\
.venv/
venv/
__pycache__/
*.pyc
# Pulumi state, when kept in the project (README "Quick start"): never commit it.
.pulumi-state/
"""


@dataclass(frozen=True)
class ProjectFile:
    path: Path
    text: str


NAME_PATTERN = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")


def checked_name(text: str) -> str:
    """argparse type for --name: what Pulumi accepts as a project name."""
    if not NAME_PATTERN.match(text):
        raise argparse.ArgumentTypeError(f"letters, digits, '-', '_' and '.' only, got {text!r}")
    return text


def project_name(folder: Path) -> str:
    """A valid Pulumi project name (letters, digits, ``-``, ``_``, ``.``) from the folder's name."""
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", folder.resolve().name).strip("-.")
    return name or DEFAULT_NAME


def project_files(name: str) -> list[ProjectFile]:
    """What ``init`` writes, relative to the project folder."""
    return [
        ProjectFile(Path("Pulumi.yaml"), PULUMI_YAML.format(name=name, default_sites=DEFAULT_SITE_GLOBS[0])),
        ProjectFile(Path("__main__.py"), MAIN_PY),
        ProjectFile(EXAMPLE_SITE, EXAMPLE_SITE_YAML.format(schema=PROJECT_SCHEMA_PATH.as_posix(), prog=PROG)),
        ProjectFile(PROJECT_SCHEMA_PATH, bundled_text()),
        ProjectFile(Path(".gitignore"), GITIGNORE),
    ]


def next_steps(folder: Path) -> list[str]:
    """The three commands that take a new project to its first preview."""
    cd = [] if folder.resolve() == Path.cwd().resolve() else [f"cd {shlex.quote(str(folder))}"]
    return [
        " && ".join([*cd, "pulumi stack init dev"]),
        "pulumi config set chekt:clientId <client id> && "
        "pulumi config set --secret chekt:clientSecret <client secret>",
        f"{PROG} validate sites/*.yaml && pulumi preview",
    ]


def run(args: argparse.Namespace) -> int:
    folder: Path = args.dir
    if folder.exists() and not folder.is_dir():
        return report_error(f"{folder} exists and is not a folder")
    files = project_files(args.name or project_name(folder))
    existing = [f.path.as_posix() for f in files if (folder / f.path).exists()]
    if existing and not args.force:
        return report_error(
            f"{folder} already has {', '.join(existing)}; nothing was written (pass --force to replace them)"
        )
    try:
        for file in files:
            target = folder / file.path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(file.text, encoding="utf-8")
    except OSError as error:
        return report_error(f"cannot write to {folder}: {error.strerror or error}")
    written = ", ".join(f.path.as_posix() for f in files)
    print(f"Created a CHeKT sites project in {folder}: {written}")
    print("Next:")
    for number, command in enumerate(next_steps(folder), start=1):
        print(f"  {number}. {command}")
    return EXIT_OK


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "init",
        help="create a Pulumi project for site files",
        description=(
            "Write Pulumi.yaml, __main__.py (the pulumi-chekt root program), an example site file in "
            f"sites/, the site schema for editors ({PROJECT_SCHEMA_PATH.as_posix()}) and a .gitignore "
            "into DIR (created if missing), then print the next commands. Existing files are left "
            "alone: the command fails without writing anything unless --force is given. Exit status: "
            "0 written, 1 a file exists or cannot be written, 2 usage error."
        ),
    )
    parser.add_argument("dir", nargs="?", type=Path, default=Path("."), metavar="DIR", help="default: .")
    parser.add_argument(
        "--name", type=checked_name, help="the Pulumi project name (default: the folder's name)"
    )
    parser.add_argument("--force", action="store_true", help="replace files that already exist")
    parser.set_defaults(func=run)
