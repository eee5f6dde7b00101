#!/usr/bin/env python3
"""Refined maps that hold their prior upside down (issue 11, sixteenth round).

BOREx's final map is a·i0 + g, with a the prior's fitted coefficient; where a < 0 the map is
the prior's inverse plus the deviation. A map counts as inverted when its row's
prior_coefficient is negative, or, in a CSV written before borex recorded a (the sixteenth
round's), when its correlation with its prior's map is negative. For each batch run and each
prior P with saved maps of P and borex:P (OUT/shard-*/maps/METHOD/ID.npy or OUT/maps/...),
prints how many refined maps are inverted and, over those images, the mean difference refined
minus prior of each metric of the CSVs, and the prior's own mean on them.

  /usr/bin/python3 scripts/inverted_maps.py out/refinement15/test-defaults
"""
import argparse
import glob
import os

import numpy as np

from refine_quality import read

METRICS = ("insertion", "deletion", "f_measure", "pointing_hit")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("runs", nargs="+", help="batch output directories")
    args = parser.parse_args()
    print("| run | prior | inverted / maps | " +
          " | ".join(f"{m}: refined − prior (prior)" for m in METRICS) + " |")
    print("|---|---|---:|" + "---:|" * len(METRICS))
    for run in args.runs:
        for refined_csv in sorted(glob.glob(os.path.join(run, "borex:*.csv"))):
            prior = os.path.basename(refined_csv)[len("borex:"):-len(".csv")]
            prior_csv = os.path.join(run, prior + ".csv")
            if not os.path.exists(prior_csv):
                continue
            refined_rows, prior_rows = read(refined_csv), read(prior_csv)
            paths = glob.glob(os.path.join(run, "shard-*", "maps", "borex:" + prior, "*.npy"))
            paths += glob.glob(os.path.join(run, "maps", "borex:" + prior, "*.npy"))
            inverted = []
            for path in paths:
                image_id = os.path.splitext(os.path.basename(path))[0]
                if refined_rows[image_id].get("prior_coefficient"):
                    if float(refined_rows[image_id]["prior_coefficient"]) < 0:
                        inverted.append(image_id)
                    continue
                prior_path = path.replace(os.sep + "borex:" + prior + os.sep,
                                          os.sep + prior + os.sep)
                refined, base = np.load(path).ravel(), np.load(prior_path).ravel()
                if refined.std() > 0 and base.std() > 0 and np.corrcoef(refined, base)[0, 1] < 0:
                    inverted.append(image_id)
            cells = []
            for metric in METRICS:
                if not inverted:
                    cells.append("—")
                    continue
                base = np.array([float(prior_rows[i][metric]) for i in inverted])
                refined = np.array([float(refined_rows[i][metric]) for i in inverted])
                cells.append(f"{(refined - base).mean():+.3f} ({base.mean():.3f})")
            print(f"| {os.path.basename(run.rstrip('/'))} | {prior} | {len(inverted)} / "
                  f"{len(paths)} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
