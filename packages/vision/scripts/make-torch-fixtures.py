#!/usr/bin/python3
"""Generate the small PyTorch checkpoint fixtures of @frostline/vision's torch tests.

Run with Debian's Python (torch 1.13 + torchvision 0.14, no other packages needed):

    /usr/bin/python3 packages/vision/scripts/make-torch-fixtures.py

It writes to packages/vision/test/fixtures/torch/:
- <arch>.safetensors and <arch>.pth for resnet18, resnet34, resnet50 (reduced width) and
  mobilenet_v2 (width_mult 0.25): torchvision's own modules and state_dict key layout, seeded weights,
  random BatchNorm statistics (so BN is not the identity), 10 classes;
- <arch>.reference.safetensors: `input` (NCHW, float32, already normalised) and `logits`, the eval-mode
  forward of the same weights;
and to packages/tfjs/test/fixtures/weights/ (the readers' own fixtures):
- dtypes.safetensors / dtypes.pth / bf16.pth: F16 / BF16 / F64 / I64 / I32 tensors plus their float32 values;
- evil-*.pth: torch.save archives whose pickle calls os.system / builtins.eval, or uses the INST opcode
  (never to be executed), and no-data-pkl.zip (a zip that is not a torch archive);
- views.pth: a state_dict whose tensors share one storage (a transposed view and offset slices), and
  views-deflated.pth, the same archive with deflated members.

Everything is deterministic (fixed seeds), so re-running gives the same files.
"""
import builtins
import json
import os
import struct
import sys
import zipfile
from collections import OrderedDict

import torch
import torch.nn as nn
import torchvision
from torchvision.models.resnet import BasicBlock, Bottleneck, ResNet

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.normpath(os.path.join(HERE, "..", "test", "fixtures", "torch"))
# Reader fixtures (dtypes, views, hostile files) belong to @frostline/tfjs, which owns the readers.
READER_OUT = os.path.normpath(os.path.join(HERE, "..", "..", "tfjs", "test", "fixtures", "weights"))
SIZE = 64  # input side of the reference images
CLASSES = 10

ST_DTYPES = {
    torch.float32: "F32",
    torch.float16: "F16",
    torch.bfloat16: "BF16",
    torch.float64: "F64",
    torch.int64: "I64",
    torch.int32: "I32",
}


