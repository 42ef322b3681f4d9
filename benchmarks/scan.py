"""Wall time of an alpha scan on each executor, and of serving the same scan from the results store.

    python benchmarks/scan.py [--method rs] [--num 200] [--alpha-min 2.5] [--alpha-max 9] [--workers 2]
                              [--dask] [--PARAM VALUE ...]

Rows: serial (this process), process pool, Dask LocalCluster (with --dask), and a second identical scan served
from the store.  Every run starts from an empty temporary store; the numbers of all executors are compared.
"""
from __future__ import annotations

import argparse
import concurrent.futures as cf
import multiprocessing
import tempfile
import time

import numpy as np

from relu_injectivity.interfaces.cli.args import method_params as _extra_params
from relu_injectivity.workflow.scan import grid, scan


def timed(fn):
    t0 = time.perf_counter()
    r = fn()
    return time.perf_counter() - t0, r


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--method", default="rs")
    ap.add_argument("--num", type=int, default=200)
    ap.add_argument("--alpha-min", type=float, default=2.5)
    ap.add_argument("--alpha-max", type=float, default=9.0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--dask", action="store_true", help="also time a dask.distributed LocalCluster")
    args, extra = ap.parse_known_args()
    params = _extra_params(extra)
    alphas = grid(args.alpha_min, args.alpha_max, args.num)
    scan(args.method, alphas[:2], "serial", store=False, **params)  # warm-up: Numba cache loaded
    rows = []
    with tempfile.TemporaryDirectory() as d:
        rows.append(("serial", *timed(lambda: scan(args.method, alphas, "serial", store=f"{d}/a", **params))))
        ctx = multiprocessing.get_context("forkserver")
        with cf.ProcessPoolExecutor(args.workers, mp_context=ctx) as ex:
            rows.append((f"process pool ({args.workers})",
                         *timed(lambda: scan(args.method, alphas, ex, store=f"{d}/b", **params))))
        if args.dask:
            import distributed

            with distributed.LocalCluster(n_workers=args.workers, threads_per_worker=1, dashboard_address=None,
                                          silence_logs=40) as cl, distributed.Client(cl) as client:
                rows.append((f"dask LocalCluster ({args.workers})",
                             *timed(lambda: scan(args.method, alphas, client.get_executor(), store=f"{d}/c",
                                                 **params))))
        rows.append(("from the store", *timed(lambda: scan(args.method, alphas, "serial", store=f"{d}/a",
                                                           **params))))
    ref = rows[0][2].energies
    print(f"{args.method} {params}: {len(alphas)} alphas in [{args.alpha_min}, {args.alpha_max}]")
    print(f"{'executor':<26} {'time':>9} {'per alpha':>11} {'computed':>9} {'max |diff| vs serial':>21}")
    for name, dt, s in rows:
        diff = np.nanmax(np.abs(s.energies - ref))
        print(f"{name:<26} {dt:8.3f}s {1e3 * dt / len(alphas):9.2f}ms {s.computed:9d} {diff:21.1e}")


if __name__ == "__main__":
    main()
