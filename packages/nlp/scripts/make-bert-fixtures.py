#!/usr/bin/python3
"""Tiny BERT-family fixtures for @frostline/nlp's TF.js BERT tests (run with Debian's /usr/bin/python3).

Plain-torch reference modules with the exact Hugging Face state_dict key layout and math of `BertModel`,
`ErnieModel` (task-type embeddings), `RobertaModel` (position ids offset by padding_idx + 1) and
`DistilBertModel` (its own key names, no pooler). `transformers` is not needed. For each architecture the
script writes, under packages/nlp/test/fixtures/hf/<arch>/:
  config.json, model.safetensors, pytorch_model.bin (torch.save zip), tokenizer.json, tokenizer_config.json,
  reference.json (input ids / masks of fixed sentences padded into one batch, last_hidden_state, pooler).

  /usr/bin/python3 packages/nlp/scripts/make-bert-fixtures.py [outDir]
"""
import json
import math
import os
import shutil
import struct
import sys

import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "test", "fixtures")
TOKENIZER_DIR = os.path.join(FIXTURES, "tiny-bert")
SENTENCES = [
    "This movie was great!",
    "Terrible service, cold food.",
    "I would never buy this phone again because the battery died after two days.",
    "ok",
]
HIDDEN, LAYERS, HEADS, INTERMEDIATE, MAX_POS = 32, 2, 2, 64, 64


def gelu(x):
    # the erf form (`hidden_act: "gelu"`)
    return 0.5 * x * (1.0 + torch.erf(x / math.sqrt(2.0)))


class SelfAttention(nn.Module):
    def __init__(self, h, heads, names=("query", "key", "value")):
        super().__init__()
        self.heads, self.names = heads, names
        for n in names:
            setattr(self, n, nn.Linear(h, h))

    def forward(self, x, additive_mask):
        b, t, h = x.shape
        d = h // self.heads

        def split(lin):
            return getattr(self, lin)(x).view(b, t, self.heads, d).transpose(1, 2)

        q, k, v = (split(n) for n in self.names)
        scores = q @ k.transpose(-1, -2) / math.sqrt(d) + additive_mask
        ctx = torch.softmax(scores, dim=-1) @ v
        return ctx.transpose(1, 2).reshape(b, t, h)


class DenseNorm(nn.Module):
    """BERT's `*.output`: dense → dropout (none) → LayerNorm(x + residual)."""

    def __init__(self, d_in, h, eps):
        super().__init__()
        self.dense = nn.Linear(d_in, h)
        self.LayerNorm = nn.LayerNorm(h, eps=eps)

    def forward(self, x, residual):
        return self.LayerNorm(self.dense(x) + residual)


class Attention(nn.Module):
    def __init__(self, h, heads, eps):
        super().__init__()
        self.self = SelfAttention(h, heads)
        self.output = DenseNorm(h, h, eps)

    def forward(self, x, m):
        return self.output(self.self(x, m), x)


class Intermediate(nn.Module):
    def __init__(self, h, i):
        super().__init__()
        self.dense = nn.Linear(h, i)

    def forward(self, x):
        return gelu(self.dense(x))


class Layer(nn.Module):
    def __init__(self, h, heads, i, eps):
        super().__init__()
        self.attention = Attention(h, heads, eps)
        self.intermediate = Intermediate(h, i)
        self.output = DenseNorm(i, h, eps)

    def forward(self, x, m):
        a = self.attention(x, m)
        return self.output(self.intermediate(a), a)


