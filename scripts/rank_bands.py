#!/usr/bin/env python3
"""Where a saliency map's ranks fall around the annotated items (issue 11, sixteenth round).

For each band of ranks (the map's top 256 pixels, the next 768, ...: deletion's steps at 256
pixels), the mean share of the band's pixels inside an item's box and in the ring of RING pixels
around the boxes (outside every box), over the images of a `borex batch` run's saved maps
(OUT/shard-*/maps/METHOD/ID.npy or OUT/maps/METHOD/ID.npy). A map that ranks an item's
surroundings right after the item (a halo) puts a large share of the middle bands in the ring.

  /usr/bin/python3 scripts/rank_bands.py --data data/scenes \\
      --ids out/refinement15/model2-test-defaults/single-closed.txt \\
      out/refinement15/model2-test-defaults rise borex:rise

--item-shares (the thirty-fourth round): instead of the bands, over the scenes with several items,
the map's top 2.5, 5, 10 and 20% of pixels: the share inside the items' boxes (precision), the
share of the items with at least 20% of their box in it, and the mean ratio of the least covered
item's share of its box to the most covered one's. A map that piles onto one item of several
keeps its precision and loses the last two.

--paired-shares (the thirty-eighth round): two methods, scene by scene (the scenes with one item
and those with several apart): where the top 10, 20, 30 and 40% of each map's pixels fall, in the
items' boxes, in the ring of RING pixels around them, on the other objects (--distractors: the
second generator's distractors, regenerated with scripts/make_scenes.py from SEED and
MULTI_FRACTION; each scene is checked against its stored image), or on the rest of the
background; the first method's mean share, the second's, and the one-sided Wilcoxon p that the
second's share is the larger. And where each map's maximum (the pointing game's pixel) lies, over
all scenes and in the scenes where one method's pointing game hits (the runs' CSVs) and the
other's misses.

  /usr/bin/python3 scripts/rank_bands.py --data data/shifted_scenes --paired-shares \
      --distractors 0,0.5 out/refinement34/model1-shifted-holdout gradcam++ borex:gradcam++

Ties are ranked in raster order, as borex's deletion does.
"""
import argparse
import csv
import glob
import os
import xml.etree.ElementTree as ElementTree

import numpy as np
from PIL import Image

from refine_quality import fmt_p, wilcoxon_greater

BANDS = [(0, 256), (256, 1024), (1024, 2048), (2048, 4096), (4096, 8192)]


ITEM_FRACTIONS = [0.025, 0.05, 0.1, 0.2]
ITEM_REACHED = 0.2  # an item is reached when this share of its box is in the top fraction
TOP_FRACTIONS = [0.1, 0.2, 0.3, 0.4]
PLACES = ["boxes", "ring", "distractors", "background"]


def item_coordinates(data, image_id):
    """Each annotated item's box as 0-based, end-exclusive (row0, row1, col0, col1)."""
    boxes = []
    annotation = os.path.join(data, "Annotations", image_id + ".xml")
    for item in ElementTree.parse(annotation).findall("object"):
        box = item.find("bndbox")
        x0, y0, x1, y1 = (int(float(box.find(k).text)) for k in ("xmin", "ymin", "xmax", "ymax"))
        # VOC boxes are 1-based and inclusive: the box's pixels are x0 - 1 .. x1 - 1.
        boxes.append((y0 - 1, y1, x0 - 1, x1))
    return boxes


def item_boxes(data, image_id, shape):
    """One boolean map per annotated item: its box."""
    boxes = []
    for row0, row1, col0, col1 in item_coordinates(data, image_id):
        region = np.zeros(shape, bool)
        region[row0:row1, col0:col1] = True
        boxes.append(region)
    return boxes


def box_regions(data, image_id, shape, ring):
    """Boolean maps of the items' boxes and of the ring of `ring` pixels around them."""
    inside = np.zeros(shape, bool)
    near = np.zeros(shape, bool)
    for row0, row1, col0, col1 in item_coordinates(data, image_id):
        inside[row0:row1, col0:col1] = True
        near[max(0, row0 - ring):row1 + ring, max(0, col0 - ring):col1 + ring] = True
    return inside, near & ~inside


def item_shares(saliency, boxes):
    """Per top fraction of ITEM_FRACTIONS: (precision, share of the items reached, least / most
    covered item's share of its box)."""
    order = np.argsort(-saliency.ravel(), kind="stable")
    inside = np.logical_or.reduce(boxes).ravel()
    rows = []
    for fraction in ITEM_FRACTIONS:
        top = np.zeros(saliency.size, bool)
        k = int(fraction * saliency.size)
        top[order[:k]] = True
        covered = np.array([top[box.ravel()].mean() for box in boxes])
        rows.append((inside[top].mean(), (covered >= ITEM_REACHED).mean(),
                     covered.min() / covered.max() if covered.max() > 0 else 0.0))
    return np.array(rows)


