#!/usr/bin/env python3
"""What the model says about each item of a several-item scene, and which item a map favours
(issue 11, thirty-fourth round).

For every scene with several annotated items of a `borex batch` run, the model's probability of
the label on the whole image, with each item's box alone visible (the rest in the model's mean
colour, the in-fill of BOREx's observations), with each item's box hidden, and with every box
hidden. Printed: the means of p(whole), p(every item hidden), the largest drop one item's hiding
causes (one item's necessity) and the drop hiding them all causes; and, for each method, how
often the item its top FRACTION of pixels covers most is the item the model finds most sufficient
alone (the highest p with only that item visible), against the chance of picking one at random.

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
from rank_bands import item_boxes, map_paths


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


def most_covered(saliency, boxes, fraction):
    """The index of the item with the largest share of its box in the map's top `fraction` of
    pixels (ties in raster order, as borex's deletion ranks; the first item of equal shares)."""
    order = np.argsort(-saliency.ravel(), kind="stable")
    top = np.zeros(saliency.size, bool)
    top[order[:int(fraction * saliency.size)]] = True
    return int(np.argmax([top[box.ravel()].mean() for box in boxes]))


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
        for method in args.methods:
            saliency = np.load(paths[method][image_id]).astype(np.float64)
            agrees[method].append(most_covered(saliency, boxes, args.fraction) ==
                                  int(np.argmax(alone)))
    print(f"{args.run}: {len(whole)} scenes with several items; mean p(label): whole "
          f"{np.mean(whole):.3f}, every item hidden {np.mean(hidden_all):.3f}; the largest drop "
          f"one item's hiding causes {np.mean(one_necessity):.3f}, hiding them all "
          f"{np.mean(all_necessity):.3f}")
    for method in args.methods:
        print(f"  {method}: the item its top {args.fraction:.0%} covers most is the one most "
              f"sufficient alone in {np.mean(agrees[method]):.3f} of the scenes (chance "
              f"{np.mean(chance):.3f})")


if __name__ == "__main__":
    main()
