"""Record deep-network training runs as an inpca zoo, from Python.

inpca (the TypeScript library) compares what networks *predict* on fixed evaluation samples. This one file
writes those predictions in the zoo format that ``ip.loadZoo(dir)`` and ``npx inpca report dir`` read:

    manifest.json              format, version, dataset name and classes, evaluation samples per split, runs
    labels.<split>.npy         int32 [S], the true class of each evaluation sample
    runs/<id>.<split>.npy      float16 (default) or float32 [checkpoints, S, classes], softmax probabilities
    runs/<id>.json             a run's record (id, config, checkpoints, finished), replaced atomically

Three ways in, from the lowest level up:

(a) ``ZooWriter`` + ``RunWriter``: write probabilities you computed yourself (NumPy, JAX, anything).
    Needs NumPy only; PyTorch is never imported.
(b) ``Recorder``: call ``recorder.record(model, step, epoch)`` in a PyTorch training loop; it runs the model
    (eval mode, no_grad, in batches, on the model's device) on the fixed evaluation samples of each split and
    appends the softmax probabilities, with error and cross-entropy on each split.
(c) ``from_state_dicts``: turn a folder of saved state_dicts (``runs/<name>/epoch_<k>.pt``) into a zoo.

Writing is crash-safe and resumable like the library's own ``ZooWriter``: each checkpoint's rows are written and
flushed before the .npy header counts them, and the header before the run's record lists them (the record is
written to a temporary file, flushed and renamed over the old one). A process killed at any point leaves a zoo
that loads with every checkpoint its records list; opening the folder again and recording more checkpoints of a
run continues it. Every row is checked before anything is written (finite, non-negative, summing to 1 within
1e-3, shape [S, C]); a bad one raises ``ZooError`` naming the run, the step, the split and the sample.

Where to find this file: it ships in the npm package, at ``node_modules/inpca/python/inpca_recorder.py`` in a
project that installed inpca. Import it from there or copy it next to your training script::

    import sys; sys.path.insert(0, "node_modules/inpca/python")
    import inpca_recorder as ir

It needs Python >= 3.8 and NumPy; ``Recorder`` and ``from_state_dicts`` also need PyTorch (imported only when
they are used). See docs/loading.md of the inpca repository for complete examples.
"""
from __future__ import annotations

import ast
import json
import math
import os
import re
import socket
import time
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

__all__ = ["ZooError", "ZooWriter", "RunWriter", "Recorder", "from_state_dicts", "checkpoint_of", "error_and_loss", "ZOO_FORMAT", "ZOO_VERSION"]

#: ``manifest.format`` of a zoo.
ZOO_FORMAT = "inpca-zoo"
#: ``manifest.version`` written (inpca reads this version and older).
ZOO_VERSION = 1
#: Tolerance on a row's sum for probabilities given at full precision (inpca's FULL_PRECISION_TOLERANCE).
SUM_TOLERANCE = 1e-3
#: Header bytes reserved in each run file so that its shape can grow in place (as inpca's writer does).
RESERVED_HEADER = 128
#: Names that become file names (run ids, split names): letters, digits and . _ - + =, not "." or "..".
SAFE_NAME = re.compile(r"^(?!\.{1,2}$)[\w.=+-]+$", re.ASCII)
#: This machine's name as it goes into temporary file names and locks (inpca's atomic.ts uses the same form).
_HOST = re.sub(r"[^A-Za-z0-9_]", "_", socket.gethostname()) or "host"


class ZooError(ValueError):
    """A refused input or an unwritable zoo; the message names the file, run, step, split and sample concerned."""


# ----------------------------------------------------------------------------------------------------------------
# Files written whole or not at all


