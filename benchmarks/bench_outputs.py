"""How much a fleet-sized stack prints and costs: stack output lines of `pulumi up`, program CPU.

    .venv/bin/python benchmarks/bench_outputs.py [--devices 1000] [--sites 20] [--cpu-devices 500]

Runs the real Pulumi CLI (tests/e2e/harness.py) against a local API server:

1. ``pulumi preview`` of CPU_DEVICES devices with the root program and with LEGACY_PROGRAM (the
   stack outputs as they were: one Output per device), three times each, interleaved: the CPU
   seconds (user + system) of the program process (the language host's Python child, timed by
   /usr/bin/time through $PULUMI_PYTHON_CMD), and their ratio;
2. ``pulumi up`` of DEVICES devices over SITES sites (``--program``: root or legacy): the lines of
   its ``Outputs:`` block;
3. a failing ``pulumi up`` (one injected item failure): which outputs the display marks ``-``.

Numbers, not assertions: CPU seconds vary with the machine's load; compare the ratio of one run.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.e2e import harness  # noqa: E402
from tests.e2e.harness import PulumiProject, pulumi_bin_dir  # noqa: E402

from pulumi_chekt.localserver import ClientConfig, LocalServer, ServerConfig  # noqa: E402

harness.CLI_TIMEOUT_SECONDS = 3_600  # a thousand creates on a loaded machine outlast the tests' limit

CLIENT_ID, CLIENT_SECRET = "bench-client", "bench-client-secret"
DEALER = 2
WRAPPER = """#!/bin/sh
# Time only the program (pulumi-language-python-exec); every other Python call runs as is.
case "$*" in
  *language-python-exec*) exec /usr/bin/time -a -o "{log}" -f "%U %S" "{python}" "$@" ;;
esac
exec "{python}" "$@"
"""


LEGACY_PROGRAM = """\
# The stack outputs before per-site counts: every device's id, type and zone, one Output.all each.
from pathlib import Path

import pulumi

from pulumi_chekt.site import SiteDevices, load_site_file

sites = [load_site_file(path) for path in sorted(Path("sites").glob("*.yaml"))]
for site in sites:
    component = SiteDevices(f"site-{site.dealer_id}-{site.site_id}", site=site)
    devices = {
        external_id: pulumi.Output.all(device.device_id, device.device_type, device.zone_number).apply(
            lambda values: {"device_id": values[0], "device_type": values[1], "zone_number": values[2]}
        )
        for external_id, device in component.devices.items()
    }
    pulumi.export(
        f"site-{site.dealer_id}-{site.site_id}",
        {"dealer_id": site.dealer_id, "site_id": site.site_id, "source": site.source,
         "device_count": len(devices), "devices": devices},
    )
