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


# ----------------------------------------------------------------------------------------------------------------
# Averaging, trajectories and tangents (independent references for src/geometry/{averaging,trajectories,tangents}.ts)


def bhattacharyya_cross(P: np.ndarray, Q: np.ndarray) -> np.ndarray:
    """d_B between every point of P [M, S, C] and of Q [K, S, C]: [M, K] (rows normalised, terms in [0, 100])."""
    P = np.asarray(P, dtype=np.float64)
    Q = np.asarray(Q, dtype=np.float64)
    A = np.sqrt(P / P.sum(axis=2, keepdims=True))
    B = np.sqrt(Q / Q.sum(axis=2, keepdims=True))
    BC = np.einsum("msc,ksc->mks", A, B)
    return -np.log(np.clip(BC, BC_FLOOR, 1.0)).mean(axis=2)


def _normalise(x: np.ndarray) -> np.ndarray:
    return x / x.sum(axis=-1, keepdims=True)


def averages(P: np.ndarray, w: np.ndarray, floor: float) -> dict:
    """The six means of docs/methods.md §9 of P [n, S, C] with weights w [n]; each [S, C], renormalised."""
    from scipy.optimize import minimize
    from scipy.special import lambertw

    P = _normalise(np.asarray(P, dtype=np.float64))
    w = np.asarray(w, dtype=np.float64) / np.sum(w)
    Pf = np.maximum(P, floor)
    a = np.tensordot(w, P, axes=1)
    g = np.exp(np.tensordot(w, np.log(Pf), axes=1))
    out = {
        "arithmetic": _normalise(a),
        "geometric": _normalise(g),
        "harmonic": _normalise(1.0 / np.tensordot(w, 1.0 / Pf, axes=1)),
        "sqrt": _normalise(np.tensordot(w, np.sqrt(P), axes=1) ** 2),
        "jeffreys": _normalise(a / lambertw(np.e * a / g).real),
    }
    # Bhattacharyya centroid: minimise sum_i w_i * -log sum_c sqrt(p_c p_ic) over softmax parameters (BFGS with
    # the analytic gradient), per sample
    S = P.shape[1]
    bc = np.empty_like(a)
    for s in range(S):
        X = P[:, s, :]

        def f(z: np.ndarray):
            p = np.exp(z - z.max())
            p /= p.sum()
            sq = np.sqrt(p)
            B = np.sqrt(X) @ sq  # [n]
            val = -(w * np.log(B)).sum()
            dp = -((w / B)[:, None] * np.sqrt(X)).sum(axis=0) / (2 * np.maximum(sq, 1e-300))
            return val, p * (dp - (p * dp).sum())

        z0 = np.log(np.maximum(out["sqrt"][s], 1e-300))
        res = minimize(f, z0, jac=True, method="BFGS", options={"gtol": 1e-14, "maxiter": 10000})
        p = np.exp(res.x - res.x.max())
        bc[s] = p / p.sum()
    out["bhattacharyya"] = bc
    return out