def top_shares(saliency, places, fractions=TOP_FRACTIONS):
    """For each fraction, the share of the map's top fraction of pixels in each of `places`
    (boolean maps): an array fractions x places."""
    order = np.argsort(-saliency.ravel(), kind="stable")
    rows = []
    for fraction in fractions:
        top = order[:int(fraction * saliency.size)]
        rows.append([place.ravel()[top].mean() for place in places])
    return np.array(rows)


def place_of_maximum(saliency, places):
    """The index of the place holding the map's maximum (the first in raster order, as borex's
    pointing game takes it)."""
    best = int(np.argmax(saliency.ravel()))
    return next(k for k, place in enumerate(places) if place.ravel()[best])


def scene_places(data, image_id, shape, ring, distractors=None):
    """The items' boxes, the ring around them, the other objects outside both (distractors: their
    boxes as (top, left, height, width); none when None) and the rest, as boolean maps."""
    inside, near = box_regions(data, image_id, shape, ring)
    other = np.zeros(shape, bool)
    for top, left, height, width in distractors or []:
        other[top:top + height, left:left + width] = True
    other &= ~inside & ~near
    return [inside, near, other, ~(inside | near | other)]


def add_distractors_argument(parser, use):
    """--distractors SEED,MULTI_FRACTION: the second generator's settings its scenes were made
    with, parsed to (seed, multi-fraction) for shifted_distractors; `use` says what for."""
    def spec(text):
        try:
            seed, multi_fraction = text.split(",")
            return int(seed), float(multi_fraction)
        except ValueError:
            raise argparse.ArgumentTypeError(f"'{text}' is not SEED,MULTI_FRACTION (e.g. 0,0.5)")
    parser.add_argument("--distractors", metavar="SEED,MULTI_FRACTION", type=spec,
                        help=f"{use}: the second generator's distractors too, regenerated "
                             "(make_scenes.py --style shifted)")


def shifted_distractors(data, image_id, seed, multi_fraction):
    """The distractors' boxes of the second generator's scene `image_id` (split_index),
    regenerated with make_scenes.py; refuses a scene whose regenerated image differs from the
    stored one (another seed or multi-fraction)."""
    import make_scenes  # the generator's Fashion-MNIST, only where distractors are asked for
    if not make_scenes._FASHION:
        make_scenes._load_fashion_into_worker()
    split, index = image_id.rsplit("_", 1)
    boxes = []
    _, image, _ = make_scenes.make_shifted_scene(make_scenes._FASHION, seed, split, int(index),
                                                 multi_fraction, 0.3, distractor_boxes=boxes)
    stored = np.asarray(Image.open(os.path.join(data, "JPEGImages", image_id + ".png"))
                        .convert("RGB"))
    if not np.array_equal(stored, image):
        raise SystemExit(f"rank_bands: {image_id}: the shifted generator with seed {seed} and "
                         f"multi-fraction {multi_fraction} does not make the stored image")
    return boxes


def map_paths(run, method):
    paths = glob.glob(os.path.join(run, "shard-*", "maps", method, "*.npy"))
    paths += glob.glob(os.path.join(run, "maps", method, "*.npy"))
    return {os.path.splitext(os.path.basename(p))[0]: p for p in paths}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", required=True, help="the VOC-style dataset (Annotations/)")
    parser.add_argument("--ids", help="a file of image ids, one per line: only these images")
    parser.add_argument("--ring", type=int, default=8, help="the ring's width in pixels (8)")
    parser.add_argument("--item-shares", action="store_true",
                        help="scenes with several items: precision and item coverage of the top "
                             "2.5, 5, 10, 20%% of pixels instead of the bands")
    parser.add_argument("--paired-shares", action="store_true",
                        help="two methods: where each map's top 10-40%% of pixels fall, scene by "
                             "scene, with the signed-rank test")
    add_distractors_argument(parser, "--paired-shares")
    parser.add_argument("run", help="a batch output directory")
    parser.add_argument("methods", nargs="+", help="methods whose saved maps to read")
    args = parser.parse_args()
    wanted = set(open(args.ids).read().split()) if args.ids else None
    if args.item_shares:
        return print_item_shares(args, wanted)
    if args.paired_shares:
        return print_paired_shares(args, wanted)
    print(f"{args.run}: the share of each band of ranks inside the items' boxes / in the "
          f"{args.ring}-pixel ring around them")
    for method in args.methods:
        paths = map_paths(args.run, method)
        ids = sorted(i for i in paths if wanted is None or i in wanted)
        if not ids:
            raise SystemExit(f"rank_bands: no saved {method} maps under {args.run}")
        shares = np.zeros((len(BANDS), 2))
        for image_id in ids:
            saliency = np.load(paths[image_id]).astype(np.float64)
            inside, ring = box_regions(args.data, image_id, saliency.shape, args.ring)
            order = np.argsort(-saliency.ravel(), kind="stable")
            for k, (first, last) in enumerate(BANDS):
                band = order[first:last]
                shares[k] += inside.ravel()[band].mean(), ring.ravel()[band].mean()
        shares /= len(ids)
        bands = " ".join(f"[{a}, {b}): {s[0]:.2f} / {s[1]:.2f}" for (a, b), s in zip(BANDS, shares))
        print(f"  {method} ({len(ids)} images) {bands}")


