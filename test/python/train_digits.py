"""Trains small PyTorch networks on digits and records them with python/inpca_recorder.py, two ways.

    python3 train_digits.py SPEC.json OUT

(b) each run is recorded during training with Recorder.record into OUT/zoo-live (float32), and its state_dict
    saved at every epoch end as OUT/runs/<id>/epoch_<k>.pt (with OUT/runs/<id>/config.json);
(c) then OUT/runs is turned into OUT/zoo-sd with from_state_dicts: first without the last epoch's files, then
    again with them (continuing each run), then once more (nothing new).
Checks along the way that record() leaves the model's train/eval mode as it found it. Prints a JSON summary.
"""
import json
import math
import os
import sys
import time

import numpy as np
import torch
from torch import nn

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "python"))
sys.path.insert(0, os.path.dirname(__file__))
import inpca_recorder as ir  # noqa: E402
from digits_common import digits, eval_samples  # noqa: E402


def build(run):
    """The network of a run spec: an MLP (64 -> width -> 10) or a small CNN (conv 3x3, max-pool, linear)."""
    if run["arch"] == "mlp":
        return nn.Sequential(nn.Flatten(), nn.Linear(64, run["width"]), nn.ReLU(), nn.Dropout(0.3), nn.Linear(run["width"], 10))
    ch = run["channels"]
    return nn.Sequential(nn.Conv2d(1, ch, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Dropout(0.3), nn.Linear(ch * 16, 10))


def config_of(run, spec):
    keys = ("arch", "width", "channels", "seed")
    return {**{k: run[k] for k in keys if k in run}, "lr": spec["lr"], "batchSize": spec["batch"]}


def main():
    spec = json.load(open(sys.argv[1]))
    out = sys.argv[2]
    torch.set_num_threads(1)
    x, y, train, _ = digits(spec)
    xt, yt = torch.from_numpy(x[train]), torch.from_numpy(y[train])
    ev = eval_samples(spec)
    splits = {s: (v[0], v[1], v[2]) for s, v in ev.items()}
    classes = [str(d) for d in range(10)]
    spe = math.ceil(len(train) / spec["batch"])
    t0 = time.time()
    for run in spec["runs"]:
        torch.manual_seed(run["seed"])
        model = build(run)
        opt = torch.optim.SGD(model.parameters(), lr=spec["lr"], momentum=0.9)
        folder = os.path.join(out, "runs", run["id"])
        os.makedirs(folder, exist_ok=True)
        json.dump(config_of(run, spec), open(os.path.join(folder, "config.json"), "w"))
        rec = ir.Recorder(os.path.join(out, "zoo-live"), splits=splits, classes=classes, dataset="digits", run=run["id"],
                          config=config_of(run, spec), float16=False, batch_size=128)
        model.eval()
        rec.record(model, 0, 0)
        assert not model.training, "record() left an eval-mode model in train mode"
        torch.save(model.state_dict(), os.path.join(folder, "epoch_0.pt"))
        g = torch.Generator().manual_seed(1000 + run["seed"])
        step = 0
        for epoch in range(1, spec["epochs"] + 1):
            model.train()
            order = torch.randperm(len(xt), generator=g)
            for i in range(0, len(xt), spec["batch"]):
                b = order[i: i + spec["batch"]]
                opt.zero_grad()
                nn.functional.cross_entropy(model(xt[b]), yt[b]).backward()
                opt.step()
                step += 1
                if step % spec["recordEvery"] == 0 and step % spe != 0:
                    rec.record(model, step, step / spe)
                    assert model.training, "record() did not restore train mode"
            rec.record(model, step, epoch)
            assert model.training, "record() did not restore train mode"
            torch.save(model.state_dict(), os.path.join(folder, "epoch_%d.pt" % epoch))
        rec.finish(trained=True)
    t1 = time.time()
    # the last epoch's files are held back at first, so that a second call has something new to continue with
    held = [os.path.join(out, "runs", r["id"], "epoch_%d.pt" % spec["epochs"]) for r in spec["runs"]]
    for f in held:
        os.rename(f, f + ".later")
    kw = dict(build=lambda name: build(next(r for r in spec["runs"] if r["id"] == name)), zoo=os.path.join(out, "zoo-sd"),
              splits=splits, classes=classes, dataset="digits", steps_per_epoch=spe, float16=False)
    first = ir.from_state_dicts(os.path.join(out, "runs"), **kw)
    for f in held:
        os.rename(f + ".later", f)
    done = ir.from_state_dicts(os.path.join(out, "runs"), **kw)
    again = ir.from_state_dicts(os.path.join(out, "runs"), **kw)
    print(json.dumps({"stepsPerEpoch": spe, "recorded": [first, done, again], "trainSeconds": t1 - t0, "stateDictSeconds": time.time() - t1}))


if __name__ == "__main__":
    main()
