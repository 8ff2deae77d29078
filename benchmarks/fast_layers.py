"""Speed of the fast conv / max-pool layers against the machine's matmul rate and the naive layers.

    python benchmarks/fast_layers.py [--repeats 7] [--naive-repeats 1] [--no-naive]

For each shape it prints the median forward and backward time, the GFLOP/s (conv: 2*N*F*C*HH*WW*H'*W'
flops forward, twice that backward: the dw and dx products), the ratio to a square matmul of
comparable size measured in the same run (float64 and float32 separately), the speedup over
cs231n.layers' naive layers, and whether the targets are met (float64):
  x (64,32,32,32) w (64,32,3,3) s1 p1: forward >= 60% and backward >= 50% of the matmul rate;
  x (50,3,32,32) w (32,3,7,7) s1 p3: forward >= 40%;   max-pool 2x2 s2 on (100,3,32,32): forward <= 2 ms.
Timings on a shared or busy machine are noisy: the script prints the load average and warns.
"""

import argparse
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np

# The reference course package is loaded by path, as the tests do.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "reference"))

from cs231n import fast_layers  # noqa: E402
from cs231n.fast_layers import (  # noqa: E402
    conv_backward_fast,
    conv_forward_fast,
    max_pool_backward_fast,
    max_pool_forward_fast,
)

try:
    from cs231n import layers as naive_layers  # noqa: E402
except ImportError as exc:  # the naive layers are written separately; run without them
    naive_layers = None
    warnings.warn(f"cs231n.layers not importable ({exc!r}): no naive speedups", RuntimeWarning)

# (name, x shape, w shape, conv_param) and the float64 targets as fractions of the matmul rate
CONV_CASES = [
    ("conv 3x3 s2 p1", (100, 3, 31, 31), (25, 3, 3, 3), {"stride": 2, "pad": 1}, {}),
    ("conv 7x7 s1 p3", (50, 3, 32, 32), (32, 3, 7, 7), {"stride": 1, "pad": 3}, {"fwd": 0.40}),
    ("conv 3x3 s1 p1 C32", (64, 32, 32, 32), (64, 32, 3, 3), {"stride": 1, "pad": 1}, {"fwd": 0.60, "bwd": 0.50}),
]
POOL_CASE = ("pool 2x2 s2", (100, 3, 32, 32), {"pool_height": 2, "pool_width": 2, "stride": 2}, 2e-3)

ENV_VARS = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS",
            "MKL_NUM_THREADS", "OMP_WAIT_POLICY", "GOMP_SPINCOUNT")


def median_time(fn, repeats):
    """Median wall time of fn() over repeats calls, after one warm-up call."""
    fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def matmul_rate(flops, dtype, repeats):
    """GFLOP/s of a square matmul doing about `flops` flops (n rounded to a multiple of 64)."""
    n = max(64, int(round((flops / 2) ** (1 / 3) / 64)) * 64)
    rng = np.random.default_rng(0)
    a = rng.standard_normal((n, n)).astype(dtype)
    b = rng.standard_normal((n, n)).astype(dtype)
    t = median_time(lambda: a @ b, repeats)
    return 2 * n**3 / t / 1e9, n


def describe_environment():
    print(f"python {sys.version.split()[0]}, numpy {np.__version__}, {os.cpu_count()} CPUs")
    workers = fast_layers._worker_count(1 << 30)  # for a large batch
    print(f"im2col backend: {fast_layers.IM2COL_BACKEND} (COMPILED={fast_layers.COMPILED}), "
          f"blocks of {fast_layers.BLOCK_BYTES / (1 << 20):g} MiB of columns on {workers} worker thread(s)")
    try:
        from threadpoolctl import threadpool_info

        for pool in threadpool_info():
            print(f"thread pool: {pool.get('user_api')} {pool.get('internal_api')} {pool.get('version')} "
                  f"{pool.get('architecture', '')} threads={pool.get('num_threads')} ({Path(pool['filepath']).name})")
    except ImportError:
        print("threadpoolctl not installed: BLAS and thread counts unknown")
    for name in ENV_VARS:
        if name in os.environ:
            print(f"WARNING: {name}={os.environ[name]} is set; it changes BLAS/OpenMP speed and these figures")
    if hasattr(os, "getloadavg"):
        load = os.getloadavg()[0]
        print(f"load average (1 min): {load:.2f}")
        if load > 0.5:
            print("WARNING: the machine is busy; timings will be slow and noisy")


