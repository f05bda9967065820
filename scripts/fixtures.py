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
