#!/usr/bin/env python3
"""Where two maps' deletion scores differ along the deletion curve (issue 11, twelfth round).

Rebuilds each image's deletion curve from the maps a `borex batch` run saved
(OUT/shard-*/maps/METHOD/ID.npy or OUT/maps/METHOD/ID.npy) exactly as borex scores it (black
substrate, the map's pixels removed in descending order, ties in raster order, STEP pixels per
step, the softmax probability of the CSV's label, the trapezoid area over the steps), checks the
area against the batch's CSV, and prints, for methods A and B:

- the mean curve of each over the first steps, and B - A per step;
- B - A's deletion area split into the first EARLY steps and the rest;
- the share of images where B's deletion is lower, and the median and mean of B - A;
- the share of curves that rise again after a fall (by more than 0.3 and 0.5): a removed region
  that the classifier reads as an object of the class.

  /usr/bin/python3 scripts/deletion_curves.py --data data/scenes \\
      --model models/fashion_scenes_resnet.pt out/refinement11/val-defaults rise borex:rise

--ids FILE keeps the images listed; --median adds the median curves and, image by image, where
B's area is lower before and after the first EARLY steps; --splice K,... scores the order of B's
first K pixels followed by A's order of the rest, image by image against A (sixteenth round:
whether B's head or its tail decides); with --splice-tail random the rest is removed in a random
order instead (eighteenth round: whether a scattered removal alone wins the tail).

--background-last RING (the thirty-eighth round) scores A's and B's maps also with their
background (every pixel outside the boxes, their RING-pixel ring and, with --distractors
SEED,MULTI_FRACTION, the second generator's distractors: scripts/rank_bands.py) moved after every
other pixel, each part in the map's own order: insertion and deletion of each map as it is and so
moved, image by image, with the one-sided signed-rank p that the move makes each worse. If the
background the map ranks high is evidence the model uses, moving it last costs insertion.

Needs Debian's python3-torch (/usr/bin/python3), numpy and PIL; the model must carry borex
metadata (mean, std) and take the scenes' own size.
"""
import argparse
import csv
import glob
import os
import sys

import numpy as np
import torch
from PIL import Image

from pick_examples import load_borex_model
from rank_bands import add_distractors_argument, scene_places, shifted_distractors
from refine_quality import wilcoxon_greater


def load_model(path):
    """The model at `path` and its normalisation's mean and std as [1, 3, 1, 1] tensors."""
    model, meta = load_borex_model(path)
    mean = torch.tensor(meta["mean"]).view(1, 3, 1, 1)
    std = torch.tensor(meta["std"]).view(1, 3, 1, 1)
    return model, mean, std


def removal_order(saliency):
    """The pixels in deletion's order: descending saliency, ties in raster order."""
    return np.argsort(-saliency.ravel(), kind="stable")


def spliced_order(first, second, count):
    """`first`'s leading `count` pixels, then the rest in `second`'s order."""
    head = first[:count]
    taken = np.zeros(first.size, bool)
    taken[head] = True
    return np.concatenate([head, second[~taken[second]]])


def deletion_curve(model, mean, std, image, order, label, step, insertion=False):
    """The label's probability as `order`'s pixels are removed to black STEP at a time, or with
    `insertion` as they are put back into a black image, borex's two curves."""
    pixels = image.reshape(-1, 3)
    stages = []
    for moved in list(range(0, pixels.shape[0], step)) + [pixels.shape[0]]:
        if insertion:
            stage = np.zeros_like(pixels)
            stage[order[:moved]] = pixels[order[:moved]]
        else:
            stage = pixels.copy()
            stage[order[:moved]] = 0
        stages.append(stage.reshape(image.shape))
    x = torch.tensor(np.stack(stages)).permute(0, 3, 1, 2).float() / 255
    with torch.no_grad():
        return torch.softmax(model((x - mean) / std), 1)[:, label].numpy()


def map_path(run, method, image_id):
    found = glob.glob(os.path.join(run, "shard-*", "maps", method, image_id + ".npy"))
    found += glob.glob(os.path.join(run, "maps", method, image_id + ".npy"))
    if not found:
        sys.exit(f"deletion_curves: no saved map for {method} {image_id} in {run}")
    return found[0]


def image_path(data, image_id):
    found = sorted(glob.glob(os.path.join(data, "JPEGImages", glob.escape(image_id) + ".*")))
    if not found:
        sys.exit(f"deletion_curves: no image {image_id} in {data}/JPEGImages")
    return found[0]


def curve_area(curve):
    """The trapezoid area under a curve over its steps, borex's deletion score."""
    return (curve[:-1] + curve[1:]).sum() / 2 / (len(curve) - 1)