def conv_row(name, x_shape, w_shape, conv_param, targets, args, rates):
    """Time one conv shape in float64 and float32; returns the printed cells and target results."""
    rng = np.random.default_rng(0)
    N, C, H, W = x_shape
    F, _, HH, WW = w_shape
    stride, pad = conv_param["stride"], conv_param["pad"]
    H_out, W_out = 1 + (H + 2 * pad - HH) // stride, 1 + (W + 2 * pad - WW) // stride
    flops = 2.0 * N * F * C * HH * WW * H_out * W_out
    result = {"name": name, "flops": flops}
    for dtype in (np.float64, np.float32):
        x = rng.standard_normal(x_shape).astype(dtype)
        w = rng.standard_normal(w_shape).astype(dtype)
        b = rng.standard_normal(F).astype(dtype)
        out, cache = conv_forward_fast(x, w, b, conv_param)
        dout = rng.standard_normal(out.shape).astype(dtype)
        t_fwd = median_time(lambda: conv_forward_fast(x, w, b, conv_param), args.repeats)
        t_bwd = median_time(lambda: conv_backward_fast(dout, cache), args.repeats)
        rate, _ = rates[(flops, dtype)]
        result[dtype] = {"fwd": t_fwd, "bwd": t_bwd,
                         "fwd_ratio": flops / t_fwd / 1e9 / rate, "bwd_ratio": 2 * flops / t_bwd / 1e9 / rate}
        del cache, out
    if naive_layers is not None and not args.no_naive:
        x = rng.standard_normal(x_shape)
        w = rng.standard_normal(w_shape)
        b = rng.standard_normal(F)
        out, cache = naive_layers.conv_forward_naive(x, w, b, conv_param)
        dout = rng.standard_normal(out.shape)
        t_fwd = median_time(lambda: naive_layers.conv_forward_naive(x, w, b, conv_param), args.naive_repeats)
        t_bwd = median_time(lambda: naive_layers.conv_backward_naive(dout, cache), args.naive_repeats)
        result["naive"] = {"fwd": t_fwd, "bwd": t_bwd}
    result["targets"] = {
        key: result[np.float64][f"{key}_ratio"] >= goal for key, goal in targets.items()
    }
    result["goals"] = targets
    return result


