#!/usr/bin/python3
"""Writes the "other methods and in-fill" section of docs/results.md (to stdout) from the outputs
of scripts/reproduce_methods_table.sh: OUT/infill-*/, OUT/methods*/ (merged batch CSVs, one per
method) and OUT/undesirable/*.json (borex evaluate). Standard library only."""
import argparse
import csv
import glob
import json
import os
import statistics

INFILLS = ["black", "mean", "blur", "noise", "inpaint"]
METHOD_ORDER = ["rise", "gradcam++", "opticam", "fido-ssr", "fido-sdr", "borex:opticam",
                "borex:fido-ssr"]


def rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def mean(values):
    values = [float(v) for v in values if v not in ("", None)]
    return statistics.fmean(values) if values else float("nan")


def column(table, name):
    return [row[name] for row in table]


def fmt(value, digits=4):
    return "n/a" if value != value else f"{value:.{digits}f}"


def infill_table(out):
    lines = ["| in-fill | method | n | insertion (own) | deletion (own) | insertion (black) | "
             "deletion (black) | F-measure | pointing | seconds per image |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for infill in INFILLS:
        for method in ["rise", "borex:rise"]:
            own_path = f"{out}/infill-{infill}-own/{method}.csv"
            if not os.path.exists(own_path):
                continue
            own = rows(own_path)
            black_path = f"{out}/infill-{infill}-black/{method}.csv"
            black = own if infill == "black" else (rows(black_path)
                                                  if os.path.exists(black_path) else [])
            lines.append(
                f"| {infill} | {method} | {len(own)} | {fmt(mean(column(own, 'insertion')))} | "
                f"{fmt(mean(column(own, 'deletion')))} | "
                f"{fmt(mean(column(black, 'insertion')) if black else float('nan'))} | "
                f"{fmt(mean(column(black, 'deletion')) if black else float('nan'))} | "
                f"{fmt(mean(column(own, 'f_measure')))} | "
                f"{fmt(mean(column(own, 'pointing_hit')), 3)} | "
                f"{fmt(mean(column(own, 'seconds')), 2)} |")
    return lines


def methods_table(out):
    lines = ["| method | in-fill | n | insertion | deletion | F-measure | pointing | "
             "model calls per image | seconds per image |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    for directory, infill in [("methods", "black"), ("methods-blur", "blur")]:
        for method in METHOD_ORDER:
            path = f"{out}/{directory}/{method}.csv"
            if not os.path.exists(path):
                continue
            table = rows(path)
            lines.append(
                f"| {method} | {infill} | {len(table)} | {fmt(mean(column(table, 'insertion')))} | "
                f"{fmt(mean(column(table, 'deletion')))} | {fmt(mean(column(table, 'f_measure')))} | "
                f"{fmt(mean(column(table, 'pointing_hit')), 3)} | "
                f"{fmt(mean(column(table, 'model_calls')), 0)} | "
                f"{fmt(mean(column(table, 'seconds')), 2)} |")
    return lines


def undesirable_table(out, pattern):
    lines = ["| map | n | mean p(label) before | mean hide_top (10%) | median | share > 0 |",
             "|---|---:|---:|---:|---:|---:|"]
    for kind, name in [("hinder", "hinder (PREFIX_hinder.npy)"),
                       ("others", "others (PREFIX_others.npy)"), ("rise", "RISE (1000 masks)")]:
        changes, before = [], []
        for path in sorted(glob.glob(f"{out}/undesirable/{pattern}.{kind}.json")):
            with open(path) as f:
                result = json.load(f)
            changes.append(float(result["hide_top"]))
            before.append(float(result["hide_top_score"]) - float(result["hide_top"]))
        if not changes:
            continue
        positive = sum(c > 0 for c in changes) / len(changes)
        lines.append(f"| {name} | {len(changes)} | {fmt(statistics.fmean(before))} | "
                     f"{fmt(statistics.fmean(changes))} | "
                     f"{fmt(statistics.median(changes))} | {positive:.2f} |")
    return lines


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out-dir", required=True)
    parser.add_argument("--infill-images", type=int, required=True)
    parser.add_argument("--method-images", type=int, required=True)
    parser.add_argument("--blur-images", type=int, required=True)
    parser.add_argument("--undesirable-images", type=int, required=True)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--step", type=int, default=256)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    out = args.out_dir
    discussion = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "docs",
                              "results-methods-discussion.md")
    print("## Other methods and in-fill (Opti-CAM, FIDO, undesirable pixels)\n")
    print(f"Written by `scripts/reproduce_methods_table.sh` (seed {args.seed}, metric step "
          f"{args.step} pixels, {args.jobs} parallel shards) on the first test scenes of the "
          "benchmark above, with the bundled model. Insertion and deletion use the named "
          "substrate; F-measure and pointing do not hide pixels. Seconds are per image for "
          "producing the map (for `borex:X` the refinement only), measured while other work "
          "shared the 2 cores.\n")
    print(f"### In-fill ({args.infill_images} images)\n")
    print("RISE's masks (`--rise-infill X`) and BOREx's observations (`--bo-infill X`) hide "
          "pixels with X; \"own\" metrics use X as the substrate too (`--substrate X`), \"black\" "
          "ones the BOREx paper's black substrate, so that maps made with different in-fills are "
          "compared on one yardstick.\n")
    print("\n".join(infill_table(out)) + "\n")
    print(f"### Opti-CAM and FIDO ({args.method_images} images)\n")
    print("Defaults throughout (Opti-CAM: 50 Adam steps, lr 0.1, max normalisation; FIDO: 300 "
          "steps, 8 samples, lr 0.05, λ 1e-3, cell 4); `borex:X` refines X's map with BOREx's "
          "defaults. The metrics' substrate is black.\n")
    print(f"The blur rows are FIDO with `--rise-infill blur` on the first {args.blur_images} of these "
          "images (the black rows: all of them).\n")
    print("\n".join(methods_table(out)) + "\n")
    print(f"### Undesirable pixels ({args.undesirable_images} images)\n")
    print("`borex explain --method undesirable --masks 1000`, then `borex evaluate` of each map: "
          "hide_top is the target's probability after hiding the map's top 10% pixels (black) "
          "minus before. A hinder map should make it positive; a saliency map (RISE) negative.\n")
    print("For the model's top-1 class:\n")
    print("\n".join(undesirable_table(out, "test_[0-9][0-9][0-9][0-9][0-9][0-9]")) + "\n")
    print("For another item's class in scenes with several items (`--label` that class):\n")
    print("\n".join(undesirable_table(out, "*.other")) + "\n")
    if os.path.exists(discussion):
        with open(discussion) as f:
            print(f.read().strip() + "\n")


if __name__ == "__main__":
    main()
