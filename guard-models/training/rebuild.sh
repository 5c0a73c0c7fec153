#!/bin/sh
# Rebuilds the three shipped guards (prompt-attack, harmful, toxicity): fine-tunes one encoder per
# language with four heads (finetune.py), exports them to guard-models/finetuned/LANG/, then writes
# each guard's guard.yaml and CARD.md (write_guards.py). See README.md in this folder.
# Usage, from the repository root after `mvn -B -q package -DskipTests` (the jar tokenises):
#   guard-models/training/rebuild.sh [DATASETS_DIR]
# Needs Debian's python3-torch, python3-onnx, python3-numpy, python3-yaml and libopenblas0-openmp.
# Deterministic inputs (seed 42); about 75 minutes on 2 cores (see README.md).
set -eu
D=${1:-../shared/datasets}
PY=/usr/bin/python3
# Whole source repositories never trained on: the models are judged on them (see the cards).
EN_HOLDOUT=Jarviswang94/Multilingual_safety_benchmark@8c55b6a,Giskard-AI/prompt-injections@ce50a54,Princeton-SysML/Jailbreak_LLM@1e49053,intelligence-csd-auth-gr/Ethos-Hate-Speech-Dataset@705258e,microsoft/TOXIGEN@01517e8,InvokerStark/OverKill@9551a7f,allenai/noncompliance@25bf77c,XuanwuAI/SecEval@7aef317
ZH_HOLDOUT=Jarviswang94/Multilingual_safety_benchmark@8c55b6a,DAMO-NLP-SG/multilingual-safety-for-LLMs@577ac51,aggiejiang/SWSR@7b32018,SophonPlus/ChineseNlpCorpus@a0b781d,PlexPt/awesome-chatgpt-prompts-zh@367ed18
THREADS=${THREADS:-2}

$PY guard-models/training/finetune.py --lang zh --datasets "$D" --threads "$THREADS" \
  --holdout-sources "$ZH_HOLDOUT" --out guard-models/finetuned/zh
$PY guard-models/training/finetune.py --lang en --datasets "$D" --threads "$THREADS" \
  --holdout-sources "$EN_HOLDOUT" --out guard-models/finetuned/en
$PY guard-models/training/write_guards.py