def print_item_shares(args, wanted):
    fractions = ", ".join(f"{f:.1%}" for f in ITEM_FRACTIONS)
    print(f"{args.run}: scenes with several items, the top {fractions} of pixels: precision / "
          f"items reached ({ITEM_REACHED:.0%} of the box) / least over most covered item")
    for method in args.methods:
        paths = map_paths(args.run, method)
        rows = []
        for image_id in sorted(i for i in paths if wanted is None or i in wanted):
            saliency = np.load(paths[image_id]).astype(np.float64)
            boxes = item_boxes(args.data, image_id, saliency.shape)
            if len(boxes) > 1:
                rows.append(item_shares(saliency, boxes))
        if not rows:
            raise SystemExit(f"rank_bands: no saved {method} maps of scenes with several items "
                             f"under {args.run}")
        mean = np.mean(rows, axis=0)
        cells = " ".join(f"{f:.1%}: {m[0]:.3f} / {m[1]:.3f} / {m[2]:.3f}"
                         for f, m in zip(ITEM_FRACTIONS, mean))
        print(f"  {method} ({len(rows)} images) {cells}")


def print_paired_shares(args, wanted):
    if len(args.methods) != 2:
        raise SystemExit("rank_bands: --paired-shares compares two methods")
    first, second = (map_paths(args.run, method) for method in args.methods)
    ids = sorted(i for i in first if i in second and (wanted is None or i in wanted))
    if not ids:
        raise SystemExit(f"rank_bands: no scene with saved maps of both methods under {args.run}")
    hits = [{row["image_id"]: float(row["pointing_hit"]) > 0
             for row in csv.DictReader(open(os.path.join(args.run, method + ".csv")))}
            for method in args.methods]
    shares = {True: [], False: []}  # by "several items"
    maxima = {True: [], False: []}  # per scene: each map's place of maximum and pointing hit
    for image_id in ids:
        maps = [np.load(paths[image_id]) for paths in (first, second)]
        distractors = (shifted_distractors(args.data, image_id, *args.distractors)
                       if args.distractors else None)
        places = scene_places(args.data, image_id, maps[0].shape, args.ring, distractors)
        several = len(item_coordinates(args.data, image_id)) > 1
        shares[several].append([top_shares(saliency.astype(np.float64), places)
                                for saliency in maps])
        maxima[several].append([(place_of_maximum(saliency, places), hit[image_id])
                                for saliency, hit in zip(maps, hits)])
    names = PLACES if args.distractors else [PLACES[0], PLACES[1], PLACES[3]]
    columns = [0, 1, 2, 3] if args.distractors else [0, 1, 3]
    print(f"{args.run}: the share of each map's top pixels in the items' boxes, the "
          f"{args.ring}-pixel ring, {'the distractors, ' if args.distractors else ''}the rest of "
          f"the background: {args.methods[0]} -> {args.methods[1]}, p (the second's larger)")
    for several in (False, True):
        if not shares[several]:
            continue
        pairs = np.array(shares[several])  # scenes x 2 x fractions x places
        print(f"  {'several items' if several else 'one item'} ({len(pairs)} scenes)")
        for k, fraction in enumerate(TOP_FRACTIONS):
            cells = []
            for name, place in zip(names, columns):
                a, b = pairs[:, 0, k, place], pairs[:, 1, k, place]
                cells.append(f"{name} {a.mean():.3f} -> {b.mean():.3f} "
                             f"({fmt_p(wilcoxon_greater(b - a))})")
            print(f"    top {fraction:.0%}: " + ", ".join(cells))
        print("\n".join(maximum_lines(maxima[several], args.methods, names, columns)))


def maximum_lines(scenes, methods, names, columns):
    """Where each method's maximum lies over `scenes` (per scene, per method: (place, hit)), and
    where the one that misses has it in the scenes where one method's pointing game hits and the
    other's misses."""
    def places_line(picked, method):
        counts = np.bincount(np.asarray(picked, int), minlength=len(PLACES))
        return (f"{method}'s maximum in " +
                ", ".join(f"{name} {counts[place]}" for name, place in zip(names, columns)))

    lines = [f"    {places_line([s[k][0] for s in scenes], method)}"
             for k, method in enumerate(methods)]
    for winner, loser in ((0, 1), (1, 0)):
        lost = [s[loser][0] for s in scenes if s[winner][1] and not s[loser][1]]
        lines.append(f"    {methods[winner]} hits, {methods[loser]} misses ({len(lost)} scenes): "
                     f"{places_line(lost, methods[loser])}")
    return lines


if __name__ == "__main__":
    main()