def _fsync_dir(path: str) -> None:
    """Flushes a folder's entries (the rename of a file in it), where the OS allows it."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _write_atomic(path: str, data: bytes) -> None:
    """Writes ``data`` to ``path`` through a temporary file beside it, flushed, then renamed over ``path``."""
    folder, name = os.path.split(path)
    tmp = os.path.join(folder, ".%s.tmp-%s-%d-%s" % (name, _HOST, os.getpid(), np.base_repr(int(time.time() * 1000), 36).lower()))
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as e:
        try:
            os.remove(tmp)
        except OSError:
            pass
        raise ZooError("%s: cannot write: %s" % (path, e.strerror or e)) from e
    _fsync_dir(folder or ".")


def _json_value(v: Any) -> Any:
    """NumPy scalars and arrays as plain JSON values (for configs and metrics)."""
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, np.ndarray):
        return v.tolist()
    raise TypeError("%r (%s) is not JSON-serialisable" % (v, type(v).__name__))


def _dumps(value: Any, what: str) -> str:
    """JSON text as inpca writes it; NaN and infinities (which JSON cannot hold) are refused, naming ``what``."""
    try:
        return json.dumps(value, indent=1, allow_nan=False, default=_json_value)
    except (TypeError, ValueError) as e:
        raise ZooError("%s: %s" % (what, e)) from e


def _write_json_atomic(path: str, value: Any, what: str) -> None:
    _write_atomic(path, _dumps(value, what).encode("utf-8"))


# ----------------------------------------------------------------------------------------------------------------
# .npy headers that can be rewritten in place


def _npy_header(descr: str, shape: Sequence[int], length: Optional[int] = None) -> bytes:
    """A .npy format 1.0 header of exactly ``length`` bytes (default: padded to a multiple of 64, as NumPy does)."""
    dims = "%d," % shape[0] if len(shape) == 1 else ", ".join(str(int(d)) for d in shape)
    text = "{'descr': '%s', 'fortran_order': False, 'shape': (%s), }" % (descr, dims)
    if length is None:
        length = -(-(10 + len(text) + 1) // 64) * 64
    if 10 + len(text) + 1 > length:
        raise ZooError("shape (%s) does not fit in a %d-byte .npy header" % (dims, length))
    text += " " * (length - 10 - len(text) - 1) + "\n"
    return b"\x93NUMPY\x01\x00" + (length - 10).to_bytes(2, "little") + text.encode("latin1")


def _read_npy_header(f: Any, path: str) -> Tuple[Dict[str, Any], int]:
    """The header dict and the data offset of an open .npy file (format 1.0 or 2.0)."""
    f.seek(0)
    magic = f.read(8)
    if magic[:6] != b"\x93NUMPY":
        raise ZooError("%s: not a .npy file" % path)
    size = 2 if magic[6] == 1 else 4
    n = int.from_bytes(f.read(size), "little")
    try:
        header = ast.literal_eval(f.read(n).decode("latin1"))
    except (ValueError, SyntaxError) as e:
        raise ZooError("%s: unreadable .npy header" % path) from e
    return header, 6 + 2 + size + n


# ----------------------------------------------------------------------------------------------------------------
# Locks compatible with inpca's runs/<id>.lock


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True


class _Lock:
    """An advisory lock file holding {"pid", "host", "since"}; a lock of a dead process of this host is taken over."""

    def __init__(self, path: str, what: str) -> None:
        self.path = path
        self.held = False
        host = socket.gethostname()
        for attempt in range(3):
            try:
                fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                holder = self._holder()
                if holder and (holder["host"] != host or _process_alive(int(holder["pid"]))):
                    raise ZooError("%s: %s is being written by process %s on %s since %s; wait for it to finish "
                                   "(or, if that process is gone, delete this lock file)" % (path, what, holder["pid"], holder["host"], holder.get("since")))
                if holder is None and attempt == 0:
                    time.sleep(0.05)  # being written right now: look again
                    continue
                try:
                    os.remove(path)  # stale: its process is gone
                except FileNotFoundError:
                    pass
                continue
            since = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()) + "Z"
            os.write(fd, json.dumps({"pid": os.getpid(), "host": host, "since": since}).encode())
            os.close(fd)
            self.held = True
            return
        raise ZooError("%s: %s: could not take the lock (another writer keeps taking it)" % (path, what))

    def _holder(self) -> Optional[Dict[str, Any]]:
        try:
            with open(self.path) as f:
                h = json.load(f)
            return h if isinstance(h.get("pid"), int) and isinstance(h.get("host"), str) else None
        except (OSError, ValueError, AttributeError):
            return None

    def release(self) -> None:
        if not self.held:
            return
        self.held = False
        h = self._holder()
        if h and h["pid"] == os.getpid() and h["host"] == socket.gethostname():
            try:
                os.remove(self.path)
            except FileNotFoundError:
                pass


# ----------------------------------------------------------------------------------------------------------------
# The checks inpca's loadZoo makes


def _check_name(name: Any, what: str, where: str) -> str:
    if not isinstance(name, str) or not SAFE_NAME.match(name):
        raise ZooError("%s: %s %s must be a non-empty name of letters, digits and . _ - + = (it names files in the zoo)" % (where, what, json.dumps(name) if isinstance(name, str) else repr(name)))
    return name


def _check_manifest(m: Any, path: str) -> Dict[str, Any]:
    """The checks of inpca's loadZoo on manifest.json; raises ZooError naming ``path``."""
    def fail(why: str) -> None:
        raise ZooError("%s: %s" % (path, why))

    if not isinstance(m, dict):
        fail("the manifest is not a JSON object")
    if m.get("format") != ZOO_FORMAT:
        fail('format is %s, expected "%s"' % (json.dumps(m.get("format")), ZOO_FORMAT))
    v = m.get("version")
    if not (isinstance(v, (int, float)) and not isinstance(v, bool) and 1 <= v <= ZOO_VERSION):
        fail("unsupported zoo version %s (this recorder writes up to %d)" % (json.dumps(v), ZOO_VERSION))
    d = m.get("dataset")
    if not isinstance(d, dict) or not isinstance(d.get("classes"), list) or len(d["classes"]) < 2 or not all(isinstance(c, str) for c in d["classes"]):
        fail("dataset.classes must list at least two class names")
    s = m.get("splits")
    if not isinstance(s, dict) or not s:
        fail("splits must name at least one split with its sample indices")
    for name, split in s.items():
        _check_name(name, "split name", path)
        if not isinstance(split, dict) or not isinstance(split.get("indices"), list):
            fail('splits.%s must be an object with an array "indices" of sample indices' % name)
        for i, x in enumerate(split["indices"]):
            if not (isinstance(x, int) and not isinstance(x, bool) and x >= 0):
                fail("splits.%s.indices[%d] is %s, not an integer >= 0" % (name, i, json.dumps(x)))
    if not isinstance(m.get("runs"), list):
        fail("runs must be an array")
    seen = set()
    for r in m["runs"]:
        _check_run(r, path)
        if r["id"] in seen:
            fail('run id "%s" appears twice' % r["id"])
        seen.add(r["id"])
    return m


def _check_run(r: Any, path: str) -> Dict[str, Any]:
    """The checks of inpca's loadZoo on one run record."""
    if not isinstance(r, dict):
        raise ZooError("%s: a run record is %r, not an object" % (path, r))
    _check_name(r.get("id"), "run id", path)
    if not isinstance(r.get("checkpoints"), list):
        raise ZooError('%s: run "%s": checkpoints must be an array' % (path, r["id"]))
    for i, c in enumerate(r["checkpoints"]):
        ok = isinstance(c, dict) and all(isinstance(c.get(k), (int, float)) and not isinstance(c.get(k), bool) and math.isfinite(c[k]) for k in ("step", "epoch"))
        if not ok:
            raise ZooError('%s: run "%s", checkpoint %d: step and epoch must be numbers' % (path, r["id"], i))
    if r.get("config") is None:
        r["config"] = {}
    elif not isinstance(r["config"], dict):
        raise ZooError('%s: run "%s": config must be an object' % (path, r["id"]))
    return r


