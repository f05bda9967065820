#!/usr/bin/env python3
"""Writes the PyTorch fixtures of test/fixtures/torch/ with the real torch.save (Debian's python3-torch), and
NumPy copies of the same arrays for the tests to compare against.  Run: /usr/bin/python3 scripts/fixtures-torch.py"""
import os, pickle, zipfile, numpy as np, torch

out = os.path.join(os.path.dirname(__file__), "..", "test", "fixtures", "torch")
os.makedirs(os.path.join(out, "run"), exist_ok=True)
os.makedirs(os.path.join(out, "expected"), exist_ok=True)
exp = lambda name: os.path.join(out, "expected", name)
g = torch.Generator().manual_seed(0)
S, C = 12, 4
labels = torch.arange(S) % C
for step in (0, 50, 100):
    logits = torch.randn(S, C, generator=g) * (step / 25)
    probs = torch.softmax(logits, dim=1)
    torch.save(probs, os.path.join(out, "run", f"step_{step}.pt"))
    np.save(exp(f"step_{step}.npy"), probs.numpy())
np.save(os.path.join(out, "run", "labels.npy"), labels.numpy().astype(np.int64))
# a dict of tensors: float16 predictions, int64 labels, a nested dict and a list
p16 = torch.softmax(torch.randn(S, C, generator=g), 1).half()
torch.save({"probs": p16, "labels": labels, "meta": {"epoch": 3, "lr": 0.1, "name": "x"}, "extra": [torch.zeros(2), None, True]}, os.path.join(out, "dict.pt"))
np.save(exp("dict.npy"), p16.float().numpy())
# float64, and a non-contiguous (transposed) tensor that keeps its strides in the file
p64 = torch.softmax(torch.randn(S, C, generator=g, dtype=torch.float64), 1)
torch.save(p64, os.path.join(out, "f64.pt"))
np.save(exp("f64.npy"), p64.numpy())
t = torch.softmax(torch.randn(C, S, generator=g), 0).t()
assert not t.is_contiguous()
torch.save({"logits_t": t, "offset": torch.arange(20.0)[5:17].reshape(3, 4)}, os.path.join(out, "strided.pt"))
np.save(exp("strided.npy"), t.contiguous().numpy())
np.save(exp("offset.npy"), torch.arange(20.0)[5:17].reshape(3, 4).numpy())
# a whole module (pickles its class): must be refused, never executed
torch.save(torch.nn.Linear(3, 2), os.path.join(out, "module.pt"))
# a legacy (pre-1.6) non-zip file
torch.save(torch.zeros(2, 2), os.path.join(out, "legacy.pt"), _use_new_zipfile_serialization=False)
# a plain pickle that is not torch at all (os.system would run a command if unpickled by Python)
class Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned",))
with zipfile.ZipFile(os.path.join(out, "evil.pt"), "w") as z:
    z.writestr("evil/data.pkl", pickle.dumps(Evil(), protocol=2))
print("wrote", sorted(os.listdir(out)))
