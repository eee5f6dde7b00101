#!/usr/bin/env python3
"""What the model says about each item of a several-item scene, and which item a map favours
(issue 11, thirty-fourth round).

For every scene with several annotated items of a `borex batch` run, the model's probability of
the label on the whole image, with each item's box alone visible (the rest in the model's mean
colour, the in-fill of BOREx's observations), with each item's box hidden, and with every box
hidden. Printed: the means of p(whole), p(every item hidden), the largest drop one item's hiding
causes (one item's necessity) and the drop hiding them all causes; and, for each method, how
often the item its top FRACTION of pixels covers most is the item the model finds most sufficient
alone (the highest p with only that item visible), against the chance of picking one at random,
and how often its coverage orders a pair of items as their sufficiency alone does (item pairs of
equal p left out; equal coverage counts a half). With two methods or more: the one-sided Wilcoxon
p that the second orders the pairs as the model does more often than the first, scene by scene,
and the second's F-measure against the first's (the runs' CSVs) in the scenes where the model
leans on one item (hiding it removes at least half of what hiding every item removes, and that is
a drop) and in the rest, with the one-sided Wilcoxon p for "the second is worse" (issue 11,
thirty-sixth round); and, in those scenes, the share of the item leaned on's box and the other
items' (their mean) in each map's top 10, 20, 30 and 40% of pixels, the first method's against
the second's, with the one-sided Wilcoxon p that the second's share is the smaller (the
thirty-eighth round: whether the second gives up the other items or every item).

  /usr/bin/python3 scripts/item_evidence.py --data data/shifted_scenes \\
      --model models/fashion_shifted_resnet.pt out/refinement34/model1-shifted-holdout \\
      gradcam++ borex:gradcam++

Needs Debian's python3-torch (/usr/bin/python3), numpy and PIL; the model must carry borex
metadata (mean, std) and take the images' own size.
"""
import argparse
import csv
import os

import numpy as np
import torch
from PIL import Image

from deletion_curves import image_path, load_model
from rank_bands import TOP_FRACTIONS, item_boxes, map_paths
from refine_quality import fmt_p, read, wilcoxon_greater


def item_scores(predict, image, boxes, fill):
    """p(label) on the whole image, per item with only its box visible, per item with its box
    hidden, and with every box hidden. `predict` maps a stack of images (n, H, W, 3) to p(label)
    per image; `fill` is the colour hidden pixels take."""
    stack = [image]
    for box in boxes:
        kept = np.where(box[..., None], image, fill)
        stack.append(kept)
    for box in boxes:
        stack.append(np.where(box[..., None], fill, image))
    stack.append(np.where(np.logical_or.reduce(boxes)[..., None], fill, image))
    p = np.asarray(predict(np.stack(stack)), dtype=float)
    n = len(boxes)
    return p[0], p[1:1 + n], p[1 + n:1 + 2 * n], p[-1]


def item_coverages(saliency, boxes, fraction):
    """Each item's share of its box in the map's top `fraction` of pixels (ties in raster order,
    as borex's deletion ranks)."""
    order = np.argsort(-saliency.ravel(), kind="stable")
    top = np.zeros(saliency.size, bool)
    top[order[:int(fraction * saliency.size)]] = True
    return np.array([top[box.ravel()].mean() for box in boxes])


def concordance(coverage, sufficiency):
    """The share of item pairs of different sufficiency that the coverage orders the same way
    (a tie in coverage counts a half); NaN without such a pair."""
    scores = []
    for i in range(len(coverage)):
        for j in range(i + 1, len(coverage)):
            if sufficiency[i] == sufficiency[j]:
                continue
            agreement = (coverage[i] - coverage[j]) * (sufficiency[i] - sufficiency[j])
            scores.append(0.5 if agreement == 0 else float(agreement > 0))
    return np.mean(scores) if scores else float("nan")


def f_measure_by_leaning(run, methods, leaning):
    """Lines comparing the second method's F-measure with the first's in the scenes where
    `leaning[image]` holds and in the rest."""
    first, second = (read(os.path.join(run, method + ".csv")) for method in methods[:2])
    lines = []
    for name, keep in (("the model leans on one item", True), ("the rest", False)):
        ids = [i for i in sorted(leaning) if leaning[i] == keep and i in first and i in second]
        if not ids:
            continue
        a = np.array([float(first[i]["f_measure"]) for i in ids])
        b = np.array([float(second[i]["f_measure"]) for i in ids])
        lines.append(f"  F-measure, {methods[1]} against {methods[0]}, {name} ({len(ids)} "
                     f"scenes): {b.mean():.4f} against {a.mean():.4f}, p(worse) = "
                     f"{fmt_p(wilcoxon_greater(a - b))}")
    return lines


def leaned_and_other_coverages(saliency, boxes, leaned):
    """Per fraction of TOP_FRACTIONS: the item `leaned`'s share of its box in the map's top
    fraction of pixels, and the other items' mean share."""
    rows = []
    for fraction in TOP_FRACTIONS:
        coverage = item_coverages(saliency, boxes, fraction)
        rows.append((coverage[leaned], np.delete(coverage, leaned).mean()))
    return np.array(rows)