def _read_json(path: str) -> Any:
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except ValueError as e:
        raise ZooError("%s: invalid JSON: %s" % (path, e)) from e


def _labels(y: Any, classes: int, split: str, zoo: str) -> np.ndarray:
    """Labels as int32 [S], each in [0, classes); raises ZooError naming the split and the sample."""
    a = np.asarray(_to_numpy(y))
    if a.ndim != 1:
        raise ZooError('%s: split "%s": labels must be one class index per sample, shape (S,); got shape %s' % (zoo, split, a.shape))
    if not (np.issubdtype(a.dtype, np.integer) or a.dtype == np.bool_):
        if np.issubdtype(a.dtype, np.floating) and np.all(np.isfinite(a)) and np.all(a == np.round(a)):
            a = a.astype(np.int64)
        else:
            bad = int(np.flatnonzero(~(np.isfinite(a) & (a == np.round(a))))[0]) if np.issubdtype(a.dtype, np.floating) else 0
            raise ZooError('%s: split "%s", sample %d: labels must be integer class indices, found dtype %s' % (zoo, split, bad, a.dtype))
    out = np.flatnonzero((a < 0) | (a >= classes))
    if out.size:
        n = int(out[0])
        raise ZooError('%s: split "%s", sample %d: label %d is outside [0, %d)' % (zoo, split, n, int(a[n]), classes))
    return a.astype(np.int32)


def _check_rows(p: np.ndarray, S: int, C: int, where: str) -> None:
    """inpca's row rule: shape [S, C], every value finite and >= 0, every row summing to 1 within 1e-3."""
    if p.shape != (S, C):
        raise ZooError("%s: predictions have shape %s, expected (%d samples, %d classes)" % (where, tuple(p.shape), S, C))
    bad = ~(np.isfinite(p) & (p >= 0))
    if bad.any():
        n, c = (int(i) for i in np.argwhere(bad)[0])
        raise ZooError("%s, sample %d, class %d: probability %r is not a finite non-negative number" % (where, n, c, float(p[n, c])))
    sums = p.sum(axis=1, dtype=np.float64)
    off = np.flatnonzero(np.abs(sums - 1) > SUM_TOLERANCE)
    if off.size:
        n = int(off[0])
        raise ZooError("%s, sample %d: probabilities sum to %.9g, not 1 (within %g); pass softmax outputs, not logits" % (where, n, sums[n], SUM_TOLERANCE))


def error_and_loss(probs: np.ndarray, labels: np.ndarray) -> Tuple[float, float]:
    """Arg-max error (ties to the lower class) and mean cross-entropy -ln p(label) in nats, as inpca computes them."""
    p = np.asarray(probs, dtype=np.float64)
    wrong = np.argmax(p, axis=1) != labels
    loss = -np.log(np.maximum(p[np.arange(len(labels)), labels], 1e-45))
    return float(wrong.mean()), float(loss.mean())


def _to_numpy(x: Any) -> Any:
    """A torch tensor as a NumPy array (without importing torch); anything else unchanged."""
    if hasattr(x, "detach") and hasattr(x, "cpu") and hasattr(x, "numpy"):
        return x.detach().cpu().numpy()
    return x


def _camel(key: str) -> str:
    """train_error -> trainError (the manifest's field names)."""
    head, *rest = key.split("_")
    return head + "".join(w[:1].upper() + w[1:] for w in rest)


# ----------------------------------------------------------------------------------------------------------------
# (a) Writing a zoo


