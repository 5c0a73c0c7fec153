#!/usr/bin/env python3
"""Writes the tiny `classifier` guard fixture used by the tests (a few KB).

python3 here has no `onnx` package and PyPI is unreachable, so the ONNX protobuf is encoded by
hand (standard library only). The model is a bag-of-words classifier with the interface of a
Hugging Face sequence classifier: inputs input_ids / attention_mask [batch, seq] int64, output
logits [batch, 2]; logits = sum over unmasked tokens of a 2-d word embedding + bias.
Deterministic: running it again rewrites identical files.

    python3 guard-models/training/make_tiny_classifier.py src/test/resources/guard-fixtures/tiny-classifier
"""
import json
import os
import struct
import sys

ATTACK = ["ignore", "previous", "instructions", "system", "prompt", "reveal", "jailbreak", "dan",
          "忽略", "指令"]
BENIGN = ["weather", "recipe", "cake", "hello", "please", "translate", "today", "how"]
VOCAB = ["[PAD]", "[UNK]"] + ATTACK + BENIGN + ["the", "all", "your", "and", "a", "is", "what"]


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


def attr_ints(name, values):
    return field(1, 2, name) + b"".join(field(8, 0, v) for v in values) + field(20, 0, 7)


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
            rows.append((0.0, 2.0))
        elif word in BENIGN:
            rows.append((1.0, 0.0))
        else:
            rows.append((0.0, 0.0))
    emb = b"".join(struct.pack("<ff", *r) for r in rows)
    bias = struct.pack("<ff", 0.5, 0.0)
    FLOAT, INT64 = 1, 7
    graph = b"".join([
        field(1, 2, node("Gather", ["embedding", "input_ids"], ["emb"], "gather")),
        field(1, 2, node("Cast", ["attention_mask"], ["mask_f"], "cast", [attr_int("to", FLOAT)])),
        field(1, 2, node("Unsqueeze", ["mask_f"], ["mask_3d"], "unsqueeze", [attr_ints("axes", [2])])),
        field(1, 2, node("Mul", ["emb", "mask_3d"], ["masked"], "mul")),
        field(1, 2, node("ReduceSum", ["masked"], ["summed"], "sum", [attr_ints("axes", [1]), attr_int("keepdims", 0)])),
        field(1, 2, node("Add", ["summed", "bias"], ["logits"], "add")),
        field(2, 2, "tiny-bow-classifier"),
        field(5, 2, tensor("embedding", [len(VOCAB), 2], FLOAT, emb)),
        field(5, 2, tensor("bias", [2], FLOAT, bias)),
        field(11, 2, value_info("input_ids", INT64, ["batch", "sequence"])),
        field(11, 2, value_info("attention_mask", INT64, ["batch", "sequence"])),
        field(12, 2, value_info("logits", FLOAT, ["batch", 2])),
    ])
    model = field(1, 0, 7) + field(2, 2, "modelguard-fixture") + field(7, 2, graph) \
        + field(8, 2, field(1, 2, "") + field(2, 0, 11))
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
    config = {"architectures": ["TinyBowForSequenceClassification"], "id2label": {"0": "SAFE", "1": "INJECTION"},
              "label2id": {"SAFE": 0, "INJECTION": 1}}
    with open(os.path.join(out_dir, "config.json"), "w", encoding="utf-8") as f:
        json.dump(config, f, indent=1)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "tiny-classifier")
