#!/usr/bin/env python3
"""Does BOREx(X) improve X? Paired comparisons of `borex batch` results, per prior X.

For every X with both X.csv and borex:X.csv (or a pair named with --pair A=B) in each batch
directory: the mean of each metric (insertion, deletion, F-measure, pointing game) for both, and
one-sided Wilcoxon signed-rank p-values (normal approximation with the tie correction, zero
differences dropped: scipy.stats.wilcoxon's default for n > 50) for "better" and for "worse", on
all images and on the single-item and multi-item scenes (counted from the VOC annotations).

  /usr/bin/python3 scripts/refine_quality.py --data data/scenes out/tune/kriging [more dirs]
  ... --pair 'borex:rise=borex-paper:rise' (compare two methods of the same directory)
  ... --summary   one row per directory: the selection rule of docs/algorithm.md
  ... --summary --holm   also the cells worse after Holm's adjustment within each directory
  ... --summary --objective-test   also whether the objective is lower, image by image

--summary: per directory, the mean over the refined methods (the --pair pairs when given) of
(insertion + F-measure − deletion),
the number of (prior, subset, metric) cells where the refined map is worse at one-sided p < 0.05,
and the smallest such p. The defaults are chosen among the directories with no worse cell, by the
highest objective. With --objective-test, the one-sided Wilcoxon p for "the refined maps' objective is
lower than their bases'", each image's objective being the mean over the pairs of (insertion +
F-measure − deletion) on the images every pair shares (with --pair A=previous-A: lower than the
defaults').
"""
import argparse
import csv
import math
import os
import re

import numpy as np

METRICS = [("insertion", 1), ("deletion", -1), ("f_measure", 1), ("pointing_hit", 1)]


def read(path):
    with open(path) as f:
        return {row["image_id"]: row for row in csv.DictReader(f)}


def item_count(data, image_id):
    with open(os.path.join(data, "Annotations", image_id + ".xml")) as f:
        return len(re.findall(r"<object>", f.read()))


def wilcoxon_greater(d):
    """One-sided p for median(d) > 0 (normal approximation, zeros dropped, tie correction)."""
    d = np.asarray(d, dtype=float)
    d = d[d != 0]
    n = len(d)
    if n == 0:
        return 1.0
    order = np.argsort(np.abs(d), kind="mergesort")
    ranks = np.empty(n)
    abs_sorted = np.abs(d)[order]
    i = 0
    tie_term = 0.0
    while i < n:
        j = i
        while j + 1 < n and abs_sorted[j + 1] == abs_sorted[i]:
            j += 1
        ranks[order[i:j + 1]] = (i + j) / 2.0 + 1
        t = j - i + 1
        tie_term += t ** 3 - t
        i = j + 1
    r_plus = ranks[d > 0].sum()
    mean = n * (n + 1) / 4.0
    var = n * (n + 1) * (2 * n + 1) / 24.0 - tie_term / 48.0
    if var <= 0:
        return 1.0
    z = (r_plus - mean) / math.sqrt(var)
    return 0.5 * math.erfc(z / math.sqrt(2))


def fmt_p(p):
    return f"{p:.1e}" if p < 0.001 else f"{p:.3f}"


def default_pairs(directory):
    pairs = []
    for name in sorted(os.listdir(directory)):
        if name.startswith("borex:") and name.endswith(".csv"):
            base = name[len("borex:"):-4]
            if os.path.exists(os.path.join(directory, base + ".csv")):
                pairs.append(("borex:" + base, base))
    return pairs


def pairs(args, directory):
    """The (refined, base) pairs of --pair, or the directory's default pairs."""
    return [tuple(p.split("=", 1)) for p in args.pair] or default_pairs(directory)


def compare(directory, refined, base, data):
    """{(subset, metric): (mean refined, mean base, p better, p worse, n)}."""
    a = read(os.path.join(directory, refined + ".csv"))
    b = read(os.path.join(directory, base + ".csv"))
    ids = sorted(set(a) & set(b))
    counts = {i: item_count(data, i) for i in ids}
    out = {}
    for subset, keep in (("all", lambda c: True), ("single", lambda c: c == 1),
                         ("multi", lambda c: c > 1)):
        chosen = [i for i in ids if keep(counts[i])]
        for metric, sign in METRICS:
            x = np.array([float(a[i][metric]) for i in chosen])
            y = np.array([float(b[i][metric]) for i in chosen])
            out[(subset, metric)] = (x.mean(), y.mean(), wilcoxon_greater(sign * (x - y)),
                                     wilcoxon_greater(sign * (y - x)), len(chosen))
    return out