class ZooWriter:
    """A zoo folder opened for writing runs one checkpoint at a time (NumPy only).

    ``splits`` maps a split name to its labels, or to ``(labels, indices)`` where indices are the evaluation
    samples' positions in the dataset split they come from (default 0..S-1). A new folder gets manifest.json and
    labels.<split>.npy; an existing one must hold the same dataset, classes, sample indices and labels (so that a
    resumed job cannot mix sample sets), else ZooError.

    Example::

        zoo = ZooWriter("zoo", dataset="digits", classes=[str(d) for d in range(10)], splits={"train": y_eval})
        run = zoo.start_run("mlp-s0", {"arch": "mlp", "seed": 0})
        for step, probs in ...:
            run.append(step, epoch=step / 10, probs={"train": probs})      # probs: [S, C] softmax
        run.finish()
    """

    def __init__(self, path: Union[str, "os.PathLike[str]"], *, dataset: str, classes: Sequence[str],
                 splits: Mapping[str, Any], float16: bool = True, extra: Optional[Mapping[str, Any]] = None) -> None:
        self.path = os.fspath(path)
        self.float16 = bool(float16)
        classes = [str(c) for c in classes]
        if len(classes) < 2:
            raise ZooError("%s: a zoo needs at least two class names, got %r" % (self.path, classes))
        if not splits:
            raise ZooError("%s: a zoo needs at least one split" % self.path)
        self.labels: Dict[str, np.ndarray] = {}
        indices: Dict[str, List[int]] = {}
        for name, v in splits.items():
            _check_name(name, "split name", self.path)
            y, idx = (v[0], v[1]) if isinstance(v, tuple) and len(v) == 2 else (v, None)
            self.labels[name] = _labels(y, len(classes), name, self.path)
            S = len(self.labels[name])
            if S == 0:
                raise ZooError('%s: split "%s" has no samples' % (self.path, name))
            idx_list = list(range(S)) if idx is None else [int(i) for i in np.asarray(_to_numpy(idx)).ravel()]
            if len(idx_list) != S or min(idx_list) < 0:
                raise ZooError('%s: split "%s": %d indices (each >= 0) are needed for %d labels, got %d' % (self.path, name, S, S, len(idx_list)))
            indices[name] = idx_list
        os.makedirs(os.path.join(self.path, "runs"), exist_ok=True)
        manifest_file = os.path.join(self.path, "manifest.json")
        if os.path.exists(manifest_file):
            m = _check_manifest(_read_json(manifest_file), manifest_file)
            differs = []
            if m["dataset"].get("name") != dataset:
                differs.append("dataset %s, not %s" % (json.dumps(m["dataset"].get("name")), json.dumps(dataset)))
            if m["dataset"]["classes"] != classes:
                differs.append("classes %s, not %s" % (json.dumps(m["dataset"]["classes"]), json.dumps(classes)))
            if list(m["splits"]) != list(indices):
                differs.append("splits %s, not %s" % (", ".join(m["splits"]), ", ".join(indices)))
            for s in indices if not differs else []:
                lf = os.path.join(self.path, "labels.%s.npy" % s)
                if m["splits"][s]["indices"] != indices[s]:
                    differs.append('other sample indices in split "%s"' % s)
                elif not (os.path.exists(lf) and np.array_equal(np.load(lf), self.labels[s])):
                    differs.append('other labels in split "%s" (%s)' % (s, lf))
            if differs:
                raise ZooError("%s: this folder holds a zoo of a different dataset, classes or evaluation samples (%s); choose another folder"
                               % (manifest_file, "; ".join(differs)))
            self.manifest = m
        else:
            for s, y in self.labels.items():
                _write_atomic(os.path.join(self.path, "labels.%s.npy" % s), _npy_header("<i4", [len(y)]) + y.astype("<i4").tobytes())
            self.manifest = {"format": ZOO_FORMAT, "version": ZOO_VERSION, "dataset": {"name": str(dataset), "classes": classes},
                             "splits": {s: {"indices": indices[s]} for s in indices}, **dict(extra or {}), "runs": []}
            _write_json_atomic(manifest_file, self.manifest, manifest_file)
        self.classes = classes
        self.samples = {s: len(y) for s, y in self.labels.items()}

    def runs(self) -> Dict[str, Dict[str, Any]]:
        """The runs in the folder now, by id: manifest entries, replaced by (or followed by) runs/<id>.json records."""
        manifest_file = os.path.join(self.path, "manifest.json")
        out = {r["id"]: r for r in _check_manifest(_read_json(manifest_file), manifest_file)["runs"]}
        run_dir = os.path.join(self.path, "runs")
        for n in sorted(os.listdir(run_dir)):
            if n.endswith(".json") and not n.startswith("."):
                f = os.path.join(run_dir, n)
                try:
                    r = _check_run(_read_json(f), f)
                except FileNotFoundError:
                    continue  # folded into the manifest by a consolidate meanwhile
                out[r["id"]] = r
        return out

    def start_run(self, run_id: str, config: Optional[Mapping[str, Any]] = None, *, resume: bool = True, **fields: Any) -> "RunWriter":
        """Opens run ``run_id`` for appending checkpoints.

        With ``resume`` (default) a run already in the folder is continued: its recorded checkpoints are kept and
        the next ``append`` must have a larger step (``RunWriter.last_step``); its config must be the same.
        ``resume=False`` starts it again from scratch. ``fields`` are extra run fields (e.g. ``phase`` lists).
        One writer per run: a second one (here or in another process, Python or inpca) is refused.
        """
        _check_name(run_id, "run id", self.path)
        return RunWriter(self, run_id, dict(config or {}), resume, fields)

    def consolidate(self) -> Dict[str, Any]:
        """Folds every runs/<id>.json into manifest.json and removes the records, as inpca's ``consolidate`` does.

        Runs still being recorded (their lock is held by a live process) are left as they are.
        """
        lock = _Lock(os.path.join(self.path, "manifest.lock"), "the manifest of the zoo %s" % self.path)
        try:
            manifest_file = os.path.join(self.path, "manifest.json")
            m = _check_manifest(_read_json(manifest_file), manifest_file)
            by_id = {r["id"]: r for r in m["runs"]}
            run_dir = os.path.join(self.path, "runs")
            folded = []
            for n in sorted(os.listdir(run_dir)):
                if not n.endswith(".json") or n.startswith("."):
                    continue
                rid = n[: -len(".json")]
                lock_file = os.path.join(run_dir, rid + ".lock")
                if os.path.exists(lock_file) and _lock_alive(lock_file):
                    by_id.pop(rid, None)  # recording now: its own record stays authoritative
                    continue
                f = os.path.join(run_dir, n)
                by_id[rid] = _check_run(_read_json(f), f)
                folded.append(f)
            m["runs"] = list(by_id.values())
            _write_json_atomic(manifest_file, m, manifest_file)
            for f in folded:
                os.remove(f)
            self.manifest = m
            return m
        finally:
            lock.release()


def _lock_alive(path: str) -> bool:
    try:
        with open(path) as f:
            h = json.load(f)
    except (OSError, ValueError):
        return False
    return isinstance(h, dict) and isinstance(h.get("pid"), int) and (h.get("host") != socket.gethostname() or _process_alive(h["pid"]))


