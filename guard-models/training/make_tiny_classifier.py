#!/usr/bin/env python3
"""Writes the tiny `classifier` guard fixture used by the tests (a few KB): guard.yaml, model.onnx,
tokenizer.json and config.json.

python3 here has no `onnx` package and PyPI is unreachable, so the ONNX protobuf is encoded by
hand (standard library only). The model is a bag-of-words classifier with the interface of a
Hugging Face sequence classifier with several labels, like the fine-tuned multi-label guard models:
inputs input_ids / attention_mask [batch, seq] int64, output logits [batch, 3] for id2label
{0: SAFE, 1: INJECTION, 2: TOXIC}; logits = sum over unmasked tokens of a 3-d word embedding +
bias. Attack words add 2 to INJECTION, toxic words 2 to TOXIC, benign words 1 to SAFE; the bias
is (0.5, 0, 0). So "ignore" alone has INJECTION logit exactly 2.0 (tests rely on that).
Like the shipped models, the embedding is stored weight-only int8: an int8 initializer feeding a
per-channel DequantizeLinear (axis 0, scale 1/32, so every value is exact), opset 13.
The guard.yaml reads INJECTION only, with softmax; tests write sigmoid manifests that share the
model. Deterministic: running it again rewrites identical files.

    python3 guard-models/training/make_tiny_classifier.py src/test/resources/guard-fixtures/tiny-classifier
"""
import json
import os
import struct
import sys

ATTACK = ["ignore", "previous", "instructions", "system", "prompt", "reveal", "jailbreak", "dan",
          "忽略", "指令"]
TOXIC = ["idiot", "stupid", "moron", "笨蛋"]
BENIGN = ["weather", "recipe", "cake", "hello", "please", "translate", "today", "how"]
VOCAB = ["[PAD]", "[UNK]"] + ATTACK + BENIGN + ["the", "all", "your", "and", "a", "is", "what"] + TOXIC
LABELS = ["SAFE", "INJECTION", "TOXIC"]

GUARD_YAML = """\
# Test fixture written by guard-models/training/make_tiny_classifier.py (bag-of-words, not a real guard).
name: tiny-classifier
kind: classifier
description: tiny bag-of-words classifier fixture for the classifier guard kind
labels:
  INJECTION: prompt_injection
threshold: 0.5
classifiers:
- lang: any
  model: model.onnx
  tokenizer: tokenizer.json
  config: config.json
  activation: softmax
  max_tokens: 64
window:
  chars: 64
  overlap: 16
  max_chars: 400
"""


def varint(n):
    out = bytearray()
    n &= (1 << 64) - 1
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def field(num, wire, payload):
    key = varint((num << 3) | wire)
    if wire == 0:
        return key + varint(payload)
    if wire == 2:
        data = payload.encode() if isinstance(payload, str) else payload
        return key + varint(len(data)) + data
    raise ValueError(wire)


def tensor(name, dims, data_type, raw):
    return b"".join([field(1, 0, d) for d in dims] + [field(2, 0, data_type), field(8, 2, name), field(9, 2, raw)])


def attr_int(name, value):
    return field(1, 2, name) + field(3, 0, value) + field(20, 0, 2)


def node(op, inputs, outputs, name, attrs=()):
    return b"".join([field(1, 2, i) for i in inputs] + [field(2, 2, o) for o in outputs]
                    + [field(3, 2, name), field(4, 2, op)] + [field(5, 2, a) for a in attrs])


def value_info(name, elem_type, dims):
    shape = b"".join(field(1, 2, field(2, 2, d) if isinstance(d, str) else field(1, 0, d)) for d in dims)
    tensor_type = field(1, 0, elem_type) + field(2, 2, shape)
    return field(1, 2, name) + field(2, 2, field(1, 2, tensor_type))


