"""Engine benchmark: the real Pulumi CLI on this project and on the no-op floor, interleaved.

For each cell (devices, sites, server latency, checkpoints) it creates two stacks — the project (the
root program over site files, against an in-process local API server) and the floor
(``benchmarks/floor.py``: the same resource shape, no API call) — and runs each operation on both,
alternating which goes first, so that noise on a shared machine hits both alike. ``--variants``
adds others, e.g. ``naive`` (``benchmarks/naive.py``: the same shape with one HTTP request per device
operation, what a straightforward per-device provider costs):

    up        create every device
    preview   a no-op preview
    refresh   refresh every device
    update    rename every device (an in-place update of all of them)
    destroy   delete every device

Per operation and stack it reports wall seconds, the ratio project / floor, API requests by route,
requests per device written, devices returned by list calls, and peak RSS and CPU seconds of each
process (engine ``pulumi``, the Go language host, the program's python, the provider's python).

    .venv/bin/python -m benchmarks.engine_bench --sizes 100 --sites 1,10 --latencies 0,50
    .venv/bin/python -m benchmarks.engine_bench --sizes 1000 --sites 1 --checkpoints skipped --ops up

Needs the Pulumi CLI (``$PULUMI_BIN_DIR``, ``.tools/pulumi/bin`` or ``PATH``; ``make bench`` finds it
with scripts/get-pulumi.sh). Timings are for ratios within one run, never for absolute claims.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import resource
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml
from tests.e2e.harness import REPO, PulumiProject, pulumi_bin_dir
from tests.e2e.proctree import TreeSampler, classify
from tests.e2e.releases import release_source
from tests.routes import CREATE, DELETE, GET, LIST, TOKEN, UPDATE

from benchmarks.floor import EXTRAS_ENV
from pulumi_chekt.localserver import ClientConfig, LocalServer, ServerConfig

OPS = ("up", "preview", "refresh", "update", "destroy")
VARIANTS = ("project", "floor")
BASELINES = ("naive",)
"""Other providers with the project's program shape: ``naive`` sends one request per device operation."""
EXPERIMENTS = ("floor+summary", "floor+outputs", "floor+summary+outputs", "floor+slow", "floor+slow+summary")
"""The floor with one of the project program's own costs added back (see benchmarks/floor.py)."""
PROCESS_VARIANTS = ("project+processes2", "project+processes4")
RELEASES = ("previous",)
"""The project's program on the previous release's code (``tests/e2e/releases.py``: 359d25c, before site
records), from git, so that a change is measured against what it replaces in the same run."""
"""The project with ``chekt:providerProcesses`` set: sites spread over that many provider processes."""
CHECKPOINTS = ("default", "skipped")
WRITE_OPS = {"up", "update", "destroy"}
ROUTE_NAMES = {LIST: "list", GET: "get", CREATE: "create", UPDATE: "update", DELETE: "delete", TOKEN: "token"}
DEALER = 2
CLIENT_ID, CLIENT_SECRET = "bench-client", "bench-client-secret"  # a throwaway in-process server's client
CLI_ARGS = {
    "up": ("up", "--yes", "--skip-preview"),
    "preview": ("preview",),
    "refresh": ("refresh", "--yes", "--skip-preview"),
    "update": ("up", "--yes", "--skip-preview"),
    "destroy": ("destroy", "--yes", "--skip-preview"),
}


@dataclass(frozen=True)
class Cell:
    """One configuration of the matrix."""

    devices: int
    sites: int
    latency_ms: int
    checkpoints: str  # "default" or "skipped" (PULUMI_SKIP_CHECKPOINTS=true)

    @property
    def label(self) -> str:
        return (
            f"N={self.devices} sites={self.sites} latency={self.latency_ms}ms checkpoints={self.checkpoints}"
        )