def coverage_lines(methods, leaned_coverages):
    """Lines comparing the second method's coverages (leaned_and_other_coverages per scene) with
    the first's."""
    first, second = (np.array(leaned_coverages[method]) for method in methods[:2])
    lines = [f"  the model leans on one item ({len(first)} scenes): the share of the item leaned on's "
             f"box / the other items' in the top pixels, {methods[0]} -> {methods[1]}, p (smaller)"]
    for k, fraction in enumerate(TOP_FRACTIONS):
        cells = [f"{name} {first[:, k, j].mean():.3f} -> {second[:, k, j].mean():.3f} "
                 f"({fmt_p(wilcoxon_greater(first[:, k, j] - second[:, k, j]))})"
                 for j, name in enumerate(("the item leaned on", "the others"))]
        lines.append(f"    top {fraction:.0%}: " + ", ".join(cells))
    return lines


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", required=True, help="the VOC root of the batch")
    parser.add_argument("--model", required=True, help="the batch's TorchScript model")
    parser.add_argument("--fraction", type=float, default=0.1,
                        help="the top share of pixels whose item coverage is compared (0.1)")
    parser.add_argument("run", help="a batch output directory with saved maps")
    parser.add_argument("methods", nargs="+", help="methods whose saved maps to read")
    args = parser.parse_args()
    torch.set_num_threads(os.cpu_count() or 1)
    model, mean, std = load_model(args.model)
    fill = mean.view(3).numpy() * 255
    with open(os.path.join(args.run, args.methods[0] + ".csv")) as f:
        labels = {row["image_id"]: int(row["label"]) for row in csv.DictReader(f)}
    paths = {method: map_paths(args.run, method) for method in args.methods}
    whole, hidden_all, one_necessity, all_necessity, chance = [], [], [], [], []
    agrees = {method: [] for method in args.methods}
    concordant = {method: [] for method in args.methods}
    leaning = {}
    leaned_coverages = {method: [] for method in args.methods}
    for image_id in sorted(labels):
        image = np.array(Image.open(image_path(args.data, image_id)).convert("RGB"), float)
        boxes = item_boxes(args.data, image_id, image.shape[:2])
        if len(boxes) < 2:
            continue
        label = labels[image_id]

        def predict(stack):
            x = torch.tensor(stack, dtype=torch.float32).permute(0, 3, 1, 2) / 255
            with torch.no_grad():
                return torch.softmax(model((x - mean) / std), 1)[:, label].numpy()

        p, alone, without, without_all = item_scores(predict, image, boxes, fill)
        whole.append(p)
        hidden_all.append(without_all)
        one_necessity.append(np.max(p - without))
        all_necessity.append(p - without_all)
        chance.append(1 / len(boxes))
        # Leaning on one item: hiding every item lowers p, and one item's hiding half of that.
        leaning[image_id] = bool(p > without_all and np.max(p - without) >= 0.5 * (p - without_all))
        for method in args.methods:
            saliency = np.load(paths[method][image_id]).astype(np.float64)
            coverage = item_coverages(saliency, boxes, args.fraction)
            agrees[method].append(int(np.argmax(coverage)) == int(np.argmax(alone)))
            concordant[method].append(concordance(coverage, alone))
            if leaning[image_id]:
                leaned_coverages[method].append(
                    leaned_and_other_coverages(saliency, boxes, int(np.argmax(p - without))))
    print(f"{args.run}: {len(whole)} scenes with several items; mean p(label): whole "
          f"{np.mean(whole):.3f}, every item hidden {np.mean(hidden_all):.3f}; the largest drop "
          f"one item's hiding causes {np.mean(one_necessity):.3f}, hiding them all "
          f"{np.mean(all_necessity):.3f}")
    for method in args.methods:
        print(f"  {method}: the item its top {args.fraction:.0%} covers most is the one most "
              f"sufficient alone in {np.mean(agrees[method]):.3f} of the scenes (chance "
              f"{np.mean(chance):.3f}); item pairs it orders as their sufficiency "
              f"{np.nanmean(concordant[method]):.3f}")
    if len(args.methods) > 1:
        pairs = np.array([concordant[method] for method in args.methods[:2]]).T
        pairs = pairs[~np.isnan(pairs).any(axis=1)]
        print(f"  item pairs ordered as their sufficiency, {args.methods[1]} against "
              f"{args.methods[0]} ({len(pairs)} scenes): p(more often) = "
              f"{fmt_p(wilcoxon_greater(pairs[:, 1] - pairs[:, 0]))}")
        print("\n".join(f_measure_by_leaning(args.run, args.methods, leaning)))
        if leaned_coverages[args.methods[0]]:
            print("\n".join(coverage_lines(args.methods, leaned_coverages)))


if __name__ == "__main__":
    main()
