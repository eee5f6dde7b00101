#!/usr/bin/env python3
"""How many separate regions a prior's top pixels form, against the scenes' item counts (issue 11,
thirteenth round).

For the maps of METHOD that a `borex batch` run saved (OUT/shard-*/maps/METHOD/ID.npy or
OUT/maps/METHOD/ID.npy), the top fraction q of each map's pixels (ties included, as borex's
level sets: every pixel at or above the ceil(q * pixels)-th value) is split into 8-connected
regions; those with at least the share s of the set's pixels (default a tenth) are counted. This
is the rule of `--rise-observations regions` (refine::SalientRegions, q = 0.05, s = 0.1) and of the
fourteenth round's stricter prototypes (--share). Prints, per q, how many single-item and
multi-item scenes (objects in the VOC annotation) have one region or several.

  /usr/bin/python3 scripts/prior_regions.py --data data/scenes out/refinement13/val-defaults
"""
import argparse
import glob
import os
import xml.etree.ElementTree as ElementTree
from collections import deque

import numpy as np


def region_areas(mask):
    """The areas of mask's 8-connected regions."""
    rows, cols = mask.shape
    seen = np.zeros(mask.shape, bool)
    areas = []
    for row, col in zip(*np.nonzero(mask)):
        if seen[row, col]:
            continue
        seen[row, col] = True
        queue, area = deque([(row, col)]), 0
        while queue:
            r, c = queue.popleft()
            area += 1
            for rr in range(max(r - 1, 0), min(r + 2, rows)):
                for cc in range(max(c - 1, 0), min(c + 2, cols)):
                    if mask[rr, cc] and not seen[rr, cc]:
                        seen[rr, cc] = True
                        queue.append((rr, cc))
        areas.append(area)
    return areas


def regions(prior, fraction, share):
    """The gate's count: regions of the top fraction holding at least `share` of its pixels."""
    count = max(int(np.ceil(fraction * prior.size)), 1)
    top = prior >= np.sort(prior.ravel())[::-1][count - 1]
    return sum(area >= share * top.sum() for area in region_areas(top))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", required=True, help="the VOC-style dataset (Annotations/)")
    parser.add_argument("--method", default="rise", help="the saved maps' method (default rise)")
    parser.add_argument("--fractions", default="0.05,0.1,0.2", help="q values, comma-separated")
    parser.add_argument("--share", type=float, default=0.1,
                        help="the share of the set a region must hold (default 0.1)")
    parser.add_argument("runs", nargs="+", help="batch output directories")
    args = parser.parse_args()
    fractions = [float(q) for q in args.fractions.split(",")]
    print("| run | q | s | single-item: one region | single-item: several | "
          "multi-item: one region | multi-item: several |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for run in args.runs:
        paths = sorted(glob.glob(os.path.join(run, "shard-*", "maps", args.method, "*.npy")) +
                       glob.glob(os.path.join(run, "maps", args.method, "*.npy")))
        if not paths:
            raise SystemExit(f"prior_regions: no saved {args.method} maps under {run}")
        counts = {q: np.zeros((2, 2), int) for q in fractions}
        for path in paths:
            image_id = os.path.splitext(os.path.basename(path))[0]
            annotation = os.path.join(args.data, "Annotations", image_id + ".xml")
            multi = len(ElementTree.parse(annotation).findall("object")) > 1
            prior = np.load(path).astype(np.float32)
            for q in fractions:
                counts[q][int(multi), int(regions(prior, q, args.share) >= 2)] += 1
        for q in fractions:
            c = counts[q]
            print(f"| {os.path.basename(run.rstrip('/'))} | {q:g} | {args.share:g} | {c[0, 0]} | "
                  f"{c[0, 1]} | {c[1, 0]} | {c[1, 1]} |")


if __name__ == "__main__":
    main()