def bhattacharyya_objective(p: np.ndarray, P: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Per sample: sum_i w_i B(p, p_i) for p [S, C], P [n, S, C]; [S]."""
    P = _normalise(np.asarray(P, dtype=np.float64))
    BC = np.einsum("sc,nsc->ns", np.sqrt(p), np.sqrt(P))
    return -(np.asarray(w)[:, None] * np.log(BC)).sum(axis=0) / np.sum(w)


def cmd_average(args: argparse.Namespace) -> None:
    P = load_probabilities(args.input)
    w = np.ones(P.shape[0]) if args.weights is None else np.array([float(x) for x in args.weights.split(",")])
    if w.shape[0] != P.shape[0]:
        raise InputError(f"--weights has {w.shape[0]} values for {P.shape[0]} models")
    out = {k: v.reshape(-1).tolist() for k, v in averages(P, w, args.floor).items()}
    out["bhattacharyya_objective"] = bhattacharyya_objective(np.array(out["bhattacharyya"]).reshape(P.shape[1:]), P, w).tolist()
    _write_json(args.output, out)


def cmd_lambertw(args: argparse.Namespace) -> None:
    from scipy.special import lambertw

    xs = [float(x) for x in args.values.split(",")]
    print(json.dumps([float(lambertw(x, 0).real) for x in xs]))


def cmd_trajectories(args: argparse.Namespace) -> None:
    """IN.npy [N, T, S, C]: point-by-point trajectory distances, smoothed distances, lengths, group distances."""
    X = np.load(args.input, allow_pickle=False).astype(np.float64)
    if X.ndim != 4:
        raise InputError(f"{args.input}: expected shape [N, T, S, C], got {X.shape}")
    N, T = X.shape[:2]
    dtraj = np.zeros((N, N))
    for t in range(T):
        dtraj += bhattacharyya_cross(X[:, t], X[:, t])
    dtraj /= T
    np.fill_diagonal(dtraj, 0.0)
    s = args.smoothing

    def soft(d: np.ndarray) -> np.ndarray:  # along the last axis
        if s == 0:
            return d.min(axis=-1)
        e = np.exp(-(d - d.min(axis=-1, keepdims=True)) / s)
        return (e * d).sum(axis=-1) / e.sum(axis=-1)

    def weights(Y: np.ndarray) -> np.ndarray:
        seg = np.sqrt(np.array([bhattacharyya_cross(Y[t : t + 1], Y[t + 1 : t + 2])[0, 0] for t in range(len(Y) - 1)]))
        wt = np.zeros(len(Y))
        wt[:-1] += seg / 2
        wt[1:] += seg / 2
        return wt / wt.sum() if wt.sum() > 0 else np.full(len(Y), 1.0 / len(Y))

    directed = np.zeros((N, N))
    for i in range(N):
        wi = weights(X[i])
        for j in range(N):
            if i != j:
                directed[i, j] = (wi * soft(bhattacharyya_cross(X[i], X[j]))).sum()
    lengths = [float(sum(2 * np.sqrt(bhattacharyya_cross(X[i, t : t + 1], X[i, t + 1 : t + 2])[0, 0]) for t in range(T - 1))) for i in range(N)]
    groups = np.array([int(x) for x in args.groups.split(",")]) if args.groups else np.zeros(N, dtype=int)
    labels = sorted(set(groups.tolist()), key=lambda g: int(np.argmax(groups == g)))
    G = np.zeros((len(labels), len(labels)))
    for a, ga in enumerate(labels):
        for b, gb in enumerate(labels):
            ia, ib = np.where(groups == ga)[0], np.where(groups == gb)[0]
            vals = [dtraj[i, j] for i in ia for j in ib if not (a == b and i == j)]
            G[a, b] = float(np.mean(vals)) if vals else 0.0
    _write_json(args.output, {
        "dtraj": dtraj.reshape(-1).tolist(),
        "smoothed_mean": (0.5 * (directed + directed.T)).reshape(-1).tolist(),
        "smoothed_min": np.minimum(directed, directed.T).reshape(-1).tolist(),
        "lengths": lengths,
        "groups": G.reshape(-1).tolist(),
    })


def cmd_tangent(args: argparse.Namespace) -> None:
    """IN.npy [M, S, C] checkpoints, LAMBDA.npy [M] progress, LABELS.npy [S]: the four-anchor embedding."""
    P = np.asarray(load_probabilities(args.input), dtype=np.float64)
    P = _normalise(P)
    lam = np.load(args.lambdas).astype(np.float64)
    y = np.load(args.labels).astype(np.int64)
    M, S, C = P.shape
    P0 = np.full((1, S, C), 1.0 / C)
    Pstar = np.zeros((1, S, C))
    Pstar[0, np.arange(S), y] = 1.0

    def anchor(at: float) -> np.ndarray:
        wt = np.exp(-((lam - at) ** 2) / (2 * args.width**2))
        return _normalise(np.tensordot(wt / wt.sum(), np.sqrt(P), axes=1) ** 2)[None]

    A = np.concatenate([P0, anchor(args.l1), anchor(args.l2), Pstar])
    D4 = bhattacharyya_cross(A, A)
    np.fill_diagonal(D4, 0.0)
    D4 = 0.5 * (D4 + D4.T)

    def eig(D: np.ndarray, k: int):
        n = D.shape[0]
        J = np.eye(n) - 1.0 / n
        W = -0.5 * J @ D @ J
        lamW, V = np.linalg.eigh(0.5 * (W + W.T))
        order = np.argsort(-np.abs(lamW))[:k]
        return lamW[order], V[:, order]

    l4, V4 = eig(D4, 3)
    X4 = V4 * np.sqrt(np.abs(l4))
    cross = bhattacharyya_cross(P, A)  # [M, 4]
    m = D4.mean(axis=0)
    Wn = -0.5 * (cross - cross.mean(axis=1, keepdims=True) - m[None, :] + m.mean())
    Xc = Wn @ V4 / (np.sign(l4) * np.sqrt(np.abs(l4)))
    D = bhattacharyya(P)

    def quality(X: np.ndarray, signs: np.ndarray, kmax: int) -> list:
        q = []
        for k in range(1, kmax + 1):
            diff = X[:, None, :k] - X[None, :, :k]
            d2 = (signs[:k] * diff**2).sum(axis=2)
            q.append(float(1 - np.abs(d2 - D).sum() / D.sum()))
        return q

    lo, Vo = eig(D, args.kmax)
    Xo = Vo * np.sqrt(np.abs(lo))
    dd = lambda i, j: D4[i, j]
    cosine = 0.5 * (dd(1, 2) + dd(0, 3) - dd(1, 3) - dd(0, 2)) / np.sqrt(dd(0, 1) * dd(2, 3))
    u, v = X4[1] - X4[0], X4[3] - X4[2]
    R = np.sqrt(A.reshape(4, -1))
    su, sv = R[1] - R[0], R[3] - R[2]
    _write_json(args.output, {
        "anchor_distances": D4.reshape(-1).tolist(),
        "anchor_eigenvalues": l4.tolist(),
        "quality": quality(Xc, np.sign(l4), 3),
        "inpca_quality": quality(Xo, np.sign(lo), args.kmax),
        "cosine_minkowski": float(cosine),
        "cosine": float(u @ v / np.sqrt((u @ u) * (v @ v))),
        "cosine_sqrt": float(su @ sv / np.sqrt((su @ su) * (sv @ sv))),
    })


def _write_json(path: str, out: dict) -> None:
    try:
        with open(path, "w") as f:
            json.dump(out, f)
    except OSError as e:
        raise InputError(f"{path}: cannot write ({e})")


def register_geometry_commands(sub) -> None:
    """Subcommands `average`, `lambertw`, `trajectories`, `tangent` (added after `check` and `time`)."""
    p = sub.add_parser("average", help="the six means of docs/methods.md §9 of IN.npy [n, S, C] as JSON")
    p.add_argument("input")
    p.add_argument("output")
    p.add_argument("--floor", type=float, default=1e-12)
    p.add_argument("--weights", default=None, help="comma-separated weights, one per model")
    p.set_defaults(run=cmd_average)
    p = sub.add_parser("lambertw", help="scipy.special.lambertw(x, 0) of comma-separated x; prints JSON")
    p.add_argument("values")
    p.set_defaults(run=cmd_lambertw)
    p = sub.add_parser("trajectories", help="trajectory distances of IN.npy [N, T, S, C] as JSON")
    p.add_argument("input")
    p.add_argument("output")
    p.add_argument("--smoothing", type=float, default=0.0)
    p.add_argument("--groups", default="", help="comma-separated group number per trajectory")
    p.set_defaults(run=cmd_trajectories)
    p = sub.add_parser("tangent", help="four-anchor embedding scores of IN.npy [M, S, C] as JSON")
    p.add_argument("input")
    p.add_argument("lambdas", help="progress per checkpoint, .npy [M]")
    p.add_argument("labels", help="labels, .npy [S]")
    p.add_argument("output")
    p.add_argument("--l1", type=float, default=0.3)
    p.add_argument("--l2", type=float, default=0.7)
    p.add_argument("--width", type=float, default=0.05)
    p.add_argument("--kmax", type=int, default=4)
    p.set_defaults(run=cmd_tangent)


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
    register_geometry_commands(sub)
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