class Encoder(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.layer = nn.ModuleList(
            [Layer(c["hidden_size"], c["num_attention_heads"], c["intermediate_size"], c["layer_norm_eps"])
             for _ in range(c["num_hidden_layers"])]
        )

    def forward(self, x, m):
        for l in self.layer:
            x = l(x, m)
        return x


class Pooler(nn.Module):
    def __init__(self, h):
        super().__init__()
        self.dense = nn.Linear(h, h)

    def forward(self, x):
        return torch.tanh(self.dense(x[:, 0]))


class Embeddings(nn.Module):
    def __init__(self, c, kind):
        super().__init__()
        h = c["hidden_size"]
        self.kind, self.pad = kind, c["pad_token_id"]
        self.word_embeddings = nn.Embedding(c["vocab_size"], h)
        self.position_embeddings = nn.Embedding(c["max_position_embeddings"], h)
        self.token_type_embeddings = nn.Embedding(c["type_vocab_size"], h)
        if kind == "ernie" and c.get("use_task_id"):
            self.task_type_embeddings = nn.Embedding(c["task_type_vocab_size"], h)
        self.LayerNorm = nn.LayerNorm(h, eps=c["layer_norm_eps"])

    def forward(self, ids, token_types, task_types):
        t = ids.shape[1]
        if self.kind == "roberta":
            keep = (ids != self.pad).long()
            positions = torch.cumsum(keep, dim=1) * keep + self.pad
        else:
            positions = torch.arange(t).unsqueeze(0)
        x = self.word_embeddings(ids) + self.position_embeddings(positions) + self.token_type_embeddings(token_types)
        if hasattr(self, "task_type_embeddings"):
            x = x + self.task_type_embeddings(task_types)
        return self.LayerNorm(x)


class BertLike(nn.Module):
    """BertModel / ErnieModel / RobertaModel: embeddings → post-LN encoder → tanh pooler on [CLS]."""

    def __init__(self, c, kind):
        super().__init__()
        self.embeddings = Embeddings(c, kind)
        self.encoder = Encoder(c)
        self.pooler = Pooler(c["hidden_size"])

    def forward(self, ids, mask, token_types=None, task_types=None):
        zeros = torch.zeros_like(ids)
        x = self.embeddings(ids, zeros if token_types is None else token_types, zeros if task_types is None else task_types)
        additive = (1.0 - mask[:, None, None, :].float()) * torch.finfo(torch.float32).min
        h = self.encoder(x, additive)
        return h, self.pooler(h)


class DistilLayer(nn.Module):
    def __init__(self, c):
        super().__init__()
        d = c["dim"]
        self.attention = SelfAttention(d, c["n_heads"], ("q_lin", "k_lin", "v_lin"))
        self.attention.out_lin = nn.Linear(d, d)
        self.sa_layer_norm = nn.LayerNorm(d, eps=1e-12)
        self.ffn = nn.Module()
        self.ffn.lin1 = nn.Linear(d, c["hidden_dim"])
        self.ffn.lin2 = nn.Linear(c["hidden_dim"], d)
        self.output_layer_norm = nn.LayerNorm(d, eps=1e-12)

    def forward(self, x, m):
        a = self.sa_layer_norm(self.attention.out_lin(self.attention(x, m)) + x)
        return self.output_layer_norm(self.ffn.lin2(gelu(self.ffn.lin1(a))) + a)


class DistilBert(nn.Module):
    def __init__(self, c):
        super().__init__()
        d = c["dim"]
        self.embeddings = nn.Module()
        self.embeddings.word_embeddings = nn.Embedding(c["vocab_size"], d)
        self.embeddings.position_embeddings = nn.Embedding(c["max_position_embeddings"], d)
        self.embeddings.LayerNorm = nn.LayerNorm(d, eps=1e-12)
        self.transformer = nn.Module()
        self.transformer.layer = nn.ModuleList([DistilLayer(c) for _ in range(c["n_layers"])])

    def forward(self, ids, mask, token_types=None, task_types=None):
        e = self.embeddings
        pos = torch.arange(ids.shape[1]).unsqueeze(0)
        x = e.LayerNorm(e.word_embeddings(ids) + e.position_embeddings(pos))
        additive = (1.0 - mask[:, None, None, :].float()) * torch.finfo(torch.float32).min
        for l in self.transformer.layer:
            x = l(x, additive)
        return x, None


def configs(vocab_size):
    common = dict(vocab_size=vocab_size, max_position_embeddings=MAX_POS, hidden_dropout_prob=0.0,
                  attention_probs_dropout_prob=0.0, initializer_range=0.02, transformers_version="4.40.0")
    bert = dict(common, hidden_size=HIDDEN, num_hidden_layers=LAYERS, num_attention_heads=HEADS,
                intermediate_size=INTERMEDIATE, hidden_act="gelu", layer_norm_eps=1e-12, type_vocab_size=2,
                pad_token_id=0, position_embedding_type="absolute")
    return {
        "bert": dict(bert, architectures=["BertModel"], model_type="bert"),
        "ernie": dict(bert, architectures=["ErnieModel"], model_type="ernie", layer_norm_eps=1e-5,
                      type_vocab_size=4, use_task_id=True, task_type_vocab_size=3),
        # RoBERTa's padding id is the tokenizer's [PAD] (0) here, so positions start at padding_idx + 1 = 1.
        "roberta": dict(bert, architectures=["RobertaModel"], model_type="roberta", layer_norm_eps=1e-5,
                        type_vocab_size=1, max_position_embeddings=MAX_POS + 2),
        "distilbert": dict(common, architectures=["DistilBertModel"], model_type="distilbert", dim=HIDDEN,
                           n_layers=LAYERS, n_heads=HEADS, hidden_dim=INTERMEDIATE, activation="gelu",
                           sinusoidal_pos_embds=False, pad_token_id=0, dropout=0.0, attention_dropout=0.0),
    }


def randomize(model, seed):
    # Larger-than-HF init so attention is far from uniform and every weight matters in the outputs.
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "LayerNorm" in name or "layer_norm" in name:
                base = 1.0 if name.endswith("weight") else 0.0
                p.copy_(base + 0.05 * torch.randn(p.shape, generator=g))
            elif name.endswith("bias"):
                p.copy_(0.02 * torch.randn(p.shape, generator=g))
            else:
                std = 0.5 if "embeddings" in name else 0.2
                p.copy_(std * torch.randn(p.shape, generator=g))


def wordpiece(text, vocab):
    """BertTokenizer for plain ASCII text: lowercase, split punctuation, greedy longest-match WordPiece."""
    import re

    ids = [vocab["[CLS]"]]
    for w in re.findall(r"[a-z0-9]+|[^\sa-z0-9]", text.lower()):
        pieces, start = [], 0
        while start < len(w):
            end, found = len(w), None
            while end > start:
                piece = ("##" if start else "") + w[start:end]
                if piece in vocab:
                    found = vocab[piece]
                    break
                end -= 1
            if found is None:
                pieces = [vocab["[UNK]"]]
                break
            pieces.append(found)
            start = end
        ids.extend(pieces)
    return ids + [vocab["[SEP]"]]


def write_safetensors(path, state):
    header, blobs, offset = {"__metadata__": {"format": "pt"}}, [], 0
    for k, t in state.items():
        t = t.contiguous()
        dtype = {torch.float32: "F32", torch.int64: "I64"}[t.dtype]
        raw = t.numpy().tobytes()
        header[k] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def batch(vocab, pad):
    rows = [wordpiece(s, vocab) for s in SENTENCES]
    t = max(len(r) for r in rows)
    ids = torch.tensor([r + [pad] * (t - len(r)) for r in rows])
    mask = torch.tensor([[1] * len(r) + [0] * (t - len(r)) for r in rows])
    return ids, mask


def main(out):
    with open(os.path.join(TOKENIZER_DIR, "tokenizer.json")) as f:
        vocab = json.load(f)["model"]["vocab"]
    torch.set_grad_enabled(False)
    for i, (kind, c) in enumerate(configs(len(vocab)).items()):
        d = os.path.join(out, kind)
        os.makedirs(d, exist_ok=True)
        model = DistilBert(c) if kind == "distilbert" else BertLike(c, kind)
        randomize(model, 20251130 + i)
        model.eval()
        ids, mask = batch(vocab, c["pad_token_id"])
        token_types = torch.zeros_like(ids)
        task_types = torch.zeros_like(ids)
        if kind == "ernie":
            # ERNIE: the second half of each row is segment 1 and task 2, to exercise both tables.
            token_types[:, ids.shape[1] // 2:] = 1
            task_types[:, ids.shape[1] // 2:] = 2
        hidden, pooled = model(ids, mask, token_types, task_types)
        state = model.state_dict()
        write_safetensors(os.path.join(d, "model.safetensors"), state)
        # HF checkpoints written before transformers 4.31 carry the position_ids buffer: keep one in the .bin
        bin_state = dict(state)
        if kind in ("bert", "ernie"):
            bin_state["embeddings.position_ids"] = torch.arange(c["max_position_embeddings"]).unsqueeze(0)
        torch.save(bin_state, os.path.join(d, "pytorch_model.bin"))
        with open(os.path.join(d, "config.json"), "w") as f:
            json.dump(c, f, indent=2)
        for name in ("tokenizer.json", "tokenizer_config.json"):
            shutil.copyfile(os.path.join(TOKENIZER_DIR, name), os.path.join(d, name))
        ref = {
            "sentences": SENTENCES,
            "input_ids": ids.tolist(),
            "attention_mask": mask.tolist(),
            "token_type_ids": token_types.tolist(),
            "last_hidden_state": [round(v, 7) for v in hidden.flatten().tolist()],
            "hidden_shape": list(hidden.shape),
            "pooler_output": None if pooled is None else [round(v, 7) for v in pooled.flatten().tolist()],
            "torch": torch.__version__,
        }
        if kind == "ernie":
            ref["task_type_ids"] = task_types.tolist()
        with open(os.path.join(d, "reference.json"), "w") as f:
            json.dump(ref, f)
        print(kind, sum(p.numel() for p in model.parameters()), "params ->", d)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.join(FIXTURES, "hf"))