class RunWriter:
    """One run being recorded: ``append`` each checkpoint, ``finish`` at the end (or ``close`` to stop unfinished).

    Usable as a context manager: leaving the block normally finishes the run; an exception leaves it unfinished
    (and resumable) with every checkpoint appended so far.
    """

    def __init__(self, zoo: ZooWriter, run_id: str, config: Dict[str, Any], resume: bool, fields: Mapping[str, Any]) -> None:
        self.zoo = zoo
        self.id = run_id
        run_dir = os.path.join(zoo.path, "runs")
        self.record_file = os.path.join(run_dir, run_id + ".json")
        config = json.loads(_dumps(config, 'run "%s": config' % run_id))
        self._lock = _Lock(os.path.join(run_dir, run_id + ".lock"), 'run "%s"' % run_id)
        self._files: Dict[str, Any] = {}
        self._starts: Dict[str, int] = {}  # where each file's rows start (after its header)
        try:
            _remove_stale_temporaries(run_dir, run_id)
            old = zoo.runs().get(run_id) if resume else None
            if old is not None and old["config"] != config:
                raise ZooError('%s: run "%s" was recorded with config %s; this call gives %s: use another run id, or resume=False to record it again from scratch'
                               % (self.record_file, run_id, json.dumps(old["config"], sort_keys=True), json.dumps(config, sort_keys=True)))
            if old is not None and old["checkpoints"]:
                self.run = dict(old)
                self.run.update(fields)
                self.run["finished"] = False
                self._reopen()
            else:  # a new run (or one that died before its first checkpoint)
                self.run = {"id": run_id, "config": config, **dict(fields), "checkpoints": [], "finished": False}
                # the record first (no checkpoints), then fresh files: a crash in between never leaves a record
                # that lists checkpoints its files no longer hold
                self._save_record()
                self._descr = "<f2" if zoo.float16 else "<f4"
                for s, S in zoo.samples.items():
                    self._starts[s] = RESERVED_HEADER
                    path = self._file(s)
                    _write_atomic(path, _npy_header(self._descr, [0, S, len(zoo.classes)], RESERVED_HEADER))
                    self._files[s] = open(path, "r+b")
        except BaseException:
            self._close_files()
            self._lock.release()
            raise

    # -- state -------------------------------------------------------------------------------------------------

    @property
    def checkpoints(self) -> List[Dict[str, Any]]:
        """The checkpoints recorded so far (manifest entries: step, epoch, metrics)."""
        return self.run["checkpoints"]

    @property
    def last_step(self) -> Optional[float]:
        """The step of the last recorded checkpoint, None before the first (a resumed loop skips up to it)."""
        return self.run["checkpoints"][-1]["step"] if self.run["checkpoints"] else None

    def _file(self, split: str) -> str:
        return os.path.join(self.zoo.path, "runs", "%s.%s.npy" % (self.id, split))

    def _reopen(self) -> None:
        """Continues a recorded run: each file's header is set back to the checkpoints the record lists."""
        K = len(self.run["checkpoints"])
        C = len(self.zoo.classes)
        descrs = set()
        for s, S in self.zoo.samples.items():
            path = self._file(s)
            try:
                f = open(path, "r+b")
            except FileNotFoundError as e:
                raise ZooError('%s: run "%s" lists %d checkpoints but its file for split "%s" is missing; record it again with resume=False' % (path, self.id, K, s)) from e
            self._files[s] = f
            h, start = _read_npy_header(f, path)
            shape = tuple(h.get("shape", ()))
            if h.get("fortran_order") or len(shape) != 3 or shape[1:] != (S, C) or shape[0] < K or h.get("descr") not in ("<f2", "<f4"):
                raise ZooError('%s: cannot continue run "%s": the file holds %s %s, expected at least %d checkpoints x %d samples x %d classes of <f2 or <f4 in C order; record it again with resume=False'
                               % (path, self.id, h.get("descr"), shape, K, S, C))
            descrs.add(h["descr"])
            self._descr = h["descr"]
            self._starts[s] = start
            # rows past the listed ones (a checkpoint written but not yet listed when the process died) are dropped
            self._write_at(s, _npy_header(h["descr"], [K, S, C], start), 0)
            f.truncate(start + K * S * C * (2 if h["descr"] == "<f2" else 4))
        if len(descrs) != 1:
            raise ZooError('run "%s": its files mix float16 and float32; record it again with resume=False' % self.id)
        self._save_record()

    # -- writing -----------------------------------------------------------------------------------------------

    def append(self, step: float, epoch: Optional[float] = None, probs: Optional[Mapping[str, Any]] = None, **metrics: Any) -> Dict[str, Any]:
        """Appends one checkpoint: ``probs[split]`` is [S, C] softmax probabilities for every split of the zoo.

        ``epoch`` defaults to ``step``. ``metrics`` are stored on the checkpoint with snake_case turned into the
        manifest's camelCase (``train_error`` -> ``trainError``); each split's error and loss are computed from
        ``probs`` and the labels unless given. Everything is checked before anything is written; a refusal
        (ZooError) leaves the run as it was.
        """
        if not self._files:
            raise ZooError('run "%s" is closed; start it again (ZooWriter.start_run) to record more' % self.id)
        if not isinstance(step, (int, float, np.integer, np.floating)) or isinstance(step, bool) or not math.isfinite(step):
            raise ZooError('run "%s": step %r must be a finite number' % (self.id, step))
        step = step.item() if isinstance(step, np.generic) else step
        epoch = step if epoch is None else (epoch.item() if isinstance(epoch, np.generic) else epoch)
        if not isinstance(epoch, (int, float)) or isinstance(epoch, bool) or not math.isfinite(epoch):
            raise ZooError('run "%s", step %s: epoch %r must be a finite number' % (self.id, step, epoch))
        if self.last_step is not None and not step > self.last_step:
            raise ZooError('%s: run "%s", step %s: steps must increase, and this run already holds step %s (RunWriter.last_step); after a restart, record only later steps'
                           % (self.record_file, self.id, step, self.last_step))
        probs = dict(probs or {})
        C = len(self.zoo.classes)
        rows: Dict[str, np.ndarray] = {}
        checkpoint: Dict[str, Any] = {"step": step, "epoch": epoch}
        for s, S in self.zoo.samples.items():
            if s not in probs:
                raise ZooError('%s: run "%s", step %s: no predictions for split "%s" (the zoo has %s)' % (self.record_file, self.id, step, s, ", ".join(self.zoo.samples)))
            p = np.asarray(_to_numpy(probs[s]))
            where = '%s: run "%s", step %s, split "%s"' % (self._file(s), self.id, step, s)
            if not (np.issubdtype(p.dtype, np.floating) or np.issubdtype(p.dtype, np.integer)):
                raise ZooError("%s: predictions must be numbers, found dtype %s" % (where, p.dtype))
            _check_rows(p, S, C, where)
            rows[s] = p
            err, loss = error_and_loss(p, self.zoo.labels[s])
            checkpoint[s + "Error"], checkpoint[s + "Loss"] = err, loss
        unknown = set(probs) - set(self.zoo.samples)
        if unknown:
            raise ZooError('%s: run "%s", step %s: predictions for splits the zoo does not have: %s' % (self.record_file, self.id, step, ", ".join(sorted(unknown))))
        for k, v in metrics.items():
            v = v.item() if isinstance(v, np.generic) else v
            if isinstance(v, float) and not math.isfinite(v):
                raise ZooError('%s: run "%s", step %s: %s is %r (JSON cannot hold it)' % (self.record_file, self.id, step, k, v))
            checkpoint[_camel(k)] = v
        _dumps(checkpoint, 'run "%s", step %s' % (self.id, step))
        K = len(self.run["checkpoints"])
        item = 2 if self._descr == "<f2" else 4
        # 1. the rows, at their place after the rows already counted, flushed
        for s, S in self.zoo.samples.items():
            data = np.ascontiguousarray(rows[s], dtype=self._descr).tobytes()
            self._write_at(s, data, self._starts[s] + K * S * C * item)
        # 2. the headers count them; 3. the record lists them
        for s, S in self.zoo.samples.items():
            self._write_at(s, _npy_header(self._descr, [K + 1, S, C], self._starts[s]), 0)
        self.run["checkpoints"].append(checkpoint)
        try:
            self._save_record()
        except BaseException:
            self.run["checkpoints"].pop()
            raise
        return checkpoint

    def _write_at(self, split: str, data: bytes, offset: int) -> None:
        f = self._files[split]
        try:
            f.seek(offset)
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        except OSError as e:
            raise ZooError('%s: run "%s": cannot write: %s; the run keeps its %d recorded checkpoints'
                           % (self._file(split), self.id, e.strerror or e, len(self.run["checkpoints"]))) from e

    def _save_record(self) -> None:
        _write_json_atomic(self.record_file, self.run, 'run "%s"' % self.id)

    def finish(self, **fields: Any) -> Dict[str, Any]:
        """Marks the run finished, with extra run fields (``trained=True``, ``wallSeconds=...``), and closes it."""
        self.run.update({k: (v.item() if isinstance(v, np.generic) else v) for k, v in fields.items()})
        self.run["finished"] = True
        self._save_record()
        self.close()
        return self.run

    def close(self) -> None:
        """Closes the files and releases the lock without marking the run finished (it stays resumable)."""
        self._close_files()
        self._lock.release()

    def _close_files(self) -> None:
        for f in self._files.values():
            f.close()
        self._files.clear()

    def __enter__(self) -> "RunWriter":
        return self

    def __exit__(self, kind: Any, value: Any, tb: Any) -> None:
        if kind is None and self._files:
            self.finish()
        else:
            self.close()


