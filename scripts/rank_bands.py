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

Ties are ranked in raster order, as borex's deletion does.
"""
import argparse
import glob
import os
import xml.etree.ElementTree as ElementTree

import numpy as np

BANDS = [(0, 256), (256, 1024), (1024, 2048), (2048, 4096), (4096, 8192)]


def box_regions(data, image_id, shape, ring):
    """Boolean maps of the items' boxes and of the ring of `ring` pixels around them."""
    inside = np.zeros(shape, bool)
    near = np.zeros(shape, bool)
    annotation = os.path.join(data, "Annotations", image_id + ".xml")
    for item in ElementTree.parse(annotation).findall("object"):
        box = item.find("bndbox")
        x0, y0, x1, y1 = (int(float(box.find(k).text)) for k in ("xmin", "ymin", "xmax", "ymax"))
        # VOC boxes are 1-based and inclusive: the box's pixels are x0 - 1 .. x1 - 1.
        inside[y0 - 1:y1, x0 - 1:x1] = True
        near[max(0, y0 - 1 - ring):y1 + ring, max(0, x0 - 1 - ring):x1 + ring] = True
    return inside, near & ~inside


def map_paths(run, method):
    paths = glob.glob(os.path.join(run, "shard-*", "maps", method, "*.npy"))
    paths += glob.glob(os.path.join(run, "maps", method, "*.npy"))
    return {os.path.splitext(os.path.basename(p))[0]: p for p in paths}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", required=True, help="the VOC-style dataset (Annotations/)")
    parser.add_argument("--ids", help="a file of image ids, one per line: only these images")
    parser.add_argument("--ring", type=int, default=8, help="the ring's width in pixels (8)")
    parser.add_argument("run", help="a batch output directory")
    parser.add_argument("methods", nargs="+", help="methods whose saved maps to read")
    args = parser.parse_args()
    wanted = set(open(args.ids).read().split()) if args.ids else None
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


if __name__ == "__main__":
    main()