pulumi.export("site_count", len(sites))
pulumi.export("device_count", sum(len(site.devices) for site in sites))
"""


class TimedProject(PulumiProject):
    """A project whose program process is timed (see WRAPPER)."""

    wrapper: Path | None = None

    def env(self) -> dict[str, str]:
        env = super().env()
        if self.wrapper is not None:
            env["PULUMI_PYTHON_CMD"] = str(self.wrapper)
        return env


def sites(devices: int, count: int) -> list[dict[str, Any]]:
    per_site = [devices // count + (1 if i < devices % count else 0) for i in range(count)]
    return [
        {
            "dealer_id": DEALER,
            "site_id": site_id,
            "devices": [
                {"external_device_id": f"cam-{n:04d}", "device_type": "camera", "zone_number": f"{n:03d}"}
                for n in range(1, size + 1)
            ],
        }
        for site_id, size in enumerate(per_site, start=1)
    ]


def outputs_block(text: str) -> list[str]:
    """The lines of the ``Outputs:`` block of `pulumi up` (up to the blank line before Resources)."""
    lines = text.splitlines()
    if "Outputs:" not in lines:
        return []
    block = []
    for line in lines[lines.index("Outputs:") + 1 :]:
        if not line.strip():
            break
        block.append(line)
    return block


def project_for(
    root: Path, server: LocalServer, fleet: list[dict[str, Any]], *, legacy: bool = False
) -> TimedProject:
    bin_dir = pulumi_bin_dir()
    if bin_dir is None:
        raise SystemExit("no Pulumi CLI: run `make pulumi` or set PULUMI_BIN_DIR")
    project = TimedProject(root, bin_dir).create(server.url, server.token_url, CLIENT_ID, CLIENT_SECRET)
    if legacy:
        (root / "__main__.py").write_text(LEGACY_PROGRAM, encoding="utf-8")
    for site in fleet:
        project.write_site(f"site-{site['site_id']}.yaml", site)
    return project


def program_cpu(project: TimedProject, log: Path) -> float:
    """CPU seconds of the program process during one `pulumi preview`."""
    project.wrapper = log.parent / "python-timed"
    project.wrapper.write_text(WRAPPER.format(log=log, python=sys.executable), encoding="utf-8")
    project.wrapper.chmod(0o755)
    log.unlink(missing_ok=True)
    try:
        project.run("preview")
    finally:
        project.wrapper = None
    user, system = log.read_text(encoding="utf-8").split()[-2:]
    return float(user) + float(system)


def compare_cpu(root: Path, server: LocalServer, devices: int, sites_count: int, runs: int = 3) -> None:
    fleet = sites(devices, sites_count)
    projects = {
        "root program": project_for(root / "cpu-root", server, fleet),
        "legacy outputs": project_for(root / "cpu-legacy", server, fleet, legacy=True),
    }
    seconds: dict[str, list[float]] = {name: [] for name in projects}
    for _ in range(runs):  # interleaved, so a change in the machine's load hits both alike
        for name, project in projects.items():
            seconds[name].append(program_cpu(project, root / f"{project.root.name}.time"))
    medians = {name: statistics.median(values) for name, values in seconds.items()}
    for name, values in seconds.items():
        runs_text = ", ".join(f"{value:.2f}" for value in values)
        print(
            f"program CPU, preview of {devices} devices, {name}: median {medians[name]:.2f} s ({runs_text})"
        )
    print(f"program CPU ratio root/legacy: {medians['root program'] / medians['legacy outputs']:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=1000, help="0: skip the `up` measurements")
    parser.add_argument("--sites", type=int, default=20)
    parser.add_argument("--cpu-devices", type=int, default=500, help="0: skip the CPU measurement")
    parser.add_argument(
        "--program", choices=("root", "legacy"), default="root", help="the program of the `up` measurements"
    )
    args = parser.parse_args()
    if not shutil.which("time") and not Path("/usr/bin/time").exists():
        raise SystemExit("needs /usr/bin/time")
    config = ServerConfig(
        clients=[ClientConfig(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, partner="adc")],
        dealers={DEALER: list(range(1, max(args.sites, 1) + 1))},
    )
    with tempfile.TemporaryDirectory(prefix="bench-outputs-") as tmp, LocalServer(config) as server:
        root = Path(tmp)
        if args.cpu_devices:
            compare_cpu(root, server, args.cpu_devices, args.sites)

        if not args.devices:
            return
        legacy = args.program == "legacy"
        project = project_for(root / "fleet", server, sites(args.devices, args.sites), legacy=legacy)
        up = project.up()
        block = outputs_block(up.stdout)
        print(
            f"pulumi up of {args.devices} devices in {args.sites} sites ({args.program} program): "
            f"{len(block)} lines of outputs"
        )
        print("\n".join(f"    | {line}" for line in block[:12]))

        first = sites(args.devices, args.sites)[0]
        first["devices"][0]["name"] = "renamed"
        project.write_site("site-1.yaml", first)
        server.admin.set_faults(
            item_failures=[{"external_device_id": "cam-0001", "status_code": 409, "error_message": "bench"}]
        )
        failed = project.run("up", "--yes", "--skip-preview", check=False)
        server.admin.set_faults()
        failed_block = outputs_block(failed.stdout)
        removed = [line for line in failed_block if line.lstrip().startswith("-")]
        print(
            f"failed up (exit {failed.returncode}): {len(failed_block)} lines of outputs, "
            f"{len(removed)} marked '-'"
        )
        print("\n".join(f"    | {line}" for line in failed_block[:12]))
        if os.environ.get("BENCH_KEEP"):
            (Path(os.environ["BENCH_KEEP"]) / "up.txt").write_text(up.output, encoding="utf-8")
            (Path(os.environ["BENCH_KEEP"]) / "failed-up.txt").write_text(failed.output, encoding="utf-8")


if __name__ == "__main__":
    main()