def _remove_stale_temporaries(run_dir: str, run_id: str) -> None:
    """Removes temporary files of run ``run_id`` that killed writers of this host left behind."""
    pattern = re.compile(r"^\.(.+)\.tmp-(?:([A-Za-z0-9_]+)-)?(\d+)-[0-9a-z]+$")
    for n in os.listdir(run_dir):
        m = pattern.match(n)
        if not m or not (m.group(1) == run_id + ".json" or m.group(1).startswith(run_id + ".")):
            continue
        if (m.group(2) in (None, _HOST)) and not _process_alive(int(m.group(3))):
            try:
                os.remove(os.path.join(run_dir, n))
            except FileNotFoundError:
                pass


# ----------------------------------------------------------------------------------------------------------------
# (b) Recording from a PyTorch training loop


def _torch() -> Any:
    """PyTorch, imported on first use (ZooWriter alone never imports it)."""
    try:
        import torch  # noqa: PLC0415
    except ImportError as e:
        raise ImportError("inpca_recorder: Recorder and from_state_dicts need PyTorch (pip install torch, or Debian's python3-torch); "
                          "to write a zoo from NumPy arrays use ZooWriter, which needs NumPy only") from e
    if torch is None:  # sys.modules["torch"] = None
        raise ImportError("inpca_recorder: PyTorch is not importable")
    return torch


def _device_of(model: Any) -> Any:
    torch = _torch()
    for t in model.parameters():
        return t.device
    for t in model.buffers():
        return t.device
    return torch.device("cpu")


