#!/usr/bin/env python3
"""
Independent NumPy reference for `inpca` (Mao et al., PNAS 2024; Quinn et al., PNAS 2019).

Used by the cross-check test and by `scripts/bench.ts`. It deliberately shares no code with the TypeScript
library: it follows the authors' batched NumPy/PyTorch recipe.

Intensive Bhattacharyya distance between model-points u and v, over S samples with C classes:

    d_B(u, v) = (1/S) * sum_n  -log( sum_c sqrt(p_u(c|x_n)) * sqrt(p_v(c|x_n)) )

computed for batches of samples (each row of C probabilities divided by its sum first, as the library does):
A = sqrt(P[:, batch, :]) transposed to [B, M, C], G = A @ A^T ([B, M, M],
float64), each per-sample term -log(G) kept in [0, 100] by clipping G to [exp(-100), 1], summed over samples
(float64 accumulator), divided by S, with the diagonal set exactly to 0.

InPCA: W = -1/2 L D L with L = I - 11^T / M (D is used as a *squared* distance; no square root), all eigenpairs
from numpy.linalg.eigh, sorted by |lambda| descending with signs kept (negative = time-like axes). Explained
stress ES(k) = 1 - sqrt(1 - sum_{i<=k} lambda_i^2 / ||W||_F^2), ||W||_F^2 = sum(W**2).

Usage:
    python3 scripts/reference.py check IN.npy OUT.json [--dims K]
    python3 scripts/reference.py time IN.npy [--repeat R]

IN.npy: float32 or float64 probabilities, shape [M, S, C]. Exit status 2 on bad input or arguments.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time

try:
    import numpy as np
except ImportError:  # pragma: no cover - reported to the caller, who decides what to do
    sys.stderr.write("reference.py: numpy is not installed (python3 -m pip install numpy)\n")
    sys.exit(3)

# A per-sample term -log(BC) is capped at 100 nats, i.e. BC is clipped to [exp(-100), 1].
TERM_CAP = 100.0
BC_FLOOR = math.exp(-TERM_CAP)
# Memory budget of one [B, M, M] float64 block of Bhattacharyya coefficients.
BLOCK_BYTES = 256 * 2**20
# Rows of probabilities must sum to 1 within this tolerance (the library's default).
SUM_TOLERANCE = 1e-3
# Number of eigenvalues / explained-stress values reported.
SPECTRUM = 50


class InputError(Exception):
    """Bad input file or arguments: reported on stderr with exit status 2."""


# ----------------------------------------------------------------------------------------------------------------
# Input


def load_probabilities(path: str) -> np.ndarray:
    """Loads and validates an [M, S, C] float32/float64 array of probabilities (memory-mapped when possible)."""
    try:
        P = np.load(path, mmap_mode="r", allow_pickle=False)
    except FileNotFoundError:
        raise InputError(f"{path}: no such file")
    except Exception as e:  # malformed header, pickled object array, ...
        raise InputError(f"{path}: not a readable .npy file ({e})")
    if not isinstance(P, np.ndarray):
        raise InputError(f"{path}: expected a single array (.npy), got {type(P).__name__}")
    if P.dtype not in (np.float32, np.float64):
        raise InputError(f"{path}: expected float32 or float64 probabilities, got dtype {P.dtype}")
    if P.ndim != 3:
        raise InputError(f"{path}: expected shape [M, S, C], got {P.shape}")
    M, S, C = P.shape
    if M < 1 or S < 1 or C < 1:
        raise InputError(f"{path}: every dimension must be at least 1, got shape {P.shape}")
    validate_probabilities(P, path)
    return P


def validate_probabilities(P: np.ndarray, path: str) -> None:
    """Checks finiteness, non-negativity and row sums, one model-point at a time (bounded memory)."""
    for m in range(P.shape[0]):
        block = np.asarray(P[m], dtype=np.float64)  # [S, C]
        bad = ~np.isfinite(block)
        if bad.any():
            n, c = np.argwhere(bad)[0]
            raise InputError(f"{path}: model {m}, sample {n}, class {c} is {block[n, c]} (not finite)")
        neg = block < 0
        if neg.any():
            n, c = np.argwhere(neg)[0]
            raise InputError(f"{path}: model {m}, sample {n}, class {c} is negative ({block[n, c]})")
        err = np.abs(block.sum(axis=1) - 1.0)
        if (err > SUM_TOLERANCE).any():
            n = int(np.argmax(err))
            raise InputError(
                f"{path}: model {m}, sample {n}: probabilities sum to {block[n].sum():.6g}, not 1 "
                f"(tolerance {SUM_TOLERANCE}); are these logits?"
            )


# ----------------------------------------------------------------------------------------------------------------
# Distances


def batch_size(M: int) -> int:
    """Samples per batch so that the [B, M, M] float64 block stays under BLOCK_BYTES."""
    return max(1, BLOCK_BYTES // (8 * M * M))


def bhattacharyya(P: np.ndarray) -> np.ndarray:
    """
    Intensive Bhattacharyya distance matrix (M x M, float64, symmetric, zero diagonal) of probabilities P
    shaped [M, S, C], batched over samples as the authors do.
    """
    M, S, C = P.shape
    B = min(batch_size(M), S)
    D = np.zeros((M, M), dtype=np.float64)
    G = np.empty((B, M, M), dtype=np.float64)  # reused block of coefficients / terms
    for start in range(0, S, B):
        stop = min(S, start + B)
        b = stop - start
        # sqrt-probabilities in float64, as [b, M, C]; each row divided by its sum first (the library's
        # convention: stored float16/float32 rows sum to 1 only up to rounding)
        X = np.asarray(P[:, start:stop, :], dtype=np.float64)
        X = X / X.sum(axis=2, keepdims=True)
        A = np.sqrt(X).transpose(1, 0, 2)
        A = np.ascontiguousarray(A)
        g = G[:b]
        np.matmul(A, A.transpose(0, 2, 1), out=g)  # Bhattacharyya coefficients BC[n, u, v]
        np.clip(g, BC_FLOOR, 1.0, out=g)  # each term -log(BC) in [0, 100]
        np.log(g, out=g)
        D -= g.sum(axis=0)  # float64 accumulation of -log(BC)
    D /= S
    np.fill_diagonal(D, 0.0)
    # The matmul is symmetric up to rounding; make the result exactly symmetric.
    D = 0.5 * (D + D.T)
    return D


# ----------------------------------------------------------------------------------------------------------------
# InPCA


def double_center(D: np.ndarray) -> np.ndarray:
    """W = -1/2 L D L with L = I - 11^T/M (D used as a squared distance)."""
    M = D.shape[0]
    L = np.eye(M) - np.full((M, M), 1.0 / M)
    W = -0.5 * (L @ D @ L)
    return 0.5 * (W + W.T)  # symmetric to the last bit for eigh


def inpca(D: np.ndarray, dims: int) -> dict:
    """Full eigendecomposition of W; eigenpairs by |lambda| descending (ties: positive first)."""
    M = D.shape[0]
    W = double_center(D)
    lam, V = np.linalg.eigh(W)
    order = np.lexsort((-lam, -np.abs(lam)))  # primary key |lambda| desc, secondary lambda desc
    lam = lam[order]
    V = V[:, order]
    # Deterministic signs (same convention as the library): each eigenvector's largest |entry| is positive.
    for j in range(V.shape[1]):
        i = int(np.argmax(np.abs(V[:, j])))
        if V[i, j] < 0:
            V[:, j] = -V[:, j]
    frob2 = float((W**2).sum())
    k = min(SPECTRUM, M)
    cum = np.cumsum(lam[:k] ** 2)
    if frob2 > 0:
        stress = 1.0 - np.sqrt(np.maximum(0.0, 1.0 - cum / frob2))
    else:  # all points identical: nothing to explain
        stress = np.ones(k)
    K = min(dims, M)
    coords = V[:, :K] * np.sqrt(np.abs(lam[:K]))[None, :]
    return {
        "eigenvalues": lam[:k].tolist(),
        "explained_stress": stress.tolist(),
        "frobenius2": frob2,
        "coords": coords.reshape(-1).tolist(),
        "dims": K,
    }


# ----------------------------------------------------------------------------------------------------------------
# Commands


def cmd_check(args: argparse.Namespace) -> None:
    if args.dims < 1:
        raise InputError(f"--dims must be at least 1, got {args.dims}")
    P = load_probabilities(args.input)
    M, S, C = P.shape
    D = bhattacharyya(P)
    out = {"D": D.reshape(-1).tolist(), **inpca(D, args.dims), "M": M, "S": S, "C": C}
    try:
        with open(args.output, "w") as f:
            json.dump(out, f)
    except OSError as e:
        raise InputError(f"{args.output}: cannot write ({e})")


def cmd_time(args: argparse.Namespace) -> None:
    if args.repeat < 1:
        raise InputError(f"--repeat must be at least 1, got {args.repeat}")
    P = load_probabilities(args.input)
    P = np.ascontiguousarray(P)  # read the whole file now: loading is not timed
    # Warm-up (untimed): one full-size batch, so that BLAS start-up and the first faulting-in of a
    # [B, M, M] block's pages do not land in the first timed run.
    bhattacharyya(P[:, : min(batch_size(P.shape[0]), P.shape[1])])
    times = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        bhattacharyya(P)
        times.append(time.perf_counter() - t0)
    print(json.dumps({"median_seconds": float(np.median(times)), "times": times,
                      "numpy": np.__version__, "batch": min(batch_size(P.shape[0]), P.shape[1])}))


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description="NumPy reference for inpca (intensive Bhattacharyya distance + InPCA).")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("check", help="distances, spectrum, explained stress and coordinates as JSON")
    p.add_argument("input", help="probabilities [M, S, C], float32 or float64 .npy")
    p.add_argument("output", help="JSON file to write")
    p.add_argument("--dims", type=int, default=3, help="coordinates to write (default 3)")
    p.set_defaults(run=cmd_check)
    p = sub.add_parser("time", help="time the distance matrix; prints one JSON line")
    p.add_argument("input", help="probabilities [M, S, C], float32 or float64 .npy")
    p.add_argument("--repeat", type=int, default=3, help="number of timed runs (default 3)")
    p.set_defaults(run=cmd_time)
    args = parser.parse_args(argv)  # exits with status 2 on bad arguments
    try:
        args.run(args)
    except InputError as e:
        sys.stderr.write(f"reference.py: {e}\n")
        return 2
    except MemoryError:
        sys.stderr.write("reference.py: out of memory\n")
        return 4
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