def save_safetensors(path, tensors, metadata=None):
    """The safetensors format written by hand (the `safetensors` package is not on Debian)."""
    header = {}
    chunks = []
    offset = 0
    for name, t in tensors.items():
        t = t.detach().contiguous().cpu()
        # bytes of any dtype, bfloat16 included, via a uint8 view of the storage
        raw = t.reshape(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b""
        header[name] = {"dtype": ST_DTYPES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    if metadata:
        header["__metadata__"] = metadata
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for c in chunks:
            f.write(c)


class SmallResNet(ResNet):
    """torchvision's ResNet with base width `width` instead of 64 (same modules, same key names)."""

    def __init__(self, block, layers, width, num_classes):
        nn.Module.__init__(self)
        self._norm_layer = nn.BatchNorm2d
        self.inplanes = width
        self.dilation = 1
        self.groups = 1
        self.base_width = 64
        self.conv1 = nn.Conv2d(3, width, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(block, width, layers[0])
        self.layer2 = self._make_layer(block, width * 2, layers[1], stride=2)
        self.layer3 = self._make_layer(block, width * 4, layers[2], stride=2)
        self.layer4 = self._make_layer(block, width * 8, layers[3], stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(width * 8 * block.expansion, num_classes)


def randomize_bn(model, gen):
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            n = m.num_features
            m.weight.data = torch.rand(n, generator=gen) * 0.8 + 0.6
            m.bias.data = torch.randn(n, generator=gen) * 0.1
            m.running_mean.data = torch.randn(n, generator=gen) * 0.1
            m.running_var.data = torch.rand(n, generator=gen) * 0.5 + 0.75
            m.num_batches_tracked.fill_(int(torch.randint(1, 1000, (1,), generator=gen)))


def build(arch):
    torch.manual_seed({"resnet18": 18, "resnet34": 34, "resnet50": 50, "mobilenet_v2": 2}[arch])
    if arch == "resnet18":
        model = SmallResNet(BasicBlock, [2, 2, 2, 2], 8, CLASSES)
    elif arch == "resnet34":
        model = SmallResNet(BasicBlock, [3, 4, 6, 3], 4, CLASSES)
    elif arch == "resnet50":
        model = SmallResNet(Bottleneck, [3, 4, 6, 3], 4, CLASSES)
    else:
        model = torchvision.models.mobilenet_v2(weights=None, width_mult=0.25, num_classes=CLASSES)
        # torchvision initialises the classifier with std 0.01; scale it so logits are O(0.1), not O(0.01)
        model.classifier[1].weight.data *= 20
    gen = torch.Generator().manual_seed(7)
    randomize_bn(model, gen)
    return model.eval()


def write_model(arch):
    model = build(arch)
    sd = model.state_dict()
    save_safetensors(os.path.join(OUT, f"{arch}.safetensors"), sd, {"format": "pt"})
    torch.save(sd, os.path.join(OUT, f"{arch}.pth"))
    gen = torch.Generator().manual_seed(123)
    x = torch.randn(2, 3, SIZE, SIZE, generator=gen)
    with torch.no_grad():
        logits = model(x)
    save_safetensors(os.path.join(OUT, f"{arch}.reference.safetensors"), {"input": x, "logits": logits})
    params = sum(p.numel() for p in model.parameters())
    print(f"{arch}: {params} parameters, {len(sd)} keys, logits std {logits.std().item():.3f}")


def write_dtypes():
    base = torch.tensor([[0.0, 1.0, -2.5], [3.140625, 65504.0, 1e-3]], dtype=torch.float32)
    tensors = OrderedDict()
    tensors["f16"] = base.to(torch.float16)
    tensors["f16_as_f32"] = base.to(torch.float16).to(torch.float32)
    tensors["bf16"] = base.to(torch.bfloat16)
    tensors["bf16_as_f32"] = base.to(torch.bfloat16).to(torch.float32)
    tensors["f64"] = base.to(torch.float64)
    tensors["f64_as_f32"] = base.to(torch.float64).to(torch.float32)
    tensors["i64"] = torch.tensor([0, 1, -7, 2**31 - 1], dtype=torch.int64)
    tensors["i32"] = torch.tensor([5, -5], dtype=torch.int32)
    tensors["scalar"] = torch.tensor(4.5)
    save_safetensors(os.path.join(READER_OUT, "dtypes.safetensors"), tensors)
    torch.save({k: v for k, v in tensors.items() if not k.startswith("bf16") or k == "bf16_as_f32"},
               os.path.join(READER_OUT, "dtypes.pth"))
    torch.save({"bf16": tensors["bf16"]}, os.path.join(READER_OUT, "bf16.pth"))


def member(name):
    """A zip member with a fixed date, so the archives are byte-reproducible."""
    return zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))


class Evil:
    def __init__(self, fn, arg):
        self.fn, self.arg = fn, arg

    def __reduce__(self):
        return (self.fn, (self.arg,))


def write_bad():
    w = torch.ones(2)
    torch.save({"weight": w, "payload": Evil(os.system, "echo frostline-pwned > /tmp/frostline-pwned")},
               os.path.join(READER_OUT, "evil-os-system.pth"))
    torch.save({"weight": w, "payload": Evil(builtins.eval, "__import__('os').getcwd()")},
               os.path.join(READER_OUT, "evil-eval.pth"))
    base = torch.arange(12, dtype=torch.float32).reshape(3, 4)
    torch.save(OrderedDict([("base", base), ("t", base.t()), ("row", base[1]), ("col", base[:, 2])]),
               os.path.join(READER_OUT, "views.pth"))
    # Protocol-0 INST: builds an object by calling os.system directly, without GLOBAL/REDUCE.
    with zipfile.ZipFile(os.path.join(READER_OUT, "evil-inst.pth"), "w", zipfile.ZIP_STORED) as z:
        cmd = b"echo frostline-pwned > /tmp/frostline-pwned"
        z.writestr(member("evil-inst/data.pkl"), b"\x80\x02(X" + struct.pack("<I", len(cmd)) + cmd + b"ios\nsystem\n.")
    # The same archive re-zipped with deflate (torch.save stores members; a re-packed file may not).
    with zipfile.ZipFile(os.path.join(READER_OUT, "views.pth")) as src, \
            zipfile.ZipFile(os.path.join(READER_OUT, "views-deflated.pth"), "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            z.writestr(member(info.filename), src.read(info.filename),
                       compress_type=zipfile.ZIP_DEFLATED)
    with zipfile.ZipFile(os.path.join(READER_OUT, "no-data-pkl.zip"), "w", zipfile.ZIP_STORED) as z:
        z.writestr(member("archive/data/0"), b"\0" * 16)
        z.writestr(member("archive/version"), b"3\n")


def main():
    os.makedirs(OUT, exist_ok=True)
    os.makedirs(READER_OUT, exist_ok=True)
    for arch in ["resnet18", "resnet34", "resnet50", "mobilenet_v2"]:
        write_model(arch)
    write_dtypes()
    write_bad()
    for d in [OUT, READER_OUT]:
        total = sum(os.path.getsize(os.path.join(d, f)) for f in os.listdir(d))
        print(f"torch {torch.__version__}, torchvision {torchvision.__version__}: {total / 1e6:.3f} MB in {d}")


if __name__ == "__main__":
    sys.exit(main())
