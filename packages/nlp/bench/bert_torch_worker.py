#!/usr/bin/python3
"""PyTorch side of bench/bert.ts: a persistent worker, so the two sides can be interleaved in one run.

Reads one JSON line with the setup ({"config", "input_ids", "attention_mask", "labels", "train_top"}), builds
the same BERT-shaped model with the plain-torch reference modules of scripts/make-bert-fixtures.py, answers
{"ready": ..., "threads": n, "torch": version}, then for each line {"op": "forward" | "step" | "cached_step"}
runs it once and answers {"ms": wall time, "cpu_ms": CPU time of the process}. Semantics match bench/bert.ts:
  forward      pooled output of the whole model, no grad
  step         embeddings + frozen layers under no_grad, then the top layers + pooler + linear head with grad,
               cross-entropy, backward, one Adam step
  cached_step  the same step starting from the frozen prefix's output (what frostline's activation cache does)
"""
import importlib.util
import json
import os
import sys
import time

import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("fixtures", os.path.join(HERE, "..", "scripts", "make-bert-fixtures.py"))
ref = importlib.util.module_from_spec(spec)
spec.loader.exec_module(ref)


def main():
    setup = json.loads(sys.stdin.readline())
    c = setup["config"]
    if setup.get("threads"):
        torch.set_num_threads(setup["threads"])
    torch.manual_seed(0)
    model = ref.BertLike(c, "bert").eval()
    head = nn.Linear(c["hidden_size"], 2)
    top = setup["train_top"]
    frozen = model.encoder.layer[: c["num_hidden_layers"] - top]
    trained = model.encoder.layer[c["num_hidden_layers"] - top:]
    for p in model.parameters():
        p.requires_grad_(False)
    params = [*trained.parameters(), *model.pooler.parameters(), *head.parameters()]
    for p in params:
        p.requires_grad_(True)
    opt = torch.optim.Adam(params, lr=1e-4)
    ids = torch.tensor(setup["input_ids"])
    mask = torch.tensor(setup["attention_mask"])
    labels = torch.tensor(setup["labels"])
    additive = (1.0 - mask[:, None, None, :].float()) * torch.finfo(torch.float32).min

    def prefix():
        with torch.no_grad():
            x = model.embeddings(ids, torch.zeros_like(ids), None)
            for layer in frozen:
                x = layer(x, additive)
        return x

    cached = prefix()

    def step(x):
        for layer in trained:
            x = layer(x, additive)
        loss = nn.functional.cross_entropy(head(model.pooler(x)), labels)
        opt.zero_grad()
        loss.backward()
        opt.step()

    def forward():
        with torch.no_grad():
            model(ids, mask)

    ops = {"forward": forward, "step": lambda: step(prefix()), "cached_step": lambda: step(cached)}
    print(json.dumps({"ready": True, "threads": torch.get_num_threads(), "torch": torch.__version__}), flush=True)
    for line in sys.stdin:
        op = json.loads(line)["op"]
        t0, c0 = time.perf_counter(), time.process_time()
        ops[op]()
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        print(json.dumps({"ms": wall * 1000, "cpu_ms": cpu * 1000}), flush=True)


if __name__ == "__main__":
    main()