class Recorder:
    """Records a PyTorch model's softmax predictions on fixed evaluation samples, checkpoint by checkpoint.

    ``splits`` maps a split name to ``(inputs, labels)`` or ``(inputs, labels, indices)``: the same evaluation
    samples for every checkpoint of every run (NumPy arrays or tensors; inputs [S, ...], labels [S]).
    ``classes`` names the classes (index = label). The run ``run`` with configuration ``config`` is opened at
    once (continued if the folder already holds it: ``last_step`` says where it stopped).

    Example::

        rec = Recorder("zoo", splits={"train": (x_tr_eval, y_tr_eval), "test": (x_te, y_te)},
                       classes=[str(d) for d in range(10)], dataset="digits", run="mlp-s0", config={"arch": "mlp"})
        rec.record(model, step=0, epoch=0)
        for epoch in range(1, E + 1):
            ...  # train one epoch
            rec.record(model, step=epoch * steps_per_epoch, epoch=epoch)
        rec.finish()

    ``kind`` says what the model returns: "logits" (default; softmax is applied), "log_probabilities" or
    "probabilities"; ``output`` picks the tensor from a model that returns a tuple or an object (e.g.
    ``output=lambda out: out.logits``). ``batch_size`` evaluation samples go through the model at a time.
    """

    def __init__(self, zoo: Union[str, "os.PathLike[str]"], *, splits: Mapping[str, Sequence[Any]], classes: Sequence[str],
                 dataset: str, run: str, config: Optional[Mapping[str, Any]] = None, batch_size: int = 256,
                 float16: bool = True, kind: str = "logits", output: Optional[Callable[[Any], Any]] = None,
                 resume: bool = True, **run_fields: Any) -> None:
        torch = _torch()
        if kind not in ("logits", "log_probabilities", "probabilities"):
            raise ZooError('kind must be "logits", "log_probabilities" or "probabilities", got %r' % (kind,))
        if batch_size < 1:
            raise ZooError("batch_size must be at least 1, got %r" % (batch_size,))
        self.kind, self.output, self.batch_size = kind, output, int(batch_size)
        self.inputs: Dict[str, Any] = {}
        labels: Dict[str, Any] = {}
        for name, v in splits.items():
            if not isinstance(v, (tuple, list)) or len(v) not in (2, 3):
                raise ZooError('split "%s": give (inputs, labels) or (inputs, labels, indices)' % name)
            x = v[0] if isinstance(v[0], torch.Tensor) else torch.as_tensor(np.asarray(v[0]))
            if len(x) != len(_to_numpy(v[1])):
                raise ZooError('split "%s": %d inputs but %d labels' % (name, len(x), len(_to_numpy(v[1]))))
            self.inputs[name] = x
            labels[name] = (v[1], v[2]) if len(v) == 3 else v[1]
        self.zoo = ZooWriter(zoo, dataset=dataset, classes=classes, splits=labels, float16=float16)
        self.run = self.zoo.start_run(run, config, resume=resume, **run_fields)

    @property
    def last_step(self) -> Optional[float]:
        """The step of the last checkpoint recorded in this run (also by an earlier process), or None."""
        return self.run.last_step

    def predict(self, model: Any, split: str) -> np.ndarray:
        """The model's probabilities [S, C] (float64) on the evaluation samples of ``split``.

        Runs in eval mode under torch.no_grad, in batches on the model's device; train mode is restored after.
        """
        torch = _torch()
        was_training = model.training
        device = _device_of(model)
        dtype = next((t.dtype for t in model.parameters() if t.is_floating_point()), None)
        x = self.inputs[split]
        out = []
        model.eval()
        try:
            with torch.no_grad():
                for i in range(0, len(x), self.batch_size):
                    xb = x[i: i + self.batch_size].to(device)
                    if dtype is not None and xb.is_floating_point():
                        xb = xb.to(dtype)
                    y = model(xb)
                    if self.output is not None:
                        y = self.output(y)
                    y = y.double()
                    if self.kind == "logits":
                        y = torch.softmax(y, dim=-1)
                    elif self.kind == "log_probabilities":
                        y = torch.exp(y)
                    out.append(y.cpu().numpy())
        finally:
            model.train(was_training)
        return np.concatenate(out, axis=0)

    def record(self, model: Any, step: float, epoch: Optional[float] = None, **metrics: Any) -> Dict[str, Any]:
        """Evaluates ``model`` on every split's samples and appends the checkpoint ``step`` (``epoch`` defaults to
        ``step``). Error and cross-entropy on each split's evaluation samples are stored (``trainError``, ...);
        ``metrics`` add fields (``train_error=...`` replaces the computed one, e.g. with the error on the whole
        training set). Returns the checkpoint's manifest entry.
        """
        probs = {s: self.predict(model, s) for s in self.inputs}
        return self.run.append(step, epoch, probs, **metrics)

    def finish(self, **fields: Any) -> Dict[str, Any]:
        """Marks the run finished (extra run fields, e.g. ``trained=True``) and releases it."""
        return self.run.finish(**fields)

    def close(self) -> None:
        """Stops recording without marking the run finished (a later Recorder continues it)."""
        self.run.close()

    def __enter__(self) -> "Recorder":
        return self

    def __exit__(self, kind: Any, value: Any, tb: Any) -> None:
        self.run.__exit__(kind, value, tb)


# ----------------------------------------------------------------------------------------------------------------
# (c) A folder of state_dicts


_NUMBER = r"(\d+(?:\.\d+)?)"