def main(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    rows = []
    for word in VOCAB:
        if word in ATTACK:
            rows.append((0.0, 2.0, 0.0))
        elif word in TOXIC:
            rows.append((0.0, 0.0, 2.0))
        elif word in BENIGN:
            rows.append((1.0, 0.0, 0.0))
        else:
            rows.append((0.0, 0.0, 0.0))
    scale = 1 / 32
    emb_q = b"".join(struct.pack("<bbb", *(round(v / scale) for v in r)) for r in rows)
    emb_scale = struct.pack("<" + "f" * len(VOCAB), *([scale] * len(VOCAB)))
    emb_zero = bytes(len(VOCAB))
    bias = struct.pack("<fff", 0.5, 0.0, 0.0)
    FLOAT, INT8, INT64 = 1, 3, 7
    graph = b"".join([
        field(1, 2, node("DequantizeLinear", ["embedding_quantized", "embedding_scale", "embedding_zero_point"],
                         ["embedding"], "dequantize", [attr_int("axis", 0)])),
        field(1, 2, node("Gather", ["embedding", "input_ids"], ["emb"], "gather")),
        field(1, 2, node("Cast", ["attention_mask"], ["mask_f"], "cast", [attr_int("to", FLOAT)])),
        field(1, 2, node("Unsqueeze", ["mask_f", "unsqueeze_axes"], ["mask_3d"], "unsqueeze")),
        field(1, 2, node("Mul", ["emb", "mask_3d"], ["masked"], "mul")),
        field(1, 2, node("ReduceSum", ["masked", "sum_axes"], ["summed"], "sum", [attr_int("keepdims", 0)])),
        field(1, 2, node("Add", ["summed", "bias"], ["logits"], "add")),
        field(2, 2, "tiny-bow-classifier"),
        field(5, 2, tensor("embedding_quantized", [len(VOCAB), len(LABELS)], INT8, emb_q)),
        field(5, 2, tensor("embedding_scale", [len(VOCAB)], FLOAT, emb_scale)),
        field(5, 2, tensor("embedding_zero_point", [len(VOCAB)], INT8, emb_zero)),
        field(5, 2, tensor("unsqueeze_axes", [1], INT64, struct.pack("<q", 2))),
        field(5, 2, tensor("sum_axes", [1], INT64, struct.pack("<q", 1))),
        field(5, 2, tensor("bias", [len(LABELS)], FLOAT, bias)),
        field(11, 2, value_info("input_ids", INT64, ["batch", "sequence"])),
        field(11, 2, value_info("attention_mask", INT64, ["batch", "sequence"])),
        field(12, 2, value_info("logits", FLOAT, ["batch", len(LABELS)])),
    ])
    model = field(1, 0, 7) + field(2, 2, "modelguard-fixture") + field(7, 2, graph) \
        + field(8, 2, field(1, 2, "") + field(2, 0, 13))
    with open(os.path.join(out_dir, "model.onnx"), "wb") as f:
        f.write(model)
    special = [{"id": i, "content": t, "single_word": False, "lstrip": False, "rstrip": False,
                "normalized": False, "special": True} for i, t in enumerate(VOCAB[:2])]
    tokenizer = {"version": "1.0", "truncation": None, "padding": None, "added_tokens": special,
                 "normalizer": {"type": "Lowercase"}, "pre_tokenizer": {"type": "Whitespace"},
                 "post_processor": None, "decoder": None,
                 "model": {"type": "WordLevel", "vocab": {w: i for i, w in enumerate(VOCAB)}, "unk_token": "[UNK]"}}
    with open(os.path.join(out_dir, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(tokenizer, f, ensure_ascii=False, indent=1)
    config = {"architectures": ["TinyBowForSequenceClassification"],
              "id2label": {str(i): label for i, label in enumerate(LABELS)},
              "label2id": {label: i for i, label in enumerate(LABELS)}}
    with open(os.path.join(out_dir, "config.json"), "w", encoding="utf-8") as f:
        json.dump(config, f, indent=1)
    with open(os.path.join(out_dir, "guard.yaml"), "w", encoding="utf-8") as f:
        f.write(GUARD_YAML)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "tiny-classifier")
