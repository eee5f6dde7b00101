#!/usr/bin/env python3
"""How strongly the model sees each image's label: a CSV to filter `borex compare` with.

For every row of a `borex batch` CSV (its image_id and label), the model's softmax probability of
that label on the whole image, the largest probability and its class, whether the label is the
model's top class, and the number of annotated items (objects) in the image:

  image_id,label,probability,top_probability,predicted,correct,items

  /usr/bin/python3 scripts/label_probability.py --data data/scenes \\
      --model models/fashion_scenes_resnet.pt out/test/rise.csv > out/test/label_probability.csv
  borex compare out/test/borex:gradcam++.csv out/test/gradcam++.csv --metric pointing_hit \\
      --alternative less --where 'out/test/label_probability.csv:items<2' \\
      --where 'out/test/label_probability.csv:correct>0'

(issue 11, eighteenth round: whether a refinement's losses are confined to images whose label the
model does not recognise). Needs Debian's python3-torch (/usr/bin/python3), numpy and PIL; the
model must carry borex metadata (mean, std) and take the images' own size.
"""
import argparse
import csv
import os
import sys

import numpy as np
import torch
from PIL import Image

from deletion_curves import image_path, load_model
from refine_quality import item_count


def probabilities(model, mean, std, image):
    """The softmax over the classes of one RGB uint8 image (H, W, 3)."""
    x = torch.tensor(np.asarray(image)).permute(2, 0, 1)[None].float() / 255
    with torch.no_grad():
        return torch.softmax(model((x - mean) / std), 1)[0].numpy()


def rows(model, mean, std, data, batch_rows):
    for row in batch_rows:
        image = Image.open(image_path(data, row["image_id"])).convert("RGB")
        p = probabilities(model, mean, std, image)
        label = int(row["label"])
        top = int(np.argmax(p))
        yield {"image_id": row["image_id"], "label": label, "probability": f"{p[label]:.6g}",
               "top_probability": f"{p[top]:.6g}", "predicted": top,
               "correct": int(top == label), "items": item_count(data, row["image_id"])}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("batch_csv", help="a per-method CSV of `borex batch` (image_id, label)")
    parser.add_argument("--data", required=True, help="the VOC root of the batch")
    parser.add_argument("--model", required=True, help="the batch's TorchScript model")
    args = parser.parse_args()
    torch.set_num_threads(os.cpu_count() or 1)
    model, mean, std = load_model(args.model)
    with open(args.batch_csv) as f:
        batch_rows = list(csv.DictReader(f))
    columns = ["image_id", "label", "probability", "top_probability", "predicted", "correct",
               "items"]
    writer = csv.DictWriter(sys.stdout, columns, lineterminator="\n")
    writer.writeheader()
    for row in rows(model, mean, std, args.data, batch_rows):
        writer.writerow(row)


if __name__ == "__main__":
    main()
