#!/bin/sh
# Rebuilds the three shipped guards (prompt-attack, harmful, toxicity). Per language it
#  1. validates the recipe: fine-tunes with whole source repositories left out and scores them
#     (finetune.py --holdout-sources; the figures land in guard-models/finetuned/LANG/validation.json),
#  2. trains the shipped model the same way on all sources (guard-models/finetuned/LANG/),
# then writes each guard's guard.yaml and CARD.md (write_guards.py). See README.md in this folder.
# Usage, from the repository root after `mvn -B -q package -DskipTests` (the jar tokenises):
#   guard-models/training/rebuild.sh [DATASETS_DIR]
# VALIDATE=0 skips step 1 (keeps the recorded validation.json). THREADS (default 2) per run.
# Needs Debian's python3-torch python3-onnx python3-numpy python3-yaml libopenblas0-openmp.
# Seeded (42); about 2 h 40 min on 2 cores with validation, 1 h 20 min without (README.md).
set -eu
D=${1:-../shared/datasets}
PY=/usr/bin/python3
THREADS=${THREADS:-2}
WORK=target/finetune
# Whole source repositories the validation runs never train on (see the cards).
HOLDOUT_en=Jarviswang94/Multilingual_safety_benchmark@8c55b6a,Giskard-AI/prompt-injections@ce50a54,Princeton-SysML/Jailbreak_LLM@1e49053,intelligence-csd-auth-gr/Ethos-Hate-Speech-Dataset@705258e,microsoft/TOXIGEN@01517e8,InvokerStark/OverKill@9551a7f,allenai/noncompliance@25bf77c,XuanwuAI/SecEval@7aef317
HOLDOUT_zh=Jarviswang94/Multilingual_safety_benchmark@8c55b6a,DAMO-NLP-SG/multilingual-safety-for-LLMs@577ac51,aggiejiang/SWSR@7b32018,SophonPlus/ChineseNlpCorpus@a0b781d,PlexPt/awesome-chatgpt-prompts-zh@367ed18

# Scores a model's calibration/test/held-out rows in ONNX Runtime exactly as the gateway does and
# sets its threshold logits (config.json) and runtime-metrics.json.
calibrate() {
  java -Dai.djl.offline=true -cp target/modelguard.jar dev.modelguard.guard.model.ClassifierCalibrator "$1" "$D,guard-models/data"
}

for lang in zh en; do
  if [ "${VALIDATE:-1}" != 0 ]; then
    eval holdout=\$HOLDOUT_$lang
    $PY guard-models/training/finetune.py --lang $lang --datasets "$D" --threads "$THREADS" --work $WORK \
      --holdout-sources "$holdout" --out $WORK/validation-$lang
    calibrate $WORK/validation-$lang
    mkdir -p guard-models/finetuned/$lang
    cp $WORK/validation-$lang/runtime-metrics.json guard-models/finetuned/$lang/validation.json
  fi
  $PY guard-models/training/finetune.py --lang $lang --datasets "$D" --threads "$THREADS" --work $WORK \
    --out guard-models/finetuned/$lang
  calibrate guard-models/finetuned/$lang
done
$PY guard-models/training/write_guards.py
