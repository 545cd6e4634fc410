"""Benchmark: the Device provider against the local API server over loopback HTTP.

Prints, for N devices at one site: seconds and API requests for create, for a refresh of every
device (read, concurrently as the engine does it), and for a no-op diff. The refresh line shows what
the per-site list cache buys: one list call for the whole site instead of one request per device.

    .venv/bin/python benchmarks/bench_provider.py --devices 200 --threads 8
"""

from __future__ import annotations

import argparse
import os
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from pulumi_chekt.localserver import ClientConfig, LocalServer, ServerConfig
from pulumi_chekt.resources import DeviceProvider
from pulumi_chekt.resources.workers import SERVER_WORKERS as WORKERS


def _inputs(n: int) -> dict[str, Any]:
    return {
        "dealer_id": 2,
        "site_id": 3,
        "external_device_id": f"bench-{n:05d}",
        "device_type": "camera",
        "zone_number": f"{n:05d}",
        "name": f"Camera {n}",
    }


def _requests(server: LocalServer) -> int:
    return int(server.admin.stats()["total"])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--devices", type=int, default=200)
    parser.add_argument(
        "--threads", type=int, default=8, help="concurrent reads, like the engine's parallelism"
    )
    args = parser.parse_args()

    config = ServerConfig(clients=[ClientConfig("bench", "bench-secret", "adc")], dealers={2: [3]})
    with LocalServer(config) as server:
        os.environ.update(
            CHEKT_BASE_URL=server.url,
            CHEKT_CLIENT_ID="bench",
            CHEKT_CLIENT_SECRET="bench-secret",  # noqa: S106 (a throwaway local server's client)
        )
        device_provider = DeviceProvider()

        before, start = _requests(server), time.perf_counter()
        with ThreadPoolExecutor(WORKERS) as pool:  # as the SDK's provider server calls it
            created = list(pool.map(device_provider.create, (_inputs(n) for n in range(args.devices))))
        seconds, calls = time.perf_counter() - start, _requests(server) - before
        print(
            f"create  {args.devices:5d} devices  {seconds:7.2f} s  {args.devices / seconds:8.1f} devices/s  {calls / args.devices:5.2f} requests/device"
        )

        reader = DeviceProvider()  # `pulumi refresh` runs in a new provider process
        before, start = _requests(server), time.perf_counter()
        with ThreadPoolExecutor(args.threads) as pool:
            list(pool.map(lambda c: reader.read(c.id, dict(c.outs or {})), created))
        seconds, calls = time.perf_counter() - start, _requests(server) - before
        print(
            f"refresh {args.devices:5d} devices  {seconds:7.2f} s  {args.devices / seconds:8.1f} devices/s  {calls:5d} requests in all"
        )

        start = time.perf_counter()
        for result in created:
            device_provider.diff(
                result.id, dict(result.outs or {}), _inputs(int(result.outs["external_device_id"][6:]))
            )  # type: ignore[index]
        seconds = time.perf_counter() - start
        print(
            f"diff    {args.devices:5d} devices  {seconds:7.2f} s  {args.devices / seconds:8.1f} devices/s  0 requests"
        )


if __name__ == "__main__":
    main()