@dataclass
class Measurement:
    """One CLI operation on one stack."""

    cell: Cell
    variant: str
    op: str
    ok: bool
    wall_s: float
    cpu_total_s: float
    requests: dict[str, int] = field(default_factory=dict)
    devices_written: int = 0
    devices_listed: int | None = None
    api_devices_after: int | None = None
    roles: dict[str, dict[str, float]] = field(default_factory=dict)
    error: str = ""
    state_bytes: int | None = None
    """Size of the stack's state file after the run (the file backend rewrites it after every step)."""

    @property
    def requests_total(self) -> int:
        return sum(self.requests.values())


def writes_api(variant: str) -> bool:
    """The variants whose provider talks to the API (the floor and its experiments do not)."""
    return variant.startswith("project") or variant in BASELINES or variant in RELEASES


def dealer_of(variant: str, variants: Sequence[str]) -> int:
    """Each variant that writes to the API has its own dealer, so two of them never share a device."""
    writers = [v for v in variants if writes_api(v)]
    return DEALER + writers.index(variant) if variant in writers else DEALER


def provider_processes(variant: str) -> int:
    """``project+processes4`` -> 4; every other variant runs one provider process."""
    suffix = variant.partition("+processes")[2]
    return int(suffix) if suffix else 1


def site_files(cell: Cell, renamed: bool, dealer: int = DEALER) -> dict[str, dict[str, Any]]:
    """The cell's devices spread evenly over its sites; ``renamed`` changes every device's name."""
    per_site = [
        cell.devices // cell.sites + (1 if i < cell.devices % cell.sites else 0) for i in range(cell.sites)
    ]
    numbers = itertools.count(1)
    files: dict[str, dict[str, Any]] = {}
    for site_id, count in enumerate(per_site, start=1):
        devices = []
        for _ in range(count):
            n = next(numbers)
            devices.append(
                {
                    "external_device_id": f"bench-cam-{n:05d}",
                    "device_type": "camera",
                    "zone_number": f"{n:05d}",
                    "name": f"Camera {n}{' renamed' if renamed else ''}",
                }
            )
        files[f"dealer-{dealer}-site-{site_id}.yaml"] = {
            "dealer_id": dealer,
            "site_id": site_id,
            "devices": devices,
        }
    return files


def write_sites(project: PulumiProject, files: dict[str, dict[str, Any]]) -> None:
    """Replace the project's site files."""
    project.sites_dir.mkdir(parents=True, exist_ok=True)
    for old in project.sites_dir.glob("*.yaml"):
        old.unlink()
    for name, site in files.items():
        project.write_site(name, site)


def make_project(
    variant: str, root: Path, bin_dir: Path, server: LocalServer, cell: Cell, *, dealer: int = DEALER
) -> PulumiProject:
    env = {"PYTHONPATH": str(REPO)}
    if variant in RELEASES:
        env["PYTHONPATH"] = f"{release_source(root.parent / f'{variant}-source')}{os.pathsep}{REPO}"
    if cell.checkpoints == "skipped":
        env["PULUMI_SKIP_CHECKPOINTS"] = "true"
    project = PulumiProject(root, bin_dir, stack="bench", extra_env=env)
    if variant.startswith("floor+"):
        env[EXTRAS_ENV] = ",".join(variant.split("+")[1:])
    if variant in BASELINES:  # its provider reads where the API is from its environment
        env.update(
            {
                "CHEKT_BASE_URL": server.url,
                "CHEKT_TOKEN_URL": server.token_url,
                "CHEKT_CLIENT_ID": CLIENT_ID,
                "CHEKT_CLIENT_SECRET": CLIENT_SECRET,
            }
        )
    if variant.startswith("floor") or variant in BASELINES:
        module = "floor" if variant.startswith("floor") else variant
        venv = Path(sys.executable).parent.parent
        root.mkdir(parents=True)
        runtime = {"name": "python", "options": {"virtualenv": str(venv)}}
        (root / "Pulumi.yaml").write_text(
            yaml.safe_dump({"name": f"chekt-{module}", "runtime": runtime}), "utf-8"
        )
        (root / "__main__.py").write_text(f"from benchmarks.{module} import main\n\nmain()\n", "utf-8")
        project.create(server.url, server.token_url, CLIENT_ID, CLIENT_SECRET, program=None)
    else:
        project.create(server.url, server.token_url, CLIENT_ID, CLIENT_SECRET)
        if provider_processes(variant) > 1:
            project.run("config", "set", "chekt:providerProcesses", str(provider_processes(variant)))
    write_sites(project, site_files(cell, renamed=False, dealer=dealer))
    return project


