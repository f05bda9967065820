"""The recorder's zoo writer used with NumPy alone: `import torch` fails in this process (sys.modules["torch"] = None).

    python3 numpy_zoo.py write ZOO EXPECTED      two runs of Dirichlet probabilities (float16 zoo); the arrays
                                                 written also go to EXPECTED/<run>.<split>.npy (float64)
    python3 numpy_zoo.py refusals ZOO            each bad input refused; prints {case: message} as JSON
    python3 numpy_zoo.py kill ZOO EXPECTED K M   records run "victim" (float32) and dies (os._exit) after its K-th
                                                 checkpoint (M=0), or inside the (K+1)-th: after its rows and
                                                 headers are written, before its record lists it (M=1), or after
                                                 its rows are written, before the headers count them (M=2)
    python3 numpy_zoo.py resume ZOO N            opens the zoo again and continues "victim" up to N checkpoints
"""
import json
import os
import sys

sys.modules["torch"] = None  # any `import torch` now raises ImportError
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "python"))
import numpy as np  # noqa: E402

import inpca_recorder as ir  # noqa: E402

S = {"train": 9, "test": 6}
CLASSES = ["cat", "dog", "bird", "fish"]


def labels():
    return {s: (np.arange(n) * 3 + 1) % len(CLASSES) for s, n in S.items()}


def probs(run, step, split):
    """Deterministic Dirichlet rows for (run, step, split)."""
    seed = [sum(map(ord, run)), int(step), len(split)]
    return np.random.default_rng(seed).dirichlet(np.ones(len(CLASSES)) * 0.7, size=S[split])


def steps(n):
    return [10 * k for k in range(n)]


def write(zoo, expected):
    os.makedirs(expected, exist_ok=True)
    w = ir.ZooWriter(zoo, dataset="toy", classes=CLASSES, splits={s: (y, np.arange(len(y)) * 2) for s, y in labels().items()})
    for run, cfg in (("a", {"arch": "mlp", "seed": 0}), ("b", {"arch": "cnn", "seed": 1, "lr": 0.1})):
        with w.start_run(run, cfg) as r:
            for step in steps(4):
                r.append(step, epoch=step / 20, probs={s: probs(run, step, s) for s in S}, wall=step * 0.5)
        for s in S:
            np.save(os.path.join(expected, "%s.%s.npy" % (run, s)), np.stack([probs(run, t, s) for t in steps(4)]))
    try:
        ir.Recorder(zoo, splits={}, classes=CLASSES, dataset="toy", run="x")
        recorder_error = None
    except ImportError as e:
        recorder_error = str(e)
    print(json.dumps({"torchImported": sys.modules.get("torch") is not None, "recorderError": recorder_error}))


def refusals(zoo):
    w = ir.ZooWriter(zoo, dataset="toy", classes=CLASSES, splits=labels(), float16=False)
    r = w.start_run("r", {"arch": "mlp"})
    r.append(10, probs={s: probs("r", 10, s) for s in S})
    good = {s: probs("r", 20, s) for s in S}
    out = {}

    def case(name, fn):
        try:
            fn()
            out[name] = None
        except ir.ZooError as e:
            out[name] = str(e)

    def bad(split, change):
        p = {s: v.copy() for s, v in good.items()}
        p[split] = change(p[split])
        return p

    def scaled(p):
        p[7] *= 0.9
        return p

    def nan(p):
        p[3, 2] = np.nan
        return p

    def negative(p):
        p[4, 1] -= 0.3
        p[4, 0] += 0.3
        return p

    case("sum", lambda: r.append(20, probs=bad("train", scaled)))
    case("nan", lambda: r.append(20, probs=bad("test", nan)))
    case("negative", lambda: r.append(20, probs=bad("train", negative)))
    case("shape", lambda: r.append(20, probs=bad("test", lambda p: p[:-1])))
    case("missing", lambda: r.append(20, probs={"train": good["train"]}))
    case("step", lambda: r.append(10, probs=good))
    case("metric", lambda: r.append(20, probs=good, train_error=float("nan")))
    case("second", lambda: w.start_run("r", {"arch": "mlp"}))
    case("config", lambda: (r.close(), w.start_run("r", {"arch": "cnn"}))[1])
    y = labels()
    y["test"][4] = 12
    case("label", lambda: ir.ZooWriter(zoo + "-labels", dataset="toy", classes=CLASSES, splits=y))
    case("other", lambda: ir.ZooWriter(zoo, dataset="toy", classes=CLASSES[:3], splits={s: v % 3 for s, v in labels().items()}))
    print(json.dumps(out))


def kill(zoo, expected, k, midway):
    os.makedirs(expected, exist_ok=True)
    for s in S:
        np.save(os.path.join(expected, "victim.%s.npy" % s), np.stack([probs("victim", t, s) for t in steps(12)]))
    w = ir.ZooWriter(zoo, dataset="toy", classes=CLASSES, splits=labels(), float16=False)
    r = w.start_run("victim", {"arch": "mlp", "seed": 3})
    if midway == 1:
        save = r._save_record

        def dying_save():
            if len(r.checkpoints) == k + 1:
                os._exit(9)  # rows and headers of checkpoint k+1 are on disk, the record does not list it
            save()
        r._save_record = dying_save
    if midway == 2:
        write_at = r._write_at

        def dying_write(split, data, offset):
            if offset == 0 and len(r.checkpoints) == k:
                os._exit(9)  # rows of checkpoint k+1 are on disk, no header counts them yet
            write_at(split, data, offset)
        r._write_at = dying_write
    for i, step in enumerate(steps(12)):
        r.append(step, step / 20, {s: probs("victim", step, s) for s in S})
        if not midway and i + 1 == k:
            os._exit(9)


def resume(zoo, n):
    w = ir.ZooWriter(zoo, dataset="toy", classes=CLASSES, splits=labels(), float16=False)
    r = w.start_run("victim", {"arch": "mlp", "seed": 3})
    before = r.last_step
    for step in steps(n):
        if before is None or step > before:
            r.append(step, step / 20, {s: probs("victim", step, s) for s in S})
    r.finish(trained=False)
    shapes = {s: list(np.load(os.path.join(zoo, "runs", "victim.%s.npy" % s)).shape) for s in S}
    print(json.dumps({"lastStepBefore": before, "shapes": shapes, "torchImported": sys.modules.get("torch") is not None}))


if __name__ == "__main__":
    mode, args = sys.argv[1], sys.argv[2:]
    if mode == "write":
        write(*args)
    elif mode == "refusals":
        refusals(*args)
    elif mode == "kill":
        kill(args[0], args[1], int(args[2]), int(args[3]))
    elif mode == "resume":
        resume(args[0], int(args[1]))
    else:
        raise SystemExit("unknown mode " + mode)
