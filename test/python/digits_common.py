"""The digits data of the recorder tests (scikit-learn's bundled copy, no download), split by a fixed permutation.

Used by train_digits.py and numpy_reference.py so that both see the same evaluation samples; each derives them
from sklearn itself, so a recorder that mixed up inputs and labels would not agree with the reference.
"""
import numpy as np
from sklearn.datasets import load_digits


def digits(spec):
    """x [N, 1, 8, 8] float32 in [0, 1], y [N], and the train/test positions (a permutation seeded by spec)."""
    d = load_digits()
    x = (d.data / 16.0).astype(np.float32).reshape(-1, 1, 8, 8)
    y = d.target.astype(np.int64)
    order = np.random.default_rng(spec["dataSeed"]).permutation(len(y))
    test, train = order[: spec["test"]], order[spec["test"]:]
    return x, y, train, test


def eval_samples(spec):
    """The evaluation samples per split: {split: (x, y, indices into that split)}."""
    x, y, train, test = digits(spec)
    k = spec["trainEval"]
    return {
        "train": (x[train[:k]], y[train[:k]], np.arange(k)),
        "test": (x[test], y[test], np.arange(len(test))),
    }
