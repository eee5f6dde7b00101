#!/usr/bin/env python3
"""How a candidate setting moved the prior's fitted coefficient a (issue 11, rounds 20-21).

For each PREFIX, reads PREFIX-defaults/borex:P.csv and PREFIX-CANDIDATE/borex:P.csv (P = rise,
gradcam++, opticam, where present; the CSVs' prior_coefficient column) and prints, per prior, on
how many images a moved (by more than 0.1% of max(1, |a|)), its median before and after, its
median where it moved, and how many maps have a < 0 in each run.

  /usr/bin/python3 scripts/coefficients_moved.py fitsd out/refinement20/model1-val
"""
import argparse
import csv
import statistics


def coefficients(path):
    with open(path, newline="") as f:
        return {row["image_id"]: float(row["prior_coefficient"]) for row in csv.DictReader(f)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("candidate", help="the candidate run's suffix, e.g. fitsd")
    parser.add_argument("prefixes", nargs="+", help="run directories without -defaults/-CANDIDATE")
    args = parser.parse_args()
    candidate = args.candidate
    print(f"| run | prior | a moved / maps | median a: defaults → {candidate} | where moved "
          f"| a < 0: defaults, {candidate} |")
    print("|---|---|---:|---|---|---|")
    median = statistics.median
    for prefix in args.prefixes:
        for prior in ("rise", "gradcam++", "opticam"):
            try:
                before, after = (coefficients(f"{prefix}-{run}/borex:{prior}.csv")
                                 for run in ("defaults", candidate))
            except FileNotFoundError:
                continue
            moved = [k for k in before
                     if abs(before[k] - after[k]) > 1e-3 * max(1, abs(before[k]))]
            where = (f"{median(before[k] for k in moved):.2f} → "
                     f"{median(after[k] for k in moved):.2f}" if moved else "—")
            print(f"| {prefix.rsplit('/', 1)[-1]} | {prior} | {len(moved)} / {len(before)} | "
                  f"{median(before.values()):.2f} → {median(after.values()):.2f} | {where} | "
                  f"{sum(v < 0 for v in before.values())}, {sum(v < 0 for v in after.values())} |")


if __name__ == "__main__":
    main()
