#!/usr/bin/env python3
"""
Regenerates the small file fixtures under test/fixtures/ with real NumPy (Debian's python3-numpy):
    python3 scripts/fixtures.py
The files are committed, so the tests do not need Python. Values are closed forms the tests recompute:
floats are arange(24).reshape(2, 3, 4) / 7 (float16 rounds them), integers arange(24) - 5.
"""
import os

import numpy as np

here = os.path.dirname(os.path.abspath(__file__))
out = os.path.join(here, "..", "test", "fixtures", "npy")
os.makedirs(out, exist_ok=True)

x = np.arange(24).reshape(2, 3, 4) / 7
np.save(os.path.join(out, "f8.npy"), x.astype("<f8"))
np.save(os.path.join(out, "f4.npy"), x.astype("<f4"))
np.save(os.path.join(out, "f2.npy"), x.astype("<f2"))
np.save(os.path.join(out, "f4-big-endian.npy"), x.astype(">f4"))
np.save(os.path.join(out, "f8-fortran.npy"), np.asfortranarray(x))
np.save(os.path.join(out, "i8.npy"), np.arange(24, dtype="<i8") - 5)
np.save(os.path.join(out, "u1.npy"), np.arange(24, dtype="u1"))
np.save(os.path.join(out, "bool.npy"), np.arange(6) % 2 == 0)
np.save(os.path.join(out, "scalar.npy"), np.float64(2.5))
with open(os.path.join(out, "v2.npy"), "wb") as f:
    np.lib.format.write_array(f, x.astype("<f4"), version=(2, 0))
np.save(os.path.join(out, "object.npy"), np.array([{"a": 1}], dtype=object), allow_pickle=True)
with open(os.path.join(out, "truncated.npy"), "wb") as f:
    f.write(open(os.path.join(out, "f4.npy"), "rb").read()[:-5])
print("fixtures written to", os.path.normpath(out))

