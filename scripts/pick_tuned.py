#!/usr/bin/python3
"""Picks the tuned BOREx setting from the validation runs of scripts/reproduce_tables.sh.

Reads OUT/val-NAME/summary.json (written by `borex report --json`) for every NAME of the configs
file and scores each setting by the mean over borex:rise and borex:gradcam++ of
insertion + f_measure - deletion (each metric in [0, 1]; higher is better).

  pick_tuned.py OUT CONFIGS            prints the flags of the best setting found so far
  pick_tuned.py OUT CONFIGS --combine  prints the flags of every setting that beat "default",
                                       merged (a later flag wins when two set the same option)
Writes a line per setting with its score to stderr. Standard library only.
"""
import json
import os
import sys

METHODS = ("borex:rise", "borex:gradcam++")


def read_configs(path):
    configs = []
    for line in open(path):
        line = line.strip()
        if line and not line.startswith("#"):
            name, _, flags = line.partition("|")
            configs.append((name, flags.split()))
    return configs


def score(out, name):
    path = os.path.join(out, "val-" + name, "summary.json")
    if not os.path.exists(path):
        return None
    methods = json.load(open(path))["methods"]
    values = [methods[m]["insertion"] + methods[m]["f_measure"] - methods[m]["deletion"]
              for m in METHODS]
    return sum(values) / len(values)


def merge(flag_lists):
    merged = {}
    for flags in flag_lists:
        for option, value in zip(flags[::2], flags[1::2]):
            merged[option] = value
    return [item for pair in merged.items() for item in pair]


def main():
    out, configs_path = sys.argv[1], sys.argv[2]
    configs = read_configs(configs_path)
    if os.path.exists(os.path.join(out, "val-combined", "summary.json")):
        configs.append(("combined", open(os.path.join(out, "combined_flags.txt")).read().split()))
    scores = {name: score(out, name) for name, _ in configs}
    for name, flags in configs:
        print(f"tuning: {name:16s} {' '.join(flags):40s} score {scores[name]}", file=sys.stderr)
    if "--combine" in sys.argv:
        base = scores.get("default")
        better = [flags for name, flags in configs
                  if name not in ("default", "combined") and scores[name] is not None
                  and base is not None and scores[name] > base]
        print(" ".join(merge(better)))
        return
    best = max((name for name, _ in configs if scores[name] is not None), key=scores.get)
    print(" ".join(dict(configs)[best]))


if __name__ == "__main__":
    main()
