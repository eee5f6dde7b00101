#!/usr/bin/env python3
"""A gated candidate's batch rows without running it (issue 11, forty-fourth round).

A candidate that changes the refinement only behind a gate on the prior (the prior's top 5% of
pixels in one region, or in several: refine::SalientRegions, as scripts/prior_regions.py counts
them; --fraction another top fraction) gives, where the gate is shut, the defaults' map bit for
bit and, where it is open, the ungated candidate's (the same seed, the same computation). So its rows are the defaults' batch's
rows or the ungated candidate's, image by image, by the region count of the prior maps that the
defaults' batch saved. Writes OUT with the priors' CSVs of DEFAULTS and each borex:PRIOR.csv
spliced, and prints how many images the gate opens per prior. --check DIR compares the spliced
rows' metrics with a batch DIR that ran the gated candidate itself, and exits 1 on any difference.

  /usr/bin/python3 scripts/gated_splice.py --gate one --defaults out/refinement42/model1-val-defaults \\
      --candidate out/refinement42/model1-val-pcond10 --out out/refinement44/model1-val-rpcond10
"""
import argparse
import csv
import glob
import os
import shutil
import sys

import numpy as np

from prior_regions import regions

METRICS = ("insertion", "deletion", "f_measure", "pointing_hit")
GATES = {"one": lambda count: count == 1, "several": lambda count: count >= 2}


def read_rows(path):
    """The CSV's columns and its rows by image_id."""
    with open(path, newline="") as f:
        reader = csv.DictReader(f)
        return reader.fieldnames, {row["image_id"]: row for row in reader}


def region_counts(run, method, fraction=0.05, share=0.1):
    """The gate's region count of each saved map of METHOD in the batch directory RUN."""
    paths = glob.glob(os.path.join(run, "shard-*", "maps", method, "*.npy")) + \
        glob.glob(os.path.join(run, "maps", method, "*.npy"))
    return {os.path.splitext(os.path.basename(path))[0]:
            regions(np.load(path).astype(np.float32), fraction, share) for path in paths}


def splice(defaults, candidate, out, gate, fraction=0.05):
    """Writes the spliced batch to OUT (the gate on the regions of the prior's top `fraction`);
    returns {prior: images the gate opens}."""
    os.makedirs(out, exist_ok=True)
    opened = {}
    for refined in sorted(glob.glob(os.path.join(defaults, "borex:*.csv"))):
        prior = os.path.basename(refined)[len("borex:"):-len(".csv")]
        counts = region_counts(defaults, prior, fraction)
        columns, default_rows = read_rows(refined)
        _, candidate_rows = read_rows(os.path.join(candidate, os.path.basename(refined)))
        if set(counts) != set(default_rows) or set(candidate_rows) != set(default_rows):
            sys.exit(f"gated_splice: {prior}: the saved maps, {refined} and the candidate's rows "
                     "do not name the same images")
        with open(os.path.join(out, os.path.basename(refined)), "w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=columns)
            writer.writeheader()
            for image_id in sorted(default_rows):
                open_here = gate(counts[image_id])
                writer.writerow((candidate_rows if open_here else default_rows)[image_id])
        shutil.copy(os.path.join(defaults, prior + ".csv"), out)
        opened[prior] = sum(gate(count) for count in counts.values())
    return opened


def differing_rows(out, check):
    """{refined CSV: images whose metrics differ between OUT and CHECK}."""
    differing = {}
    for path in sorted(glob.glob(os.path.join(out, "borex:*.csv"))):
        _, spliced = read_rows(path)
        _, ran = read_rows(os.path.join(check, os.path.basename(path)))
        differing[os.path.basename(path)] = sorted(
            image_id for image_id, row in spliced.items()
            if any(row[m] != ran[image_id][m] for m in METRICS))
    return differing


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gate", choices=sorted(GATES), required=True,
                        help="where the candidate acts: the prior's top 5%% in one region or in "
                             "several")
    parser.add_argument("--fraction", type=float, default=0.05,
                        help="the prior's top fraction whose regions the gate counts (default "
                             "0.05, refine::SalientRegions')")
    parser.add_argument("--defaults", required=True, help="the defaults' batch (saved maps)")
    parser.add_argument("--candidate", required=True, help="the ungated candidate's batch")
    parser.add_argument("--out", required=True, help="the spliced batch directory to write")
    parser.add_argument("--check", help="a batch that ran the gated candidate: compare with it")
    args = parser.parse_args()
    opened = splice(args.defaults, args.candidate, args.out, GATES[args.gate], args.fraction)
    name = os.path.basename(args.out.rstrip("/"))
    print(f"{name}: the gate ({args.gate} region(s)) opens for " +
          ", ".join(f"{count} {prior}" for prior, count in opened.items()) + " priors")
    if args.check:
        differing = differing_rows(args.out, args.check)
        for csv_name, images in differing.items():
            print(f"{name}: {csv_name}: {len(images)} rows differ from {args.check}")
        if any(differing.values()):
            sys.exit(1)


if __name__ == "__main__":
    main()
