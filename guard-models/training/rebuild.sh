#!/bin/sh
# Rebuilds the three shipped guards from ../shared/datasets (and guard-models/data for
# prompt-attack; see README.md for why harmful and toxicity do not use it yet), then runs
# leave-one-source-out validation of each recipe (writes loso.json and the card's LOSO section).
# Usage, from the repository root after `mvn -o package -DskipTests`:
#   guard-models/training/rebuild.sh [DATASETS_DIR]
# Set LOSO=0 to skip the validation, CACHE=DIR to keep embeddings elsewhere. Deterministic: seed 42.
set -eu
D=${1:-../shared/datasets}
A=guard-models/data
JAR=target/modelguard.jar
T="java -jar $JAR train --licences guard-models/training/licences.tsv --seed 42 ${CACHE:+--cache $CACHE}"

prompt_attack() {
  $T --max-per-label 3000 --direction prompt "$@" \
    --data $D/injection.jsonl $D/jailbreak.jsonl $D/benign.jsonl $D/harmful.jsonl \
    --data $A/authored-injection.jsonl $A/authored-jailbreak.jsonl $A/authored-benign.jsonl $A/authored-harmful.jsonl \
    --positive injection,jailbreak --category injection=prompt_injection,jailbreak=jailbreak --out guard-models/prompt-attack
}
harmful() {
  $T --max-per-label 3000 "$@" \
    --data $D/harmful.jsonl $D/benign.jsonl \
    --positive harmful --category harmful --out guard-models/harmful
}
toxicity() {
  $T --max-per-label 3000 --direction prompt "$@" \
    --data $D/toxic.jsonl $D/benign.jsonl \
    --positive toxic --category toxicity --out guard-models/toxicity
}

for g in prompt_attack harmful toxicity; do
  $g
  if [ "${LOSO:-1}" != 0 ]; then
    $g --loso --threads 2
  fi
done