def checkpoint_of(path: str) -> Tuple[Optional[float], Optional[float]]:
    """(step, epoch) read from a checkpoint's file name: ``epoch_3.pt`` -> (None, 3), ``step-1200.pt`` -> (1200, None),
    ``epoch=3-step=1200.ckpt`` -> (1200, 3), ``ckpt_0042.pt`` (one number) -> (42, None)."""
    stem = os.path.basename(path).rsplit(".", 1)[0]
    epoch = re.search(r"epoch[_=-]?" + _NUMBER, stem, re.I)
    step = re.search(r"(?:step|iter|iteration)[_=-]?" + _NUMBER, stem, re.I)
    num = lambda m: float(m.group(1)) if "." in m.group(1) else int(m.group(1))  # noqa: E731
    if epoch or step:
        return (num(step) if step else None, num(epoch) if epoch else None)
    numbers = re.findall(r"\d+", stem)
    if len(numbers) == 1:
        return int(numbers[0]), None
    return None, None


def _state_dict(obj: Any, path: str) -> Mapping[str, Any]:
    """The state_dict in a loaded checkpoint: the object itself, or its "state_dict"/"model_state_dict"/"model" entry."""
    if isinstance(obj, Mapping):
        for key in ("state_dict", "model_state_dict", "model"):
            if isinstance(obj.get(key), Mapping):
                return obj[key]
        return obj
    raise ZooError("%s: holds a %s, not a state_dict (save with torch.save(model.state_dict(), path))" % (path, type(obj).__name__))


def from_state_dicts(runs: Union[str, "os.PathLike[str]"], *, build: Callable[[str], Any], zoo: Union[str, "os.PathLike[str]"],
                     splits: Mapping[str, Sequence[Any]], classes: Sequence[str], dataset: str,
                     config_of: Optional[Callable[[str], Mapping[str, Any]]] = None,
                     step_of: Optional[Callable[[str], float]] = None, epoch_of: Optional[Callable[[str], float]] = None,
                     steps_per_epoch: Optional[float] = None, suffixes: Iterable[str] = (".pt", ".pth", ".ckpt"),
                     device: Any = "cpu", **recorder_options: Any) -> Dict[str, int]:
    """Turns a folder of state_dict checkpoints into a zoo.

    ``runs`` holds one folder per run, ``runs/<name>/<checkpoint>.pt`` (as saved by
    ``torch.save(model.state_dict(), f"runs/{name}/epoch_{k}.pt")``). For each run, ``build(name)`` returns a fresh
    model; each checkpoint is loaded with ``torch.load(path, map_location="cpu", weights_only=True)``, put in the
    model on ``device``, and recorded (as ``Recorder.record``) in step order. The run's config is
    ``config_of(name)``, else ``runs/<name>/config.json`` when present, else {}.

    Steps and epochs come from the file names (``checkpoint_of``: ``epoch_3.pt``, ``step_1200.pt``,
    ``epoch=3-step=1200.ckpt``, or a single number), or from ``step_of(path)`` / ``epoch_of(path)``. When a name gives
    only epochs, step = epoch * ``steps_per_epoch`` (default 1: step = epoch); when it gives only steps, epoch =
    step / ``steps_per_epoch`` (default: epoch = step). A file whose step cannot be found raises ZooError naming it.

    Resumable: a run already in the zoo is continued with the checkpoints after its last recorded step (run it
    again after adding checkpoints, or after a kill); a run with nothing new keeps its checkpoints. Returns the
    number of checkpoints recorded now, per run. The records are folded into manifest.json at the end.
    """
    torch = _torch()
    root = os.fspath(runs)
    suffixes = tuple(suffixes)
    if not os.path.isdir(root):
        raise ZooError("%s: no such folder of runs" % root)
    names = sorted(n for n in os.listdir(root) if os.path.isdir(os.path.join(root, n)))
    if not names:
        raise ZooError("%s: no run folders (expected %s/<run>/<checkpoint>.pt)" % (root, root))
    done: Dict[str, int] = {}
    writer: Optional[ZooWriter] = None
    for name in names:
        folder = os.path.join(root, name)
        plan = []
        for f in sorted(os.listdir(folder)):
            if not f.endswith(suffixes):
                continue
            path = os.path.join(folder, f)
            step, epoch = checkpoint_of(path)
            if step_of is not None:
                step = step_of(path)
            if epoch_of is not None:
                epoch = epoch_of(path)
            if step is None and epoch is None:
                raise ZooError("%s: no step or epoch in the file name (name files like epoch_3.pt or step_1200.pt, or pass step_of=)" % path)
            if step is None:
                step = epoch * (steps_per_epoch or 1)
                step = int(step) if float(step).is_integer() else step
            if epoch is None:
                epoch = step / steps_per_epoch if steps_per_epoch else step
            plan.append((step, epoch, path))
        if not plan:
            continue
        plan.sort(key=lambda t: t[0])
        for a, b in zip(plan, plan[1:]):
            if a[0] == b[0]:
                raise ZooError("%s and %s: both are step %s of run %s" % (a[2], b[2], a[0], name))
        if config_of is not None:
            config = dict(config_of(name))
        elif os.path.exists(os.path.join(folder, "config.json")):
            config = _read_json(os.path.join(folder, "config.json"))
        else:
            config = {}
        rec = Recorder(zoo, splits=splits, classes=classes, dataset=dataset, run=name, config=config, **recorder_options)
        writer = rec.zoo
        try:
            model = build(name).to(device)
            n = 0
            for step, epoch, path in plan:
                if rec.last_step is not None and step <= rec.last_step:
                    continue
                try:
                    sd = _state_dict(torch.load(path, map_location="cpu", weights_only=True), path)
                    model.load_state_dict(sd)
                except ZooError:
                    raise
                except Exception as e:
                    raise ZooError("%s: cannot load into the model of run %s: %s" % (path, name, e)) from e
                rec.record(model, step, epoch)
                n += 1
            rec.finish()
            done[name] = n
        except BaseException:
            rec.close()
            raise
    if writer is not None:
        writer.consolidate()
    return done