npz = os.path.join(here, "..", "test", "fixtures", "npz")
os.makedirs(npz, exist_ok=True)
labels = np.arange(5) % 3
np.savez(os.path.join(npz, "stored.npz"), probs=x.astype("<f4"), labels=labels)
np.savez_compressed(os.path.join(npz, "deflated.npz"), probs=x.astype("<f2"), labels=labels)
raw = open(os.path.join(npz, "deflated.npz"), "rb").read()
with open(os.path.join(npz, "truncated.npz"), "wb") as f:
    f.write(raw[: len(raw) // 2])
print("npz fixtures written to", os.path.normpath(npz))


# ---------------------------------------------------------------------------------------------------------------
# safetensors, HDF5, JSON and checkpoint-folder fixtures (test/safetensors, hdf5, json, checkpoints .test.ts).
# safetensors is written by hand (numpy + json + struct) exactly as the reference writer lays it out; HDF5 by h5py
# (LZ4 and Blosc filters from Debian's python3-hdf5plugin; the zstd filter 32015 by direct chunk writes of frames
# made by the zstd command-line tool, since Debian ships no zstd HDF5 plugin for h5py).
import json
import shutil
import struct
import subprocess
import tempfile

import h5py

fixtures = os.path.join(here, "..", "test", "fixtures")


def fresh(name):
    d = os.path.join(fixtures, name)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    return d


# -- safetensors ------------------------------------------------------------------------------------------------
ST_SIZE = {"BOOL": 1, "U8": 1, "I8": 1, "F8_E5M2": 1, "F8_E4M3": 1, "I16": 2, "U16": 2, "F16": 2, "BF16": 2,
           "I32": 4, "U32": 4, "F32": 4, "F64": 8, "I64": 8, "U64": 8}
ST_ORDER = list(ST_SIZE)  # increasing alignment, as in the reference implementation


def bf16_bits(a):
    """float32 -> bfloat16 bits, round to nearest even (what torch does)."""
    u = np.asarray(a, dtype="<f4").view("<u4").astype(np.uint64)
    return ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype("<u2")


def st_bytes(dtype, a):
    if dtype == "BF16":
        return bf16_bits(a).tobytes()
    np_dtype = {"BOOL": "|b1", "U8": "|u1", "I8": "|i1", "I16": "<i2", "U16": "<u2", "F16": "<f2", "I32": "<i4",
                "U32": "<u4", "F32": "<f4", "F64": "<f8", "I64": "<i8", "U64": "<u8", "F8_E4M3": "|u1"}[dtype]
    return np.ascontiguousarray(a, dtype=np_dtype).tobytes()


def write_safetensors(path, tensors, metadata=None, header_override=None, tail=b""):
    """tensors: {name: (dtype, ndarray)}. Reference layout: by decreasing alignment then name, header padded to 8."""
    items = sorted(tensors.items(), key=lambda kv: (-ST_ORDER.index(kv[1][0]), kv[0]))
    header, blobs, offset = {}, [], 0
    if metadata is not None:
        header["__metadata__"] = metadata
    for name, (dtype, a) in items:
        b = st_bytes(dtype, a)
        header[name] = {"dtype": dtype, "shape": list(np.shape(a)), "data_offsets": [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    if header_override:
        header_override(header)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs) + tail)


st = fresh("safetensors")
x32 = x.astype("<f4")
write_safetensors(os.path.join(st, "basic.safetensors"), {
    "f32": ("F32", x32), "f64": ("F64", x), "f16": ("F16", x.astype("<f2")), "bf16": ("BF16", x32),
    "i32": ("I32", np.arange(5) % 3), "i64": ("I64", np.array([-5, 0, 7, 2**31 - 1])),
    "u8": ("U8", np.array([0, 1, 255])), "bool": ("BOOL", np.array([True, False, True, True])),
    "empty": ("F32", np.zeros((0, 4))),
}, metadata={"format": "np", "step": "500"})
# what NumPy says the BF16 tensor holds: the bfloat16 bits shifted into float32
np.save(os.path.join(st, "bf16-expected.npy"), (bf16_bits(x32).astype("<u4") << 16).view("<f4"))
write_safetensors(os.path.join(st, "no-metadata.safetensors"), {"w": ("F32", x32[0])})
raw = open(os.path.join(st, "basic.safetensors"), "rb").read()
open(os.path.join(st, "truncated.safetensors"), "wb").write(raw[:-5])
open(os.path.join(st, "short.safetensors"), "wb").write(raw[:5])
open(os.path.join(st, "huge-header-length.safetensors"), "wb").write(struct.pack("<Q", 2**40) + raw[8:])
open(os.path.join(st, "header-past-end.safetensors"), "wb").write(struct.pack("<Q", len(raw)) + raw[8:])
open(os.path.join(st, "npy-renamed.safetensors"), "wb").write(open(os.path.join(out, "f4.npy"), "rb").read())
bad_json = b'{"w": {"dtype": "F32", "shape": [2], '
bad_json += b" " * ((8 - len(bad_json) % 8) % 8)
open(os.path.join(st, "not-json.safetensors"), "wb").write(struct.pack("<Q", len(bad_json)) + bad_json + b"\0" * 8)


def lie(field, value, name="b"):
    def edit(h):
        h[name][field] = value
    return edit


two = {"a": ("F32", np.arange(4)), "b": ("F32", np.arange(4) + 10)}  # a at [0, 16), b at [16, 32)
write_safetensors(os.path.join(st, "overlap.safetensors"), two, header_override=lie("data_offsets", [8, 24]))
write_safetensors(os.path.join(st, "gap.safetensors"), {"a": ("F32", np.arange(4)), "b": ("F32", np.arange(3))},
                  header_override=lie("data_offsets", [20, 32]), tail=b"\0" * 4)
write_safetensors(os.path.join(st, "offsets-past-end.safetensors"), two, header_override=lie("data_offsets", [16, 4096]))
write_safetensors(os.path.join(st, "size-mismatch.safetensors"), two, header_override=lie("shape", [5]))
write_safetensors(os.path.join(st, "unknown-dtype.safetensors"), two, header_override=lie("dtype", "Q4"))
write_safetensors(os.path.join(st, "bad-metadata.safetensors"), two, metadata={"epoch": 3})
write_safetensors(os.path.join(st, "f8.safetensors"), {"q": ("F8_E4M3", np.arange(8))})
print("safetensors fixtures written to", os.path.normpath(st))

# -- HDF5 -------------------------------------------------------------------------------------------------------
h5 = fresh("hdf5")
big = (np.arange(50 * 8).reshape(50, 8) / 7).astype("<f4")
with h5py.File(os.path.join(h5, "plain.h5"), "w") as f:
    f["probs"] = x32
    f["f64"] = x
    f["be"] = x.astype(">f8")
    f["labels"] = np.arange(5) % 3
    f["names"] = np.array([b"cat", b"dog"])
    f.create_group("grp").create_dataset("inner", data=x32[1])
    f.attrs["note"] = "plain datasets"
with h5py.File(os.path.join(h5, "gzip.h5"), "w") as f:
    f.create_dataset("probs", data=x32, chunks=(1, 3, 4), compression="gzip", compression_opts=6, shuffle=True)
with h5py.File(os.path.join(h5, "float16.h5"), "w") as f:
    f.create_dataset("probs", data=x.astype("<f2"))
    f.create_dataset("probs_be", data=x.astype(">f2"))
    f.create_dataset("chunked", data=big.astype("<f2"), chunks=(7, 8), compression="gzip")
with h5py.File(os.path.join(h5, "chunked.h5"), "w") as f:
    f.create_dataset("big", data=big, chunks=(7, 8))
    f.create_dataset("big_gzip", data=big, chunks=(7, 3), compression="gzip")

try:
    import hdf5plugin
except ImportError:  # Debian: python3-hdf5plugin
    hdf5plugin = None
if hdf5plugin is None:
    print("python3-hdf5plugin is missing: hdf5/filters.h5 (LZ4, Blosc, zstd) NOT regenerated")
else:
    fpath = os.path.join(h5, "filters.h5")
    with h5py.File(fpath, "w") as f:
        f.create_dataset("lz4", data=big, chunks=(7, 8), **hdf5plugin.LZ4())
        f.create_dataset("blosc_lz4", data=big, chunks=(7, 8), **hdf5plugin.Blosc(cname="lz4", clevel=5, shuffle=hdf5plugin.Blosc.SHUFFLE))
        f.create_dataset("blosc_zstd", data=big, chunks=(7, 8), **hdf5plugin.Blosc(cname="zstd", clevel=5, shuffle=hdf5plugin.Blosc.BITSHUFFLE))
        # zstd filter 32015: each chunk is one zstd frame (with its content size) of the chunk's bytes
        dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
        dcpl.set_chunk((7, 8))
        dcpl.set_filter(32015, 1, ())  # optional, so h5py accepts it without the plugin
        dset = h5py.h5d.create(f.id, b"zstd", h5py.h5t.IEEE_F32LE, h5py.h5s.create_simple(big.shape), dcpl=dcpl)
        with tempfile.TemporaryDirectory() as tmp:
            for r in range(0, 50, 7):
                chunk = np.zeros((7, 8), dtype="<f4")
                chunk[: min(7, 50 - r)] = big[r : r + 7]
                src = os.path.join(tmp, "chunk")
                open(src, "wb").write(chunk.tobytes())
                frame = subprocess.run(["zstd", "-q", "-c", "-19", src], check=True, capture_output=True).stdout
                dset.write_direct_chunk((r, 0), frame, 0)
    print("filters written; filter ids:", {k: list(h5py.File(fpath, "r")[k]._filters) for k in ["lz4", "blosc_lz4", "blosc_zstd", "zstd"]})

# a pairwise distance matrix stored as the authors release theirs: one square float dataset named "w"
rng = np.random.default_rng(7)
N = 12
logits = rng.normal(size=(N, 30, 10)) * np.linspace(0, 4, N)[:, None, None]
p = np.exp(logits - logits.max(-1, keepdims=True))
p /= p.sum(-1, keepdims=True)
sq = np.sqrt(p)
w = -np.log(np.clip(np.einsum("isc,jsc->ijs", sq, sq), np.exp(-100), None)).mean(-1)
w = (w + w.T) / 2
np.fill_diagonal(w, 0)
rows = np.array([2, 5, 7, 11])
with h5py.File(os.path.join(h5, "w.h5"), "w") as f:
    f.create_dataset("w", data=w, chunks=(4, N), compression="gzip")
    f.create_dataset("w32", data=w.astype("<f4"))
    f["expected_rows_2_5_7_11"] = w[np.ix_(rows, rows)]  # what NumPy selects, for the row-selection test
    f["expected_rows_1_to_9_step_2"] = w[1:9:2, 1:9:2]
with h5py.File(os.path.join(h5, "w-bad.h5"), "w") as f:
    asym = w.copy()
    asym[3, 4] += 0.5
    f["w"] = asym
    f["w_rect"] = w[:5]
    diag = w.copy()
    diag[2, 2] = 0.25
    f["w_diag"] = diag
    nan = w.copy()
    nan[6, 1] = nan[1, 6] = np.nan
    f["w_nan"] = nan
# malformed HDF5: truncated, not HDF5 at all, a filter nobody has, strings where numbers are expected
raw = open(os.path.join(h5, "plain.h5"), "rb").read()
open(os.path.join(h5, "truncated.h5"), "wb").write(raw[: len(raw) // 2])
open(os.path.join(h5, "not-hdf5.h5"), "wb").write(b"this is a text file, not HDF5\n")
with h5py.File(os.path.join(h5, "unknown-filter.h5"), "w") as f:
    dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
    dcpl.set_chunk((3, 4))
    dcpl.set_filter(32099, 1, ())
    dset = h5py.h5d.create(f.id, b"probs", h5py.h5t.IEEE_F32LE, h5py.h5s.create_simple((6, 4)), dcpl=dcpl)
    for r in (0, 3):
        dset.write_direct_chunk((r, 0), x32.reshape(6, 4)[r : r + 3].tobytes(), 0)
print("hdf5 fixtures written to", os.path.normpath(h5))

# -- JSON -------------------------------------------------------------------------------------------------------
js = fresh("json")
pj = np.exp(np.arange(24).reshape(2, 3, 4) / 5.0)
pj /= pj.sum(-1, keepdims=True)
jdump = lambda name, obj: json.dump(obj, open(os.path.join(js, name), "w"))
jdump("nested.json", pj.tolist())
jdump("object.json", {"probs": pj.tolist(), "labels": [0, 3, 1], "classNames": ["a", "b", "c", "d"], "split": "test",
                      "meta": [{"run": "toy", "step": 0, "epoch": 0}, {"run": "toy", "step": 10, "epoch": 1}]})
jdump("logits.json", {"logits": (np.arange(12).reshape(3, 4) / 3.0 - 1).tolist()})
np.save(os.path.join(js, "logits-expected.npy"),
        (lambda z: np.exp(z - z.max(-1, keepdims=True)) / np.exp(z - z.max(-1, keepdims=True)).sum(-1, keepdims=True))(
            np.arange(12).reshape(1, 3, 4) / 3.0 - 1))
np.save(os.path.join(js, "nested-expected.npy"), pj)
ragged = pj.tolist()
ragged[1][2] = ragged[1][2][:3]
jdump("ragged.json", ragged)
text = pj.tolist()
text[0][1][2] = "0.25"
jdump("not-number.json", text)
open(os.path.join(js, "bad-syntax.json"), "w").write(json.dumps(pj.tolist())[:-7])
jdump("four-d.json", [pj.tolist()])
bad = pj.copy()
bad[1, 0, :] *= 1.5
jdump("bad-sum.json", bad.tolist())
print("json fixtures written to", os.path.normpath(js))

# -- checkpoint folders -----------------------------------------------------------------------------------------
ck = fresh("checkpoints")
S, C = 6, 4
ylab = np.array([0, 1, 2, 3, 0, 1])


def softmax(z):
    e = np.exp(z - z.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def run_logits(seed, T):
    r = np.random.default_rng(seed)
    base = r.normal(size=(S, C))
    return [base * 0.3 + 2.0 * t * np.eye(C)[ylab] + r.normal(size=(S, C)) * 0.2 for t in range(T)]


def mk(*parts):
    d = os.path.join(ck, *parts)
    os.makedirs(d, exist_ok=True)
    return d


expected = mk("expected")
# run-npy: probabilities (float32) in epoch_<n>.npy, natural order 1, 2, 10; sidecar config.json; labels.npy
d = mk("run-npy")
zs = run_logits(1, 3)
for e, z in zip([1, 2, 10], zs):
    np.save(os.path.join(d, f"epoch_{e}.npy"), softmax(z).astype("<f4"))
np.save(os.path.join(d, "labels.npy"), ylab)
json.dump({"run": "mlp-s0", "config": {"arch": "mlp", "lr": 0.1, "seed": 0, "milestones": [30, 60]}}, open(os.path.join(d, "config.json"), "w"))
np.save(os.path.join(expected, "run-npy.npy"), np.stack([softmax(z).astype("<f4") for z in zs]))
# run-safetensors: logits (F32) + labels (I64) inside each file; names step=<n>
d = mk("run-safetensors")
zs = run_logits(2, 3)
for s, z in zip([500, 1000, 1500], zs):
    write_safetensors(os.path.join(d, f"step={s}.safetensors"), {"logits": ("F32", z), "labels": ("I64", ylab)}, metadata={"format": "np"})
np.save(os.path.join(expected, "run-safetensors.npy"), np.stack([softmax(z.astype("<f4").astype("f8")) for z in zs]))
# run-h5: log-probabilities in dataset "log_probs" and float16 probabilities in "probs"; names ckpt-000500
d = mk("run-h5")
zs = run_logits(3, 2)
for s, z in zip([500, 1000], zs):
    lp = np.log(softmax(z))
    with h5py.File(os.path.join(d, f"ckpt-{s:06d}.h5"), "w") as f:
        f.create_dataset("log_probs", data=lp.astype("<f4"), compression="gzip", chunks=(3, C))
        f.create_dataset("probs", data=softmax(z).astype("<f2"))
np.save(os.path.join(expected, "run-h5-logprobs.npy"), np.stack([np.exp(np.log(softmax(z)).astype("<f4").astype("f8")) for z in zs]))
np.save(os.path.join(expected, "run-h5-f16.npy"), np.stack([softmax(z).astype("<f2") for z in zs]))
# run-folders: one folder per checkpoint (e1, e2, e12) with predictions.npz and a meta.json sidecar
zs = run_logits(4, 3)
for e, z in zip([1, 2, 12], zs):
    d = mk("run-folders", f"e{e}")
    np.savez_compressed(os.path.join(d, "predictions.npz"), probs=softmax(z).astype("<f4"))
    json.dump({"step": e * 100, "loss": 1.0 / e}, open(os.path.join(d, "meta.json"), "w"))
np.save(os.path.join(expected, "run-folders.npy"), np.stack([softmax(z).astype("<f4") for z in zs]))
# run-json: nested lists, step_0.json / step_100.json
d = mk("run-json")
zs = run_logits(5, 2)
for s, z in zip([0, 100], zs):
    json.dump(softmax(z).tolist(), open(os.path.join(d, f"step_{s}.json"), "w"))
np.save(os.path.join(expected, "run-json.npy"), np.stack([softmax(z) for z in zs]))
# the authors' style: a folder per run named by its JSON configuration; two runs
for seed, cfg in enumerate([{"arch": "allcnn", "bs": 200, "lr": 0.1, "seed": 0}, {"arch": "fc", "bs": 500, "lr": 0.05, "seed": 1}]):
    d = mk("authors", json.dumps(cfg, separators=(",", ":")))
    zs = run_logits(10 + seed, 2)
    for e, z in zip([0, 5], zs):
        np.save(os.path.join(d, f"epoch_{e}.npy"), softmax(z).astype("<f4"))
    np.save(os.path.join(expected, f"authors-{cfg['arch']}.npy"), np.stack([softmax(z).astype("<f4") for z in zs]))
# ... and one flat folder of files named by configuration plus epoch
d = mk("authors-flat")
for seed in (0, 1):
    zs = run_logits(20 + seed, 2)
    for e, z in zip([3, 1], zs):
        np.save(os.path.join(d, json.dumps({"arch": "allcnn", "seed": seed, "epoch": e}, separators=(",", ":")) + ".npy"), softmax(z).astype("<f4"))
# malformed: NaN inside, shape mismatch within a run, mixed encodings, bad labels, a tfjs folder, an empty folder
d = mk("bad-nan")
zs = run_logits(6, 2)
np.save(os.path.join(d, "epoch_1.npy"), softmax(zs[0]).astype("<f4"))
pn = softmax(zs[1]).astype("<f4")
pn[3, 2] = np.nan
np.save(os.path.join(d, "epoch_2.npy"), pn)
d = mk("bad-inf")
li = zs[1].astype("<f4")
li[4, 1] = np.inf
np.save(os.path.join(d, "epoch_1.npy"), li)
d = mk("bad-shape")
np.save(os.path.join(d, "epoch_1.npy"), softmax(zs[0]).astype("<f4"))
np.save(os.path.join(d, "epoch_2.npy"), softmax(zs[1][:5]).astype("<f4"))
d = mk("bad-kind")
np.save(os.path.join(d, "epoch_1.npy"), softmax(zs[0]).astype("<f4"))
np.save(os.path.join(d, "epoch_2.npy"), zs[1].astype("<f4"))
d = mk("bad-labels")
np.save(os.path.join(d, "epoch_1.npy"), softmax(zs[0]).astype("<f4"))
np.save(os.path.join(d, "labels.npy"), ylab[:5])
d = mk("bad-3d")
np.save(os.path.join(d, "epoch_1.npy"), np.stack([softmax(z) for z in zs]).astype("<f4"))
d = mk("tfjs", "step_10")
json.dump({"format": "layers-model", "modelTopology": {}, "weightsManifest": []}, open(os.path.join(d, "model.json"), "w"))
open(os.path.join(mk("empty"), ".gitkeep"), "w").close()
print("checkpoint fixtures written to", os.path.normpath(ck))

# -- layouts researchers already have ---------------------------------------------------------------------------
# the companion code's per-seed HDF5 files: one file per run, a dataset [checkpoints, samples, classes] of float16
# (LZ4-compressed, rounded), labels in a labels/ folder beside them
import hdf5plugin  # noqa: E402  (registers the LZ4 filter with h5py)
d = mk("per-seed-h5")
lab = mk("per-seed-h5", "labels")
np.save(os.path.join(lab, "train.npy"), ylab.astype(np.int64))
np.save(os.path.join(lab, "test.npy"), ylab[::-1].astype(np.int64))
for seed in (0, 1, 2):
    zs = run_logits(40 + seed, 4)
    stack = np.stack([softmax(z) for z in zs]).round(3).astype("<f2")
    with h5py.File(os.path.join(d, f"seed_{seed}.h5"), "w") as f:
        f.create_dataset("yh", data=stack, chunks=(1, S, C), **hdf5plugin.LZ4())
        f.create_dataset("epochs", data=np.array([0, 1, 5, 20], dtype="<f8"))
    np.save(os.path.join(expected, f"per-seed-h5-{seed}.npy"), stack)
# a folder of run folders with the labels in the parent folder
for run in ("run-a", "run-b"):
    d = mk("parent-of-runs", run)
    zs = run_logits(50 + len(run) + ord(run[-1]), 3)
    for e, z in zip([1, 2, 3], zs):
        np.save(os.path.join(d, f"epoch_{e}.npy"), softmax(z).astype("<f4"))
    np.save(os.path.join(expected, f"parent-of-runs-{run}.npy"), np.stack([softmax(z).astype("<f4") for z in zs]))
np.save(os.path.join(ck, "parent-of-runs", "labels.npy"), ylab.astype(np.int64))