def splices(run, args, model, mean, std, a_curves):
    """Per --splice count K, B's first K pixels then A's order (--splice-tail random: a random
    order, drawn per image from --seed): each image's deletion against A's (its curve in
    a_curves), printed as the share of images lower, the median and mean difference and the
    one-sided signed-rank p for "lower"."""
    rows = csv.DictReader(open(os.path.join(run, args.a + ".csv")))
    labels = {row["image_id"]: int(row["label"]) for row in rows}
    diffs = np.zeros((len(args.splice), len(a_curves)))
    rng = np.random.default_rng(args.seed)
    for j, (image_id, a_curve) in enumerate(sorted(a_curves.items())):
        image = np.array(Image.open(image_path(args.data, image_id)).convert("RGB"))
        a = removal_order(np.load(map_path(run, args.a, image_id)))
        b = removal_order(np.load(map_path(run, args.b, image_id)))
        tail = a if args.splice_tail == "a" else rng.permutation(a.size)
        for k, count in enumerate(args.splice):
            curve = deletion_curve(model, mean, std, image, spliced_order(b, tail, count),
                                   labels[image_id], args.step)
            diffs[k, j] = curve_area(curve) - curve_area(a_curve)
    rest = f"{args.a}'s order" if args.splice_tail == "a" else "a random order"
    for count, d in zip(args.splice, diffs):
        print(f"{args.b}'s first {count} pixels, then {rest}, against {args.a}: lower on "
              f"{(d < 0).mean():.2f} of the images, median {np.median(d):+.4f}, mean "
              f"{d.mean():+.4f}, p (lower) {wilcoxon_greater(-d):.2g}")


def background_last(order, background):
    """`order` with the pixels where `background` (flat boolean) holds moved to its end, each part
    in its own order."""
    last = background[order]
    return np.concatenate([order[~last], order[last]])


def background_moves(run, args, model, mean, std, deletions):
    """--background-last: per method, insertion and deletion as the map is and with its
    background last, image by image over the images of `deletions` (per method, each image's
    deletion curve as the map is, from curves())."""
    rows = {method: {row["image_id"]: row
                     for row in csv.DictReader(open(os.path.join(run, method + ".csv")))}
            for method in (args.a, args.b)}
    ids = sorted(set(deletions[args.a]) & set(deletions[args.b]))
    scores = {method: [] for method in rows}  # insertion, moved; deletion, moved
    for image_id in ids:
        image = np.array(Image.open(image_path(args.data, image_id)).convert("RGB"))
        boxes = (shifted_distractors(args.data, image_id, *args.distractors)
                 if args.distractors else None)
        background = scene_places(args.data, image_id, image.shape[:2], args.background_last,
                                  boxes)[-1].ravel()
        for method, row in ((method, rows[method][image_id]) for method in rows):
            label = int(row["label"])
            order = removal_order(np.load(map_path(run, method, image_id)))
            moved = background_last(order, background)
            area = [curve_area(deletion_curve(model, mean, std, image, o, label, args.step,
                                              insertion))
                    for insertion, o in ((True, order), (True, moved), (False, moved))]
            if abs(area[0] - float(row["insertion"])) > 1e-4:
                sys.exit(f"deletion_curves: {method} {image_id}: rebuilt insertion "
                         f"{area[0]:.6f} is not the CSV's {row['insertion']}")
            scores[method].append([area[0], area[1], curve_area(deletions[method][image_id]),
                                   area[2]])
    for method, table in scores.items():
        s = np.array(table)
        print(f"{method} ({len(s)} images), its background last: insertion {s[:, 0].mean():.4f} -> "
              f"{s[:, 1].mean():.4f} (p lower {wilcoxon_greater(s[:, 0] - s[:, 1]):.2g}), "
              f"deletion {s[:, 2].mean():.4f} -> {s[:, 3].mean():.4f} "
              f"(p higher {wilcoxon_greater(s[:, 3] - s[:, 2]):.2g})")