class ListedDevices:
    """Devices returned by list calls: the server's ``devices_listed`` stat when it has one, else counted
    here by wrapping the in-process store's ``list_devices``."""

    def __init__(self, server: LocalServer) -> None:
        self.server = server
        self._own = 0
        self._lock = threading.Lock()
        if "devices_listed" not in server.admin.stats():
            store = server.state.store
            original: Callable[[int, int], list[dict[str, Any]]] = store.list_devices

            def counting(dealer_id: int, site_id: int) -> list[dict[str, Any]]:
                devices = original(dealer_id, site_id)
                with self._lock:
                    self._own += len(devices)
                return devices

            store.list_devices = counting  # type: ignore[method-assign]
            self._from_server = False
        else:
            self._from_server = True

    def total(self) -> int:
        if self._from_server:
            return int(self.server.admin.stats()["devices_listed"])
        with self._lock:
            return self._own


def run_op(
    project: PulumiProject, op: str, *, server: LocalServer, listed: ListedDevices, cell: Cell, timeout: float
) -> Measurement:
    """One measured CLI run: wall, CPU and RSS per process, API requests it caused."""
    argv = [str(project.bin_dir / "pulumi"), *CLI_ARGS[op], "--non-interactive", "--stack", project.stack]
    log = project.root / f"{op}.log"
    requests_before, listed_before = server.admin.stats()["requests"], listed.total()
    usage_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    with log.open("w", encoding="utf-8") as out:
        process = subprocess.Popen(  # noqa: S603 (argv is the CLI and fixed arguments)
            argv, cwd=project.root, env=project.env(), stdout=out, stderr=subprocess.STDOUT
        )
        with TreeSampler(process.pid, classify) as sampler:
            try:
                returncode = process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                returncode = process.wait()
    wall = time.perf_counter() - start
    usage_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    requests_after = server.admin.stats()["requests"]
    requests = {
        ROUTE_NAMES.get(key, key): int(count) - int(requests_before.get(key, 0))
        for key, count in requests_after.items()
        if int(count) - int(requests_before.get(key, 0))
    }
    cpu = (usage_after.ru_utime + usage_after.ru_stime) - (usage_before.ru_utime + usage_before.ru_stime)
    roles = {
        role: {
            "processes": totals.processes,
            "peak_rss_mib": totals.peak_rss_kib / 1024,
            "cpu_s": totals.cpu_seconds,
        }
        for role, totals in sampler.by_role().items()
    }
    output = log.read_text(encoding="utf-8", errors="replace")
    states = sorted((project.root / "backend").glob(f"**/stacks/**/{project.stack}.json"))
    return Measurement(
        cell=cell,
        variant="",
        op=op,
        ok=returncode == 0,
        wall_s=wall,
        cpu_total_s=cpu,
        requests=requests,
        devices_written=cell.devices if op in WRITE_OPS else 0,
        devices_listed=listed.total() - listed_before,
        roles=roles,
        error="" if returncode == 0 else output[-3000:],
        state_bytes=states[0].stat().st_size if states else None,
    )


def devices_of(server: LocalServer, dealer: int, cell: Cell) -> int:
    """Devices the API holds for one variant's dealer, read from the store directly (no request; called
    between measured runs, so a count kept by wrapping the store does not leak into a measurement)."""
    return sum(len(server.state.store.list_devices(dealer, site)) for site in range(1, cell.sites + 1))