def image_objectives(directory, method_pairs):
    """{image: (objective of the refined maps, of their bases)}, each the mean over the pairs of
    insertion + F-measure − deletion, on the images every pair's CSVs share."""
    def objective(row):
        return float(row["insertion"]) + float(row["f_measure"]) - float(row["deletion"])

    tables = [(read(os.path.join(directory, refined + ".csv")),
               read(os.path.join(directory, base + ".csv"))) for refined, base in method_pairs]
    shared = set.intersection(*(set(a) & set(b) for a, b in tables))
    return {i: (np.mean([objective(a[i]) for a, _ in tables]),
                np.mean([objective(b[i]) for _, b in tables])) for i in sorted(shared)}


def holm(p_values):
    """Holm's step-down adjusted p-values, in the order given."""
    p = np.asarray(p_values, dtype=float)
    order = np.argsort(p, kind="mergesort")
    m = len(p)
    adjusted = np.empty(m)
    running = 0.0
    for rank, index in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p[index]))
        adjusted[index] = running
    return adjusted


def summary(args):
    holm_columns = (" cells worse after Holm (within the run) | smallest Holm-adjusted p |"
                    if args.holm else "")
    objective_column = " p (objective lower, image by image) |" if args.objective_test else ""
    print("| run | objective: mean (insertion + F − deletion) of the refined maps | "
          "cells worse at p < 0.05 | smallest p (worse) |" + holm_columns + objective_column)
    print("|---|---:|---:|---:|" + ("---:|---:|" if args.holm else "") +
          ("---:|" if args.objective_test else ""))
    for directory in args.dirs:
        objective, worse_p = [], []
        for refined, base in pairs(args, directory):
            result = compare(directory, refined, base, args.data)
            objective.append(result[("all", "insertion")][0] + result[("all", "f_measure")][0] -
                             result[("all", "deletion")][0])
            worse_p += [value[3] for value in result.values()]
        worse = sum(p < 0.05 for p in worse_p)
        name = os.path.basename(directory.rstrip("/"))
        row = f"| {name} | {np.mean(objective):.4f} | {worse} | {fmt_p(min(worse_p + [1.0]))} |"
        if args.holm:
            adjusted = holm(worse_p)
            row += f" {int((adjusted < 0.05).sum())} | {fmt_p(min(list(adjusted) + [1.0]))} |"
        if args.objective_test:
            values = np.array(list(image_objectives(directory, pairs(args, directory)).values()))
            row += f" {fmt_p(wilcoxon_greater(values[:, 1] - values[:, 0]))} |"
        print(row)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dirs", nargs="+")
    parser.add_argument("--data", required=True, help="the VOC-layout dataset (annotations)")
    parser.add_argument("--pair", action="append", default=[],
                        help="A=B: compare method A (refined) with B; default: borex:X=X")
    parser.add_argument("--summary", action="store_true",
                        help="one row per directory (over the --pair pairs when given)")
    parser.add_argument("--holm", action="store_true",
                        help="--summary also counts the cells worse after Holm's adjustment over "
                             "each run's cells (every pair's subsets and metrics)")
    parser.add_argument("--objective-test", action="store_true",
                        help="--summary also tests, image by image, whether the refined maps' "
                             "objective (the mean over the pairs of insertion + F − deletion) is "
                             "lower than their bases' (one-sided Wilcoxon)")
    args = parser.parse_args()
    if args.summary:
        return summary(args)
    print("| run | refined | base | subset | n | " + " | ".join(
        f"{m} (refined / base, p better, p worse)" for m, _ in METRICS) + " |")
    print("|---|---|---|---|---:|" + "---|" * len(METRICS))
    for directory in args.dirs:
        for refined, base in pairs(args, directory):
            result = compare(directory, refined, base, args.data)
            for subset in ("all", "single", "multi"):
                cells = [f"{r:.4f} / {b:.4f}, {fmt_p(better)}, {fmt_p(worse)}"
                         for r, b, better, worse, _ in
                         (result[(subset, metric)] for metric, _ in METRICS)]
                n = result[(subset, "insertion")][4]
                print(f"| {os.path.basename(directory.rstrip('/'))} | {refined} | {base} | "
                      f"{subset} | {n} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
