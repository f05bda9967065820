#!/usr/bin/env python3
"""Writes test/fixtures/onnx/: three checkpoints of a small CNN (batch norm and dropout, so eval mode matters)
exported by the real torch.onnx.export (Debian's python3-torch), the inputs they are evaluated on, and PyTorch's
own eval-mode outputs.  Run: /usr/bin/python3 scripts/fixtures-onnx.py"""
import os, numpy as np, torch

out = os.path.join(os.path.dirname(__file__), "..", "test", "fixtures", "onnx")
run = os.path.join(out, "run")
os.makedirs(run, exist_ok=True)
torch.manual_seed(0)
S, C = 32, 5
x = torch.rand(S, 1, 8, 8)
y = torch.arange(S) % C
model = torch.nn.Sequential(
    torch.nn.Conv2d(1, 6, 3, padding=1), torch.nn.BatchNorm2d(6), torch.nn.ReLU(), torch.nn.Dropout(0.3),
    torch.nn.Flatten(), torch.nn.Linear(6 * 64, C))
opt = torch.optim.SGD(model.parameters(), lr=0.1)
expected = []
for step in range(0, 30):
    if step in (0, 10, 29):
        model.eval()
        with torch.no_grad():
            logits = model(x)
        expected.append(logits.numpy())
        torch.onnx.export(model, x, os.path.join(run, f"step_{step}.onnx"), input_names=["images"], output_names=["logits"],
                          dynamic_axes={"images": {0: "n"}, "logits": {0: "n"}}, opset_version=13)
    model.train()
    opt.zero_grad()
    torch.nn.functional.cross_entropy(model(x), y).backward()
    opt.step()
np.save(os.path.join(out, "inputs.npy"), x.numpy())
np.save(os.path.join(out, "expected-logits.npy"), np.stack(expected))
np.save(os.path.join(run, "labels.npy"), y.numpy())
print("wrote", sorted(os.listdir(run)))
