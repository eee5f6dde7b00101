#!/usr/bin/env python3
"""Does BOREx(X) improve X? Paired comparisons of `borex batch` results, per prior X.

For every X with both X.csv and borex:X.csv (or a pair named with --pair A=B) in each batch
directory: the mean of each metric (insertion, deletion, F-measure, pointing game) for both, and
one-sided Wilcoxon signed-rank p-values (normal approximation with the tie correction, zero
differences dropped: scipy.stats.wilcoxon's default for n > 50) for "better" and for "worse", on
all images and on the single-item and multi-item scenes (counted from the VOC annotations).

  /usr/bin/python3 scripts/refine_quality.py --data data/scenes out/tune/kriging [more dirs]
  ... --pair 'borex:rise=borex-paper:rise' (compare two methods of the same directory)
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


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dirs", nargs="+")
    parser.add_argument("--data", required=True, help="the VOC-layout dataset (annotations)")
    parser.add_argument("--pair", action="append", default=[],
                        help="A=B: compare method A (refined) with B; default: borex:X=X")
    args = parser.parse_args()
    print("| run | refined | base | subset | n | " + " | ".join(
        f"{m} (refined / base, p better, p worse)" for m, _ in METRICS) + " |")
    print("|---|---|---|---|---:|" + "---|" * len(METRICS))
    for directory in args.dirs:
        pairs = [tuple(p.split("=", 1)) for p in args.pair]
        if not pairs:
            for name in sorted(os.listdir(directory)):
                if name.startswith("borex:") and name.endswith(".csv"):
                    base = name[len("borex:"):-4]
                    if os.path.exists(os.path.join(directory, base + ".csv")):
                        pairs.append(("borex:" + base, base))
        for refined, base in pairs:
            a = read(os.path.join(directory, refined + ".csv"))
            b = read(os.path.join(directory, base + ".csv"))
            ids = sorted(set(a) & set(b))
            counts = {i: item_count(args.data, i) for i in ids}
            for subset, keep in (("all", lambda c: True), ("single", lambda c: c == 1),
                                 ("multi", lambda c: c > 1)):
                chosen = [i for i in ids if keep(counts[i])]
                cells = []
                for metric, sign in METRICS:
                    x = np.array([float(a[i][metric]) for i in chosen])
                    y = np.array([float(b[i][metric]) for i in chosen])
                    better = wilcoxon_greater(sign * (x - y))
                    worse = wilcoxon_greater(sign * (y - x))
                    cells.append(f"{x.mean():.4f} / {y.mean():.4f}, {fmt_p(better)}, {fmt_p(worse)}")
                print(f"| {os.path.basename(directory.rstrip('/'))} | {refined} | {base} | {subset} | "
                      f"{len(chosen)} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
