"""List the benchmarks and run them: ``python -m bench [--quick] [--all | NAME ...]``.

``python -m bench`` lists the benchmarks with the first line of each one's docstring;
``python -m bench --quick`` runs all of them in their short mode (a smoke run of a few minutes);
``--all`` runs all of them in full (a quarter of an hour or more), and names
(``server_fetch_rows client_fetch``) run just those.  Each runs as ``python -m bench.<name>`` in
a process of its own, one after the other; the run ends saying which ones failed.
"""

from __future__ import annotations

import argparse
import ast
import subprocess
import sys
from pathlib import Path

from bench.common import REPO_ROOT, exit_on_sigterm

#: In the order they run: servers first, then clients.
#: Every benchmark script: the modules named for the side they measure.
BENCHMARKS = tuple(
    sorted(
        path.stem
        for path in Path(__file__).parent.glob("*.py")
        if path.stem.startswith(("server_", "client_", "proxy_"))
    )
)


def summary(name: str) -> str:
    """The first line of the benchmark's module docstring (read without importing it)."""
    source = (Path(__file__).parent / f"{name}.py").read_text(encoding="utf-8")
    docstring = ast.get_docstring(ast.parse(source)) or ""
    return docstring.splitlines()[0] if docstring else ""


def main() -> None:
    exit_on_sigterm()
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("names", nargs="*", metavar="NAME", help="benchmarks to run")
    parser.add_argument("--all", action="store_true", help="run every benchmark")
    parser.add_argument("--quick", action="store_true", help="pass --quick to each benchmark")
    args = parser.parse_args()
    unknown = sorted(set(args.names) - set(BENCHMARKS))
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(unknown)}")
    chosen = list(BENCHMARKS) if args.all or (args.quick and not args.names) else args.names
    if not chosen:
        width = max(len(name) for name in BENCHMARKS)
        for name in BENCHMARKS:
            print(f"{name:<{width}}  {summary(name)}")
        print("\nrun: python -m bench --quick (all, short) | --all (all, full) | NAME ...")
        return
    failed = []
    for name in chosen:
        print(f"\n=== bench.{name} ===", flush=True)
        argv = [sys.executable, "-m", f"bench.{name}", *(["--quick"] if args.quick else [])]
        if subprocess.run(argv, cwd=REPO_ROOT, check=False).returncode != 0:
            failed.append(name)
    print(f"\n{len(chosen) - len(failed)} of {len(chosen)} benchmarks ran to the end", end="")
    print(f"; failed: {', '.join(failed)}" if failed else "")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