def whole_batch_forward(x_shape, w_shape, conv_param, repeats):
    """The unblocked alternative in float64: im2col of the whole batch (into fresh memory), then
    one matmul on all the columns; the two times in seconds."""
    rng = np.random.default_rng(0)
    N, C, H, W = x_shape
    F, _, HH, WW = w_shape
    stride, pad = conv_param["stride"], conv_param["pad"]
    K = C * HH * WW
    P = (1 + (H + 2 * pad - HH) // stride) * (1 + (W + 2 * pad - WW) // stride)
    x = rng.standard_normal(x_shape)
    w_rows = rng.standard_normal((F, K))

    def im2col():
        cols = np.empty((K, N * P))
        fast_layers.im2col_into(x, cols, HH, WW, pad, stride)
        return cols

    cols = im2col()
    t_im2col = median_time(im2col, repeats)
    t_gemm = median_time(lambda: np.matmul(w_rows, cols.reshape(K, N, P).transpose(1, 0, 2)), repeats)
    return t_im2col, t_gemm


def pool_row(args):
    name, x_shape, pool_param, fwd_limit = POOL_CASE
    rng = np.random.default_rng(0)
    result = {"name": name}
    for dtype in (np.float64, np.float32):
        x = rng.standard_normal(x_shape).astype(dtype)
        out, cache = max_pool_forward_fast(x, pool_param)
        dout = rng.standard_normal(out.shape).astype(dtype)
        result[dtype] = {
            "fwd": median_time(lambda: max_pool_forward_fast(x, pool_param), args.repeats * 3),
            "bwd": median_time(lambda: max_pool_backward_fast(dout, cache), args.repeats * 3),
        }
    if naive_layers is not None and not args.no_naive:
        x = rng.standard_normal(x_shape)
        out, cache = naive_layers.max_pool_forward_naive(x, pool_param)
        dout = rng.standard_normal(out.shape)
        result["naive"] = {
            "fwd": median_time(lambda: naive_layers.max_pool_forward_naive(x, pool_param), args.naive_repeats),
            "bwd": median_time(lambda: naive_layers.max_pool_backward_naive(dout, cache), args.naive_repeats),
        }
    result["targets"] = {"fwd": result[np.float64]["fwd"] <= fwd_limit}
    result["goals"] = {"fwd": fwd_limit}
    return result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=7, help="timed calls per measurement (median)")
    parser.add_argument("--naive-repeats", type=int, default=1, help="timed calls of the naive layers")
    parser.add_argument("--no-naive", action="store_true", help="skip the (slow) naive layers")
    args = parser.parse_args(argv)

    describe_environment()
    rates = {}
    print("\nmatmul reference (square, median):")
    for _, x_shape, w_shape, conv_param, _ in CONV_CASES:
        N, C, H, W = x_shape
        F, _, HH, WW = w_shape
        s, p = conv_param["stride"], conv_param["pad"]
        flops = 2.0 * N * F * C * HH * WW * (1 + (H + 2 * p - HH) // s) * (1 + (W + 2 * p - WW) // s)
        for dtype in (np.float64, np.float32):
            rates[(flops, dtype)] = matmul_rate(flops, dtype, args.repeats)
            rate, n = rates[(flops, dtype)]
            print(f"  {np.dtype(dtype).name:8s} n={n:5d}: {rate:6.1f} GFLOP/s")

    rows = [conv_row(*case, args, rates) for case in CONV_CASES]
    rows.append(pool_row(args))

    header = (f"\n{'shape':20s} {'pass':4s} {'f64 ms':>8s} {'GFLOP/s':>8s} {'%matmul':>8s} "
              f"{'f32 ms':>8s} {'GFLOP/s':>8s} {'%matmul':>8s} {'naive ms':>9s} {'speedup':>8s}  target")
    print(header)
    print("-" * (len(header) + 10))
    all_met = True
    for row in rows:
        for key in ("fwd", "bwd"):
            cells = [f"{row['name']:20s} {key:4s}"]
            mult = 1 if key == "fwd" else 2
            for dtype in (np.float64, np.float32):
                t = row[dtype][key]
                if "flops" in row:
                    gf = mult * row["flops"] / t / 1e9
                    cells.append(f"{t * 1e3:8.2f} {gf:8.1f} {100 * row[dtype][key + '_ratio']:7.1f}%")
                else:
                    cells.append(f"{t * 1e3:8.3f} {'-':>8s} {'-':>8s}")
            if "naive" in row:
                tn = row["naive"][key]
                cells.append(f"{tn * 1e3:9.1f} {tn / row[np.float64][key]:7.0f}x")
            else:
                cells.append(f"{'-':>9s} {'-':>8s}")
            if key in row["targets"]:
                goal = row["goals"][key]
                met = row["targets"][key]
                all_met &= met
                what = f">= {100 * goal:.0f}% matmul" if "flops" in row else f"<= {goal * 1e3:.0f} ms"
                cells.append(f" {'MET' if met else 'MISSED'} ({what})")
            print(" ".join(cells))
    print("\nfloat64 forward unblocked, for comparison (whole-batch im2col, then one multithreaded matmul):")
    for (name, x_shape, w_shape, conv_param, _), row in zip(CONV_CASES, rows):
        t_im2col, t_gemm = whole_batch_forward(x_shape, w_shape, conv_param, args.repeats)
        rate = rates[(row["flops"], np.float64)][0]
        total = t_im2col + t_gemm
        print(f"  {name:20s} im2col {t_im2col * 1e3:7.2f} ms + matmul {t_gemm * 1e3:7.2f} ms "
              f"= {total * 1e3:7.2f} ms ({100 * row['flops'] / total / 1e9 / rate:5.1f}% of the matmul rate; "
              f"blocked: {row[np.float64]['fwd'] * 1e3:.2f} ms, {total / row[np.float64]['fwd']:.2f}x faster)")
    print(f"\nall targets met: {'yes' if all_met else 'NO'}")
    return 0 if all_met else 1


if __name__ == "__main__":
    sys.exit(main())