def run_cell(
    cell: Cell,
    ops: Sequence[str],
    bin_dir: Path,
    workdir: Path,
    *,
    variants: Sequence[str] = VARIANTS,
    timeout: float = 3600.0,
    report: Callable[[Measurement], None] = lambda _m: None,
) -> list[Measurement]:
    """Every op of ``ops`` (in OPS order) on each variant, alternating which variant goes first.

    ``up`` runs unmeasured first when later ops need devices and ``up`` is not asked for.
    """
    wanted = [op for op in OPS if op in ops]
    sequence = wanted if "up" in wanted or not wanted else ["setup-up", *wanted]
    faults = {"latency_ms": cell.latency_ms} if cell.latency_ms else None
    config = ServerConfig(
        clients=[ClientConfig(CLIENT_ID, CLIENT_SECRET, "adc")],
        dealers={dealer_of(v, variants): list(range(1, cell.sites + 1)) for v in variants},
        faults=faults,
    )
    folder = workdir / f"n{cell.devices}-s{cell.sites}-l{cell.latency_ms}-{cell.checkpoints}"
    shutil.rmtree(folder, ignore_errors=True)
    results: list[Measurement] = []
    with LocalServer(config) as server:
        listed = ListedDevices(server)
        projects = {
            variant: make_project(
                variant, folder / variant, bin_dir, server, cell, dealer=dealer_of(variant, variants)
            )
            for variant in variants
        }
        failed: set[str] = set()
        for index, op in enumerate(sequence):
            order = list(variants) if index % 2 == 0 else list(reversed(variants))
            for variant in order:
                if variant in failed:
                    continue
                project = projects[variant]
                if op == "update":
                    write_sites(project, site_files(cell, renamed=True, dealer=dealer_of(variant, variants)))
                measurement = run_op(
                    project,
                    op.removeprefix("setup-"),
                    server=server,
                    listed=listed,
                    cell=cell,
                    timeout=timeout,
                )
                measurement.variant = variant
                if writes_api(variant):
                    measurement.api_devices_after = devices_of(server, dealer_of(variant, variants), cell)
                if not measurement.ok:
                    failed.add(variant)
                if op.startswith("setup-") and measurement.ok:
                    continue
                results.append(measurement)
                report(measurement)
    shutil.rmtree(folder, ignore_errors=True)
    return results


# ---- report ---------------------------------------------------------------------------------------


def _pair(results: Iterable[Measurement]) -> dict[tuple[Cell, str], dict[str, Measurement]]:
    pairs: dict[tuple[Cell, str], dict[str, Measurement]] = {}
    for result in results:
        pairs.setdefault((result.cell, result.op), {})[result.variant] = result
    return pairs


def _seconds(result: Measurement | None) -> str:
    if result is None:
        return "-"
    return f"{result.wall_s:.1f}" if result.ok else f"FAILED ({result.wall_s:.0f} s)"


def _role(result: Measurement | None, role: str, key: str, fmt: str) -> str:
    if result is None or role not in result.roles:
        return "-"
    return format(result.roles[role][key], fmt)


