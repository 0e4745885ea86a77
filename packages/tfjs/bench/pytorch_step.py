#!/usr/bin/python3
"""The bench net of bench/model.ts in PyTorch (CPU), timed the way bench/run.ts times TF.js.

Prints one JSON object: {"torch": version, "threads": n, "batch": b, "results": {mode: ms_per_step}}.
Modes (same semantics as run.ts):
  last2   last two depthwise-separable blocks + head trainable, one Adam step (fwd + bwd + update)
  frozen  backbone frozen (no_grad, BN in eval mode) + head trainable, one Adam step
Run with Debian's python3 (python3-torch); run.ts calls it if importable.
"""
import argparse
import json
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

BLOCKS = [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2), (512, 1)]


class SamePad(nn.Module):
    """TF/Keras 'same' padding for a 3x3 conv: asymmetric (more at bottom/right) when strided."""

    def __init__(self, stride):
        super().__init__()
        self.stride = stride

    def forward(self, x):
        if self.stride == 1:
            return F.pad(x, (1, 1, 1, 1))
        h = x.shape[-1]
        total = max(3 - (h % self.stride if h % self.stride else self.stride), 0)
        return F.pad(x, (total // 2, total - total // 2, total // 2, total - total // 2))


def bn(c):
    # Keras defaults: momentum 0.99 (torch 0.01), epsilon 1e-3
    return nn.BatchNorm2d(c, eps=1e-3, momentum=0.01)


def bench_net():
    layers = [SamePad(2), nn.Conv2d(3, 32, 3, 2, 0, bias=False), bn(32), nn.ReLU6()]
    stem = nn.Sequential(*layers)
    blocks = []
    cin = 32
    for f, s in BLOCKS:
        blocks.append(nn.Sequential(
            SamePad(s), nn.Conv2d(cin, cin, 3, s, 0, groups=cin, bias=False), bn(cin), nn.ReLU6(),
            nn.Conv2d(cin, f, 1, bias=False), bn(f), nn.ReLU6()))
        cin = f
    head = nn.Sequential(nn.Linear(cin, 128), nn.ReLU(), nn.Linear(128, 10))
    return stem, nn.ModuleList(blocks), head


def make_step(mode, batch):
    torch.manual_seed(0)
    stem, blocks, head = bench_net()
    n_train_blocks = 2 if mode == "last2" else 0
    frozen = [stem] + list(blocks[: len(blocks) - n_train_blocks])
    trainable = list(blocks[len(blocks) - n_train_blocks:]) + [head]
    for m in frozen:
        m.eval()  # frozen BN uses its moving statistics (what frostline does in TF.js)
        for p in m.parameters():
            p.requires_grad_(False)
    for m in trainable:
        m.train()
    params = [p for m in trainable for p in m.parameters()]
    opt = torch.optim.Adam(params, lr=1e-3)
    x = torch.rand(batch, 3, 96, 96, generator=torch.Generator().manual_seed(42))
    y = torch.randint(0, 10, (batch,), generator=torch.Generator().manual_seed(43))

    def step():
        with torch.no_grad():
            h = stem(x)
            for b in frozen[1:]:
                h = b(h)
        for b in trainable[:-1]:
            h = b(h)
        logits = head(h.mean(dim=(2, 3)))
        loss = F.cross_entropy(logits, y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return float(loss)

    return step


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--modes", default="last2,frozen")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    out = {"torch": torch.__version__, "threads": a.threads, "batch": a.batch, "results": {}}
    for mode in a.modes.split(","):
        step = make_step(mode, a.batch)
        step()  # warm-up
        times = []
        for _ in range(a.steps):
            t0 = time.perf_counter()
            step()
            times.append((time.perf_counter() - t0) * 1000)
        out["results"][mode] = statistics.median(times)
    json.dump(out, sys.stdout)
    print()


if __name__ == "__main__":
    main()
