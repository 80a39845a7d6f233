"""Memory over repeated load rounds: does the server give back what a storm took?

One Voltstack server process (csms.serve) takes --rounds handshake storms
(bench/handshake_storm.py: --chargers chargers connect at once, boot, hold
their socket until all are in, then close). After each round the bench waits
--settle seconds for the disconnects to finish and reads the server's
resident memory (RSS, children included). A server that leaks grows by about
the same amount every round; one that does not levels off after the first
rounds (the allocator keeps freed memory for reuse, so RSS does not drop back
to the idle figure).

    python bench/memory_rounds.py --rounds 5 --chargers 1000 --json bench/results/memory_rounds.json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.handshake_storm import project, report, server_argv, storm  # noqa: E402
from bench.ocpp_load import ServerProbe, _mb, _workdir, raise_open_files_limit  # noqa: E402
from bench.servers import running  # noqa: E402
from csms.embedded import free_port, port_open  # noqa: E402


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--chargers", type=int, default=1000)
    parser.add_argument("--settle", type=float, default=15.0, help="seconds after a round before RSS is read")
    parser.add_argument("--deadline", type=float, default=60.0)
    parser.add_argument("--database-url", help="default: a throwaway SQLite file")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--workdir", type=Path)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    raise_open_files_limit(2 * args.chargers + 1024)
    rounds = []
    with _workdir(args.workdir) as workdir, project(workdir, args.chargers, args.database_url) as env:
        port = free_port()
        env = dict(env, CHANNEL_LAYER_PREFIX=f"memory-{os.getpid()}")
        with running(
            "voltstack",
            server_argv("voltstack", port),
            ready=lambda: port_open(port),
            log_path=workdir / "voltstack.log",
            env=env,
            fresh_log=True,
        ):
            time.sleep(args.settle)
            probe = ServerProbe(port)
            idle = _mb(probe.rss())
            print(f"idle: RSS {idle} MB", flush=True)
            for number in range(1, args.rounds + 1):
                result = asyncio.run(
                    storm(f"ws://127.0.0.1:{port}/ocpp", port, "voltstack", args.chargers, args.deadline)
                )
                time.sleep(args.settle)
                rss = _mb(probe.rss())
                rounds.append(
                    {
                        "round": number,
                        "accepted": result.accepted,
                        "storm_s": result.total_s,
                        "rss_mb_during": result.server_rss_mb_after,
                        "rss_mb_after": rss,
                    }
                )
                print(f"round {number}: {report(result).splitlines()[0]}; RSS after settling {rss} MB", flush=True)
    summary = {"config": vars(args) | {"json": None, "workdir": None}, "idle_rss_mb": idle, "rounds": rounds}
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(summary, indent=2, default=str) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
