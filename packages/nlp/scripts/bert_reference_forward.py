#!/usr/bin/python3
"""Reference forward of a Hugging Face BERT-family folder in PyTorch, for scripts/check-full-size.ts.

Reads one JSON object on stdin: {"dir", "weights", "kind", "input_ids", "attention_mask", "token_type_ids"}.
Runs the plain-torch reference modules of make-bert-fixtures.py on the folder's weights and, when the
`transformers` package is importable, transformers' own AutoModel as well. Prints one JSON object with
`last_hidden_state` / `pooler_output` (flattened) per implementation.
"""
import importlib.util
import json
import os
import struct
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("fixtures", os.path.join(HERE, "make-bert-fixtures.py"))
ref = importlib.util.module_from_spec(spec)
spec.loader.exec_module(ref)
DTYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16, "I64": torch.int64}


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for k, v in header.items():
        if k == "__metadata__":
            continue
        a, b = v["data_offsets"]
        out[k] = torch.frombuffer(bytearray(data[a:b]), dtype=DTYPES[v["dtype"]]).reshape(v["shape"]).float() \
            if v["dtype"] != "I64" else torch.frombuffer(bytearray(data[a:b]), dtype=torch.int64).reshape(v["shape"])
    return out


def base_state(state, kind):
    probe = "embeddings.word_embeddings.weight"
    prefix = "" if probe in state else f"{kind}."
    return {k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix)}


def main():
    req = json.loads(sys.stdin.read())
    with open(os.path.join(req["dir"], "config.json")) as f:
        config = json.load(f)
    kind = config["model_type"]
    path = req["weights"]
    state = read_safetensors(path) if path.endswith(".safetensors") else torch.load(path, map_location="cpu")
    torch.set_grad_enabled(False)
    if kind == "distilbert":
        model = ref.DistilBert(config)
    else:
        config.setdefault("layer_norm_eps", 1e-12)
        config.setdefault("type_vocab_size", 2)
        config.setdefault("pad_token_id", 1 if kind == "roberta" else 0)
        model = ref.BertLike(config, kind)
    missing, unexpected = model.load_state_dict(base_state(state, kind), strict=False)
    model.eval()
    ids = torch.tensor(req["input_ids"])
    mask = torch.tensor(req["attention_mask"])
    types = torch.tensor(req["token_type_ids"]) if req.get("token_type_ids") else None
    hidden, pooled = model(ids, mask, types)
    out = {
        "reference": {
            "last_hidden_state": hidden.flatten().tolist(),
            "pooler_output": None if pooled is None else pooled.flatten().tolist(),
            "missing": missing,
            "unexpected": [k for k in unexpected if not k.endswith("position_ids")],
        },
        "torch": torch.__version__,
    }
    try:
        from transformers import AutoModel  # optional: the real thing, when installed

        hf = AutoModel.from_pretrained(req["dir"], local_files_only=True).eval()
        kwargs = {"input_ids": ids, "attention_mask": mask}
        if types is not None:
            kwargs["token_type_ids"] = types
        o = hf(**kwargs)
        out["transformers"] = {
            "last_hidden_state": o.last_hidden_state.flatten().tolist(),
            "pooler_output": o.pooler_output.flatten().tolist() if getattr(o, "pooler_output", None) is not None else None,
        }
    except Exception as e:  # noqa: BLE001 - report why, never fail the reference run
        out["transformers_error"] = f"{type(e).__name__}: {e}"
    print(json.dumps(out))


if __name__ == "__main__":
    main()
