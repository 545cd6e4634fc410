"""Benchmark: `chekt-devices validate` on hostile site files and on a fleet of ordinary ones.

Each run is a fresh `python -m pulumi_chekt.cli validate` process with a time limit and an address-space
cap, measured with os.wait4 (wall seconds, peak RSS of that process). With ``--compare DIR`` every
case also runs with ``PYTHONPATH=DIR`` (e.g. the provider/ folder of an older checkout), interleaved
with the current code, so the two are measured in the same conditions.

    .venv/bin/python -m benchmarks.bench_site_files hostile --compare /tmp/old/provider
    .venv/bin/python -m benchmarks.bench_site_files fleet --files 500 --rounds 3 --compare /tmp/old/provider

Wall times on a shared machine vary with its load; CPU seconds (user + system) vary much less.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from tests.site.test_loading import alias_bomb

DEVICE_TYPES = ("camera", "camera", "camera", "bridge")


def site_text(dealer: int, site: int, devices: int) -> str:
    """A realistic site file: defaults, names, models, serials, some additional zones."""
    rows = [
        "# yaml-language-server: $schema=../schemas/site.schema.json",
        f"dealer_id: {dealer}",
        f"site_id: {site}",
        f"description: Store {site} of dealer {dealer}",
        "defaults:",
        "  manufacturer: CHeKT",
        "devices:",
    ]
    for n in range(devices):
        zone = 3 * n + 1
        rows += [
            f"  - external_device_id: d{dealer}-s{site}-dev-{n:04d}",
            f"    device_type: {DEVICE_TYPES[n % len(DEVICE_TYPES)]}",
            f"    name: Camera {n} at store {site}",
            f'    zone_number: "{zone:03d}"',
            f'    mac: "00:1A:2B:{n % 256:02X}:{site % 256:02X}:{dealer % 256:02X}"',
            "    model: ADC2345",
            f"    serial_number: SN-{site:05d}-{n:04d}",
        ]
        if n % 3 == 0:
            rows.append(f'    additional_zone_numbers: ["{zone + 1:03d}", "{zone + 2:03d}"]')
    return "\n".join(rows) + "\n"


def deep_nesting(depth: int) -> str:
    return "dealer_id: 2\nsite_id: 3\ndevices: " + "[" * depth + "]" * depth + "\n"


@dataclass(frozen=True)
class Run:
    seconds: float
    cpu_seconds: float
    peak_rss_mb: float
    status: str
    last_line: str


def run_validate(files: list[Path], pythonpath: str | None, timeout: float, memory_mb: int) -> Run:
    """One validate process: wall time, peak RSS (os.wait4), exit status or the signal/limit that ended it."""
    env = dict(os.environ)
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    env.pop("CHEKT_PROGRESS", None)

    def limit() -> None:
        cap = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))

    start = time.perf_counter()
    with tempfile.TemporaryFile() as out:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "pulumi_chekt.cli", "validate", *map(str, files)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            preexec_fn=limit,  # noqa: PLW1509 - single-threaded benchmark
        )
        status = ""
        deadline = start + timeout
        while True:
            pid, code, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                process.kill()
                pid, code, usage = os.wait4(process.pid, 0)
                status = f"killed after {timeout:.0f} s"
                break
            time.sleep(0.005)
        seconds = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(code)
        status = status or f"exit {process.returncode}"
        out.seek(0)
        text = out.read().decode("utf-8", "replace").strip().splitlines()
    last = text[-1] if text else ""
    if any("Traceback" in row for row in text):
        last = "TRACEBACK: " + last
    return Run(seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, status, last[:140])


def hostile(args: argparse.Namespace) -> None:
    folder = Path(tempfile.mkdtemp(prefix="bench-hostile-"))
    big = site_text(2, 3, 1)
    device = site_text(2, 3, 1).split("devices:\n", 1)[1]
    repeats = (50 * 1024 * 1024) // len(device)
    cases = {
        "alias bomb": alias_bomb(),
        "50 MB file": big.split("devices:\n")[0] + "devices:\n" + device * repeats,
        f"nesting {args.depth}": deep_nesting(args.depth),
    }
    for name, text in cases.items():
        path = folder / (name.replace(" ", "-") + ".yaml")
        path.write_text(text, encoding="utf-8")
        print(f"{name}: {len(text.encode()):,} bytes")
        for label, pythonpath in _variants(args):
            run = run_validate([path], pythonpath, args.timeout, args.memory_mb)
            print(
                f"  {label:12} {run.seconds:7.2f} s (CPU {run.cpu_seconds:6.2f} s)  peak RSS {run.peak_rss_mb:7.1f} MB"
                f"  {run.status:>16}  {run.last_line}"
            )


def fleet(args: argparse.Namespace) -> None:
    folder = Path(tempfile.mkdtemp(prefix="bench-fleet-"))
    files = []
    for n in range(args.files):
        path = folder / f"dealer-{n // 50 + 2}-site-{n + 3}.yaml"
        path.write_text(site_text(n // 50 + 2, n + 3, args.devices), encoding="utf-8")
        files.append(path)
    size = sum(f.stat().st_size for f in files)
    print(f"{len(files)} files, {args.devices} devices each, {size / 1024:.0f} KiB in all")
    runs: dict[str, list[Run]] = {}
    for _ in range(args.rounds):
        for label, pythonpath in _variants(args):
            run = run_validate(files, pythonpath, args.timeout, args.memory_mb)
            if not run.status.startswith("exit 0"):
                print(f"  {label}: {run.status} {run.last_line}")
            runs.setdefault(label, []).append(run)
    for label, done in runs.items():
        wall = statistics.median(r.seconds for r in done)
        cpu = statistics.median(r.cpu_seconds for r in done)
        shown = ", ".join(f"{r.seconds:.2f}/{r.cpu_seconds:.2f}" for r in done)
        print(f"  {label:12} median {wall:.2f} s wall, {cpu:.2f} s CPU  (runs, wall/CPU: {shown})")


def _variants(args: argparse.Namespace) -> list[tuple[str, str | None]]:
    variants: list[tuple[str, str | None]] = []
    if args.compare:
        variants.append(("before", args.compare))
    variants += [tuple(v.split("=", 1)) for v in args.variant]  # type: ignore[misc]
    variants.append(("after" if args.compare else "current", None))
    return variants


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("case", choices=("hostile", "fleet"))
    parser.add_argument("--compare", help="PYTHONPATH of the code to compare with (e.g. old/provider)")
    parser.add_argument(
        "--variant", action="append", default=[], metavar="LABEL=PYTHONPATH", help="another code to compare"
    )
    parser.add_argument("--files", type=int, default=500)
    parser.add_argument("--devices", type=int, default=12)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--depth", type=int, default=3000)
    parser.add_argument("--timeout", type=float, default=120.0)
    parser.add_argument("--memory-mb", type=int, default=4096)
    args = parser.parse_args()
    hostile(args) if args.case == "hostile" else fleet(args)


if __name__ == "__main__":
    main()
