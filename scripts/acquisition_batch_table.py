#!/usr/bin/env python3
"""Refinement quality and time against a setting that should change only speed: a markdown table.

Each argument is NAME=DIR, a `borex batch` directory; the first is the reference. For every
method that calls the model (each refinement borex:X, mokuwe), in all of them, per setting: the mean insertion, deletion and F-measure,
the mean `seconds` (the CSV's time per image for that method), and the two-sided Wilcoxon
signed-rank p-value of the paired per-image differences against the reference (normal
approximation with the tie correction, zero differences dropped; scripts/refine_quality.py).

  /usr/bin/python3 scripts/acquisition_batch_table.py q1=out/acquisition_batch/q1 q4=out/...
"""
import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from refine_quality import read, wilcoxon_greater  # noqa: E402

METRICS = ["insertion", "deletion", "f_measure"]


def two_sided(d):
    return min(1.0, 2 * min(wilcoxon_greater(d), wilcoxon_greater(-np.asarray(d))))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("settings", nargs="+", help="NAME=DIR, the reference first")
    args = parser.parse_args()
    settings = [s.split("=", 1) for s in args.settings]
    # The methods that query the model (refinements, Algorithm 1): a white-box map makes none.
    methods = sorted(
        f[:-4] for f in os.listdir(settings[0][1]) if f.endswith(".csv")
        and any(int(row["model_calls"]) > 0
                for row in read(os.path.join(settings[0][1], f)).values()))
    header = "| method | setting | n | insertion (p) | deletion (p) | F-measure (p) | s/image |"
    print(header)
    print("|" + "---|" * (header.count("|") - 1))
    for method in methods:
        reference = read(os.path.join(settings[0][1], method + ".csv"))
        for name, directory in settings:
            rows = read(os.path.join(directory, method + ".csv"))
            ids = sorted(set(rows) & set(reference))
            cells = []
            for metric in METRICS:
                values = np.array([float(rows[i][metric] or "nan") for i in ids])
                base = np.array([float(reference[i][metric] or "nan") for i in ids])
                keep = ~(np.isnan(values) | np.isnan(base))
                p = two_sided(values[keep] - base[keep]) if directory != settings[0][1] else None
                cells.append(f"{values[keep].mean():.4f}" + (f" ({p:.2g})" if p is not None else ""))
            seconds = np.mean([float(rows[i]["seconds"]) for i in ids])
            print(f"| {method} | {name} | {len(ids)} | " + " | ".join(cells) + f" | {seconds:.3f} |")


if __name__ == "__main__":
    main()
