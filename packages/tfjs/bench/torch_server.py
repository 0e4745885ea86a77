"""PyTorch side of bench/engines.ts, kept alive as one subprocess so both sides interleave.

Reads one JSON command per line on stdin, answers one JSON line on stdout:
  {"op": "fwd", "size": 224, "batch": 8}            one no-grad forward of the MobileNetV2 prefix
  {"op": "e2e", "mode": "seed"|"cached", "n": 1000, "epochs": 10, "size": 224, "batch": 32, "classes": 5}
MobileNetV2 is torchvision's (random init; the speed does not depend on the values), in eval mode,
cut after the global average pool (1280-d), like the frozen prefix on the frostline side.
"""
import json
import sys
import time

import torch
import torchvision

torch.set_num_threads(int(sys.argv[1]) if len(sys.argv) > 1 else 2)
torch.manual_seed(0)


def prefix():
    m = torchvision.models.mobilenet_v2()
    net = torch.nn.Sequential(m.features, torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten())
    net.eval()
    for p in net.parameters():
        p.requires_grad_(False)
    return net


PREFIX = prefix()
DATA = {}


def forward(size, batch):
    x = torch.rand(batch, 3, size, size)
    with torch.no_grad():
        t = time.perf_counter()
        PREFIX(x)
        return (time.perf_counter() - t) * 1000


def e2e(mode, n, epochs, size, batch, classes):
    """The seed's transfer loop: frozen backbone + new linear head, Adam, cross-entropy."""
    key = (n, size)
    if key not in DATA:
        DATA[key] = (torch.rand(n, 3, size, size), torch.randint(0, classes, (n,)))
    x, y = DATA[key]
    head = torch.nn.Linear(1280, classes)
    opt = torch.optim.Adam(head.parameters(), lr=1e-3)
    loss_fn = torch.nn.CrossEntropyLoss()
    t = time.perf_counter()
    feats = None
    if mode == 'cached':  # the best a PyTorch user does by hand: features once, then head-only epochs
        with torch.no_grad():
            feats = torch.cat([PREFIX(x[i:i + batch]) for i in range(0, n, batch)])
    for _ in range(epochs):
        order = torch.randperm(n)
        for i in range(0, n, batch):
            idx = order[i:i + batch]
            if feats is None:  # seed style: the frozen backbone recomputed every epoch
                with torch.no_grad():
                    f = PREFIX(x[idx])
            else:
                f = feats[idx]
            opt.zero_grad()
            loss = loss_fn(head(f), y[idx])
            loss.backward()
            opt.step()
    return (time.perf_counter() - t) * 1000


print(json.dumps({"ready": True, "torch": torch.__version__, "threads": torch.get_num_threads()}), flush=True)
for line in sys.stdin:
    cmd = json.loads(line)
    if cmd["op"] == "fwd":
        out = {"ms": forward(cmd["size"], cmd["batch"])}
    elif cmd["op"] == "e2e":
        out = {"ms": e2e(cmd["mode"], cmd["n"], cmd["epochs"], cmd["size"], cmd["batch"], cmd["classes"])}
    else:
        out = {"error": f"unknown op {cmd['op']}"}
    print(json.dumps(out), flush=True)
