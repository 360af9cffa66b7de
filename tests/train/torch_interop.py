"""train.torch_interop: Backplane's safetensors weights in PyTorch and back.

The reference CNN in PyTorch (Conv2d 3->32 3x3, ReLU, MaxPool 2x2, Linear
5408->10) with the layouts of docs/training.md: a Conv2D kernel is OHWI
(PyTorch OIHW = permute(0, 3, 1, 2)); a Dense kernel is (inputs, units) with
the inputs in NHWC flatten order (PyTorch's Linear weight is its transpose,
applied to the pooled activations flattened channels-last).

1. Weights saved by Backplane, loaded into PyTorch: the same logits and
   probabilities within 1e-5 on the same inputs.
2. Weights written from PyTorch (no architecture metadata: a weights-only
   file), loaded into Backplane with load_weights: the same logits.
The safetensors reading and writing here is this file's own (30 lines), so
the check does not depend on the safetensors package.
Exit 77 (CTest skip) when torch cannot be imported.
"""
import json
import os
import struct
import subprocess
import sys

try:
    import torch
except Exception as error:  # noqa: BLE001 - any import failure means "no torch here"
    print(f"SKIP: PyTorch is not importable with {sys.executable}: {error}")
    sys.exit(77)

helper, work = sys.argv[1], sys.argv[2]
os.makedirs(work, exist_ok=True)
checks = 0


def read_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    data = raw[8 + n:]
    out = {}
    for name, spec in header.items():
        if name == "__metadata__":
            continue
        assert spec["dtype"] == "F32", (name, spec["dtype"])
        begin, end = spec["data_offsets"]
        out[name] = torch.frombuffer(bytearray(data[begin:end]), dtype=torch.float32).reshape(spec["shape"])
    return out, header.get("__metadata__", {})


def write_safetensors(path, tensors):
    header, chunks, offset = {}, [], 0
    for name, t in tensors.items():
        blob = t.detach().contiguous().to(torch.float32).numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(blob)]}
        chunks.append(blob)
        offset += len(blob)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(chunks))


def read_f32(path, shape):
    with open(path, "rb") as f:
        return torch.frombuffer(bytearray(f.read()), dtype=torch.float32).reshape(shape)


class ReferenceCNN(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 32, 3)
        self.pool = torch.nn.MaxPool2d(2)
        self.fc = torch.nn.Linear(13 * 13 * 32, 10)

    def forward(self, x_nhwc):
        y = self.pool(torch.relu(self.conv(x_nhwc.permute(0, 3, 1, 2))))
        return self.fc(y.permute(0, 2, 3, 1).reshape(x_nhwc.shape[0], -1))  # NHWC flatten order

    def load_backplane(self, w):
        with torch.no_grad():
            self.conv.weight.copy_(w["conv2d/kernel"].permute(0, 3, 1, 2))  # OHWI -> OIHW
            self.conv.bias.copy_(w["conv2d/bias"])
            self.fc.weight.copy_(w["dense/kernel"].t())  # (inputs, units) -> (units, inputs)
            self.fc.bias.copy_(w["dense/bias"])

    def backplane_weights(self):
        return {"conv2d/kernel": self.conv.weight.permute(0, 2, 3, 1), "conv2d/bias": self.conv.bias,
                "dense/kernel": self.fc.weight.t(), "dense/bias": self.fc.bias}


def close(name, got, want, tol):
    global checks
    diff = (got - want).abs().max().item()
    scale = max(1.0, want.abs().max().item())
    print(f"{name}: max |difference| {diff:.3g} (scale {scale:.3g}, tolerance {tol:g})")
    if diff > tol * scale:
        print(f"FAIL: {name} differ by {diff}")
        sys.exit(1)
    checks += 1


torch.set_num_threads(1)
subprocess.run([helper, "export", work], check=True)
inputs = read_f32(os.path.join(work, "inputs.f32"), (8, 28, 28, 3))

# 1. Backplane -> PyTorch.
weights, metadata = read_safetensors(os.path.join(work, "backplane.safetensors"))
assert sorted(weights) == ["conv2d/bias", "conv2d/kernel", "dense/bias", "dense/kernel"], sorted(weights)
assert json.loads(metadata["backplane.nn.architecture"])["layers"][0]["kind"] == "Conv2D"
model = ReferenceCNN()
model.load_backplane(weights)
with torch.no_grad():
    logits = model(inputs)
close("logits, Backplane weights in PyTorch", logits, read_f32(os.path.join(work, "backplane_logits.f32"), (8, 10)), 1e-5)
close("probabilities, Backplane weights in PyTorch", torch.softmax(logits, dim=1),
      read_f32(os.path.join(work, "backplane_probs.f32"), (8, 10)), 1e-5)

# 2. PyTorch -> Backplane: PyTorch's own initialisation, written as a weights-only file.
torch.manual_seed(20)
theirs = ReferenceCNN()
torch_file = os.path.join(work, "torch.safetensors")
write_safetensors(torch_file, theirs.backplane_weights())
out = os.path.join(work, "torch_in_backplane_logits.f32")
subprocess.run([helper, "predict", torch_file, os.path.join(work, "inputs.f32"), out], check=True)
with torch.no_grad():
    want = theirs(inputs)
got = read_f32(out, (8, 10))
close("logits, PyTorch weights in Backplane", got, want, 1e-5)
close("probabilities, PyTorch weights in Backplane", torch.softmax(got, dim=1), torch.softmax(want, dim=1), 1e-5)

print("OK: weights cross between Backplane and PyTorch and predict the same")
print(f"bp-test: ran={checks} skipped=0")  # read by scripts/check-test-counts.py