def curves(run, method, args, model, mean, std):
    rows = list(csv.DictReader(open(os.path.join(run, method + ".csv"))))
    if args.ids:
        rows = [row for row in rows if row["image_id"] in args.ids]
    out = {}
    for row in rows:
        image_id = row["image_id"]
        image = np.array(Image.open(image_path(args.data, image_id)).convert("RGB"))
        saliency = np.load(map_path(run, method, image_id))
        curve = deletion_curve(model, mean, std, image, removal_order(saliency), int(row["label"]),
                               args.step)
        area = curve_area(curve)
        if abs(area - float(row["deletion"])) > 1e-4:
            sys.exit(f"deletion_curves: {method} {image_id}: rebuilt deletion {area:.6f} is not "
                     f"the CSV's {row['deletion']} (another substrate, step or model?)")
        out[image_id] = curve
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("run", help="a borex batch output directory with saved maps")
    parser.add_argument("a", help="method A (e.g. rise)")
    parser.add_argument("b", help="method B (e.g. borex:rise)")
    parser.add_argument("--data", required=True, help="the VOC root of the batch")
    parser.add_argument("--model", required=True, help="the batch's TorchScript model")
    parser.add_argument("--step", type=int, default=256, help="pixels per step (the batch's --step)")
    parser.add_argument("--early", type=int, default=8, help="steps counted as early")
    parser.add_argument("--show", type=int, default=16, help="steps of the mean curves printed")
    parser.add_argument("--ids", help="a file of image ids, one per line: only those images")
    parser.add_argument("--splice", type=lambda text: [int(k) for k in text.split(",")],
                        default=[], help="pixel counts K, comma-separated: also the order of B's "
                        "first K pixels followed by A's order of the rest, against A")
    parser.add_argument("--splice-tail", choices=["a", "random"], default="a",
                        help="the order of the rest after B's first K pixels: A's, or random "
                             "(a scattered removal that carries no information)")
    parser.add_argument("--seed", type=int, default=0, help="draws --splice-tail random's orders")
    parser.add_argument("--median", action="store_true",
                        help="also the median curves, and per image the share of images where "
                             "B's area is lower before and after the first EARLY steps")
    parser.add_argument("--background-last", metavar="RING", type=int,
                        help="also score each map with its background (outside the boxes and "
                             "their RING-pixel ring) moved last: insertion and deletion")
    add_distractors_argument(parser, "--background-last: move only what lies outside")
    args = parser.parse_args()
    if args.ids:
        args.ids = set(open(args.ids).read().split())
    torch.set_num_threads(os.cpu_count() or 1)
    model, mean, std = load_model(args.model)
    a = curves(args.run, args.a, args, model, mean, std)
    b = curves(args.run, args.b, args, model, mean, std)
    ids = sorted(set(a) & set(b))
    ca = np.array([a[i] for i in ids])
    cb = np.array([b[i] for i in ids])
    steps = ca.shape[1] - 1
    np.set_printoptions(precision=3, suppress=True, linewidth=200)
    print(f"{args.run}: {len(ids)} images, {steps} steps of {args.step} pixels")
    print(f"mean curve {args.a}: {ca.mean(0)[:args.show + 1]}")
    print(f"mean curve {args.b}: {cb.mean(0)[:args.show + 1]}")
    print(f"B - A per step:   {(cb - ca).mean(0)[:args.show + 1]}")
    # Each interval's trapezoid, so that the area splits into the first EARLY intervals and the rest.
    diff = ((cb[:, :-1] + cb[:, 1:]) - (ca[:, :-1] + ca[:, 1:])) / 2 / steps
    print(f"B - A deletion: {diff.sum(1).mean():+.4f} = {diff[:, :args.early].sum(1).mean():+.4f} "
          f"(steps 1-{args.early}) {diff[:, args.early:].sum(1).mean():+.4f} (the rest)")
    if args.median:
        print(f"median curve {args.a}: {np.median(ca, 0)[:args.show + 1]}")
        print(f"median curve {args.b}: {np.median(cb, 0)[:args.show + 1]}")
        early, rest = diff[:, :args.early].sum(1), diff[:, args.early:].sum(1)
        print(f"B lower on the first {args.early} steps: {(early < 0).mean():.2f} of the images "
              f"(median {np.median(early):+.4f}); after them: {(rest < 0).mean():.2f} "
              f"(median {np.median(rest):+.4f})")
    per_image = diff.sum(1)
    print(f"image by image: B's deletion lower on {(per_image < 0).mean():.2f} of the images, "
          f"median B - A {np.median(per_image):+.4f}, mean {per_image.mean():+.4f}")
    for name, c in ((args.a, ca), (args.b, cb)):
        rise = (c - np.minimum.accumulate(c, axis=1)).max(1)
        print(f"{name}: curves rising again after a fall by > 0.3: {(rise > 0.3).mean():.2f}, "
              f"> 0.5: {(rise > 0.5).mean():.2f}")
    if args.splice:
        splices(args.run, args, model, mean, std, {i: a[i] for i in ids})
    if args.background_last is not None:
        background_moves(args.run, args, model, mean, std, {args.a: a, args.b: b})


if __name__ == "__main__":
    main()