def markdown(results: Sequence[Measurement]) -> str:
    """Two tables: wall and API per operation, then memory and CPU per process (project / floor)."""
    head = "| N | sites | latency | checkpoints | op |"
    lines = [
        f"{head} project s | floor s | ratio | API requests | req/device written | devices listed |",
        "|---:|---:|---:|---|---|---:|---:|---:|---|---:|---:|",
    ]
    pairs = _pair(results)
    for (cell, op), by_variant in pairs.items():
        project, floor = by_variant.get("project"), by_variant.get("floor")
        ratio = (
            f"{project.wall_s / floor.wall_s:.2f}x" if project and floor and project.ok and floor.ok else "-"
        )
        routes = (
            ", ".join(f"{name} {count}" for name, count in sorted(project.requests.items()))
            if project
            else "-"
        )
        if project and project.requests_total == 0:
            routes = "0"
        per_device = (
            f"{project.requests_total / project.devices_written:.2f}"
            if project and project.devices_written
            else "-"
        )
        listed = "n/a" if project is None or project.devices_listed is None else str(project.devices_listed)
        lines.append(
            f"| {cell.devices} | {cell.sites} | {cell.latency_ms} ms | {cell.checkpoints} | {op} | "
            f"{_seconds(project)} | {_seconds(floor)} | {ratio} | {routes} | {per_device} | {listed} |"
        )
    lines += [
        "",
        f"{head} peak RSS MiB engine | program | provider | CPU s engine | program | provider | all |",
        "|---:|---:|---:|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for (cell, op), by_variant in pairs.items():
        project, floor = by_variant.get("project"), by_variant.get("floor")
        cols = [
            f"{_role(project, role, key, fmt)} / {_role(floor, role, key, fmt)}"
            for key, fmt in (("peak_rss_mib", ".0f"), ("cpu_s", ".1f"))
            for role in ("engine", "program", "provider")
        ]
        total = " / ".join(f"{m.cpu_total_s:.1f}" if m else "-" for m in (project, floor))
        lines.append(
            f"| {cell.devices} | {cell.sites} | {cell.latency_ms} ms | {cell.checkpoints} | {op} | "
            + " | ".join(cols)
            + f" | {total} |"
        )
    lines.append("")
    lines.append(
        "Process columns are project / floor. CPU s of one process is sampled every 0.1 s; 'all' is exact."
    )
    variants = list(dict.fromkeys(result.variant for result in results))
    if any(variant not in VARIANTS for variant in variants):
        lines += [
            "",
            f"{head} " + " | ".join(f"{variant}: wall s / program CPU s" for variant in variants) + " |",
            "|---:|---:|---:|---|---|" + "---:|" * len(variants),
        ]
        for (cell, op), by_variant in pairs.items():
            cols = [
                f"{_seconds(by_variant.get(v))} / {_role(by_variant.get(v), 'program', 'cpu_s', '.1f')}"
                + _requests_per_device(by_variant.get(v))
                for v in variants
            ]
            lines.append(
                f"| {cell.devices} | {cell.sites} | {cell.latency_ms} ms | {cell.checkpoints} | {op} | "
                + " | ".join(cols)
                + " |"
            )
    sizes = [
        f"| {cell.devices} | {cell.sites} | {cell.checkpoints} | {variant} | {m.state_bytes:,} |"
        for (cell, op), by_variant in pairs.items()
        if op == "up"
        for variant, m in by_variant.items()
        if m.state_bytes
    ]
    if sizes:
        lines += [
            "",
            "| N | sites | checkpoints | variant | state bytes after `up` |",
            "|---:|---:|---|---|---:|",
            *sizes,
        ]
    return "\n".join(lines)


def _requests_per_device(measurement: Measurement | None) -> str:
    if measurement is None or not measurement.devices_written or not measurement.requests_total:
        return ""
    return f" ({measurement.requests_total / measurement.devices_written:.2f} req/device)"


def summary_markdown(results: Sequence[Measurement]) -> str:
    """One row per cell: for each operation, project / floor seconds and their ratio (the table of docs/benchmarks.md)."""
    pairs = _pair(results)
    cells = list(dict.fromkeys(cell for cell, _ in pairs))
    ops = [op for op in OPS if any(op == o for _, o in pairs)]
    lines = [
        "| N | sites | latency | checkpoints | " + " | ".join(ops) + " |",
        "|---:|---:|---:|---|" + "---|" * len(ops),
    ]
    for cell in cells:
        cols = []
        for op in ops:
            by_variant = pairs.get((cell, op), {})
            project, floor = by_variant.get("project"), by_variant.get("floor")
            if project and floor and project.ok and floor.ok:
                cols.append(
                    f"{project.wall_s:.1f} / {floor.wall_s:.1f} = {project.wall_s / floor.wall_s:.2f}x"
                )
            else:
                cols.append(f"{_seconds(project)} / {_seconds(floor)}")
        lines.append(
            f"| {cell.devices} | {cell.sites} | {cell.latency_ms} ms | {cell.checkpoints} | "
            + " | ".join(cols)
            + " |"
        )
    return "\n".join(lines)


def to_json(results: Sequence[Measurement]) -> list[dict[str, Any]]:
    return [{**asdict(result), "requests_total": result.requests_total} for result in results]


def from_json(rows: list[dict[str, Any]]) -> list[Measurement]:
    fields = {f for f in Measurement.__dataclass_fields__ if f != "cell"}
    return [
        Measurement(cell=Cell(**row["cell"]), **{k: v for k, v in row.items() if k in fields}) for row in rows
    ]


# ---- command line ---------------------------------------------------------------------------------


def _ints(text: str) -> list[int]:
    return [int(part) for part in text.split(",") if part.strip()]


def _choices(allowed: Sequence[str]) -> Callable[[str], list[str]]:
    def parse(text: str) -> list[str]:
        chosen = [part.strip() for part in text.split(",") if part.strip()]
        unknown = [part for part in chosen if part not in allowed]
        if unknown:
            raise argparse.ArgumentTypeError(f"unknown {unknown}; choose from {', '.join(allowed)}")
        return chosen

    return parse


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.engine_bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--sizes", type=_ints, default=[100, 1000], help="devices per cell (default 100,1000)"
    )
    parser.add_argument(
        "--sites",
        "--layouts",
        dest="sites",
        type=_ints,
        default=[1, 10],
        help="sites the devices are spread over (default 1,10)",
    )
    parser.add_argument(
        "--latencies", type=_ints, default=[0, 50], help="server latency in ms (default 0,50)"
    )
    parser.add_argument(
        "--checkpoints", type=_choices(CHECKPOINTS), default=list(CHECKPOINTS), help="default,skipped"
    )
    parser.add_argument("--ops", type=_choices(OPS), default=list(OPS), help=",".join(OPS))
    parser.add_argument(
        "--variants",
        type=_choices((*VARIANTS, *BASELINES, *EXPERIMENTS, *PROCESS_VARIANTS, *RELEASES)),
        default=list(VARIANTS),
        help=f"project,floor (default), or add {','.join(BASELINES)} (one request per device "
        f"operation), {','.join(EXPERIMENTS)} to see what those cost, "
        f"or {','.join(PROCESS_VARIANTS)} (chekt:providerProcesses), or previous (the previous release)",
    )
    parser.add_argument(
        "--workdir", type=Path, default=REPO / ".state" / "bench", help="stacks live here while a cell runs"
    )
    parser.add_argument("--json", type=Path, help="also write every measurement to this file")
    parser.add_argument(
        "--from-json", type=Path, help="print the tables of an earlier --json file, run nothing"
    )
    parser.add_argument(
        "--op-timeout", type=float, default=3600.0, help="seconds before one CLI run is killed"
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.from_json:
        loaded = from_json(json.loads(args.from_json.read_text(encoding="utf-8")))
        print(summary_markdown(loaded), markdown(loaded), sep="\n\n")
        return 0
    bin_dir = pulumi_bin_dir()
    if bin_dir is None:
        print("the Pulumi CLI is needed: run `make bench` or set PULUMI_BIN_DIR", file=sys.stderr)
        return 2
    cells = [
        Cell(size, sites, latency, checkpoints)
        for size, sites, latency, checkpoints in itertools.product(
            args.sizes, args.sites, args.latencies, args.checkpoints
        )
        if sites <= size
    ]
    results: list[Measurement] = []

    def progress(m: Measurement) -> None:
        results.append(m)
        status = "ok" if m.ok else "FAILED"
        print(
            f"  {m.cell.label} {m.op:8s} {m.variant:8s} {m.wall_s:8.1f} s  {m.requests_total:6d} requests  {status}",
            file=sys.stderr,
            flush=True,
        )
        if args.json:
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(json.dumps(to_json(results), indent=1), encoding="utf-8")

    for cell in cells:
        print(f"cell {cell.label}", file=sys.stderr, flush=True)
        run_cell(
            cell,
            args.ops,
            bin_dir,
            args.workdir,
            variants=args.variants,
            timeout=args.op_timeout,
            report=progress,
        )
    print(summary_markdown(results))
    print()
    print(markdown(results))
    return 0 if all(result.ok for result in results) else 1


if __name__ == "__main__":
    sys.exit(main())
