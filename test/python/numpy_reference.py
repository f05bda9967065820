"""Predictions of the saved digits networks computed with NumPy alone (not torch's forward), for the recorder tests.

    python3 numpy_reference.py SPEC.json OUT

For each run of SPEC, loads OUT/runs/<id>/epoch_<k>.pt (torch.load only reads the tensors), evaluates the network
in float64 with NumPy matrix products (the CNN's convolution as a sum of nine shifted products), and writes
OUT/ref/<id>.<split>.npy [epochs + 1, S, 10] float64 softmax probabilities and OUT/ref/labels.<split>.npy.
"""
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(__file__))
from digits_common import eval_samples  # noqa: E402


def softmax(z):
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def forward(run, w, x):
    """The network of train_digits.build in NumPy; Dropout is the identity at evaluation."""
    x = x.astype(np.float64)
    if run["arch"] == "mlp":
        h = np.maximum(x.reshape(len(x), -1) @ w["1.weight"].T + w["1.bias"], 0)
        return softmax(h @ w["4.weight"].T + w["4.bias"])
    k, b = w["0.weight"], w["0.bias"]  # [ch, 1, 3, 3], [ch]
    n = len(x)
    pad = np.zeros((n, 10, 10))
    pad[:, 1:9, 1:9] = x[:, 0]
    conv = np.zeros((n, k.shape[0], 8, 8)) + b[None, :, None, None]
    for i in range(3):
        for j in range(3):
            conv += pad[:, None, i:i + 8, j:j + 8] * k[None, :, 0, i, j, None, None]
    h = np.maximum(conv, 0).reshape(n, k.shape[0], 4, 2, 4, 2).max(axis=(3, 5))
    return softmax(h.reshape(n, -1) @ w["5.weight"].T + w["5.bias"])


def main():
    spec = json.load(open(sys.argv[1]))
    out = sys.argv[2]
    os.makedirs(os.path.join(out, "ref"), exist_ok=True)
    ev = eval_samples(spec)
    for s, (_, y, _) in ev.items():
        np.save(os.path.join(out, "ref", "labels.%s.npy" % s), y.astype(np.int32))
    for run in spec["runs"]:
        states = []
        for k in range(spec["epochs"] + 1):
            sd = torch.load(os.path.join(out, "runs", run["id"], "epoch_%d.pt" % k), map_location="cpu", weights_only=True)
            states.append({name: t.double().numpy() for name, t in sd.items()})
        for s, (x, _, _) in ev.items():
            np.save(os.path.join(out, "ref", "%s.%s.npy" % (run["id"], s)), np.stack([forward(run, w, x) for w in states]))


if __name__ == "__main__":
    main()
