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
model does not recognise).

--background (the thirty-eighth round) adds the column background_hidden: the label's probability
with the background, every pixel outside the boxes, the RING-pixel ring around them (--ring, 8)
and, with --distractors SEED,MULTI_FRACTION, the second generator's distractors
(scripts/rank_bands.py), in the model's mean colour (the in-fill of BOREx's observations): how
much the model's score rests on the background. --background-fill texture puts another draw of
the second generator's textured background there instead (scripts/make_scenes.py's
textured_background and pixel noise, from the stream [scene number, 7]): whether the score rests
on the scene's own background or on there being one. --summary prints, instead of the CSV, the
means, the median change and the one-sided Wilcoxon p that hiding the background lowers the
score.

Needs Debian's python3-torch (/usr/bin/python3), numpy and PIL; the
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
from rank_bands import add_distractors_argument, scene_places, shifted_distractors
from refine_quality import fmt_p, item_count, wilcoxon_greater


def probabilities(model, mean, std, image):
    """The softmax over the classes of one RGB uint8 image (H, W, 3)."""
    x = torch.tensor(np.asarray(image)).permute(2, 0, 1)[None].float() / 255
    with torch.no_grad():
        return torch.softmax(model((x - mean) / std), 1)[0].numpy()


def background_hidden(image, places, fill):
    """The image with its background (the last of scene_places' places) taken from `fill`, a
    colour or an image of the same size."""
    return np.where(places[-1][..., None], fill, image).astype(np.uint8)


def other_texture(image_id):
    """Another draw of the second generator's background for the scene `image_id` (split_number):
    its textured background and pixel noise from the stream [number, 7], as uint8."""
    import make_scenes  # the generator, only where a texture is asked for
    rng = np.random.default_rng([int(image_id.rsplit("_", 1)[1]), 7])
    canvas = make_scenes.textured_background(rng)
    canvas += rng.normal(0.0, 5.0, canvas.shape).astype(np.float32)
    return np.clip(np.rint(canvas), 0, 255).astype(np.uint8)


def rows(model, mean, std, data, batch_rows, background=None):
    """One row per batch row; `background` (ring, distractors' (seed, multi-fraction) or None,
    fill "mean" or "texture") adds background_hidden."""
    mean_colour = np.rint(mean.view(3).numpy() * 255)
    for row in batch_rows:
        image = np.asarray(Image.open(image_path(data, row["image_id"])).convert("RGB"))
        p = probabilities(model, mean, std, image)
        label = int(row["label"])
        top = int(np.argmax(p))
        out = {"image_id": row["image_id"], "label": label, "probability": f"{p[label]:.6g}",
               "top_probability": f"{p[top]:.6g}", "predicted": top,
               "correct": int(top == label), "items": item_count(data, row["image_id"])}
        if background is not None:
            ring, distractors, fill_kind = background
            fill = other_texture(row["image_id"]) if fill_kind == "texture" else mean_colour
            boxes = shifted_distractors(data, row["image_id"], *distractors) if distractors else None
            places = scene_places(data, row["image_id"], image.shape[:2], ring, boxes)
            hidden = probabilities(model, mean, std, background_hidden(image, places, fill))
            out["background_hidden"] = f"{hidden[label]:.6g}"
        yield out


def background_summary(table):
    """The summary line of --summary over rows with background_hidden."""
    whole = np.array([float(r["probability"]) for r in table])
    hidden = np.array([float(r["background_hidden"]) for r in table])
    return (f"{len(table)} images: p(label) {whole.mean():.3f} whole, {hidden.mean():.3f} with the "
            f"background replaced; median change {np.median(hidden - whole):+.3f}, median |change| "
            f"{np.median(np.abs(hidden - whole)):.3f}; p(lower) = {fmt_p(wilcoxon_greater(whole - hidden))}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("batch_csv", help="a per-method CSV of `borex batch` (image_id, label)")
    parser.add_argument("--data", required=True, help="the VOC root of the batch")
    parser.add_argument("--model", required=True, help="the batch's TorchScript model")
    parser.add_argument("--background", action="store_true",
                        help="add background_hidden: p(label) with the background hidden")
    parser.add_argument("--ring", type=int, default=8,
                        help="--background: the ring around the boxes kept, in pixels (8)")
    add_distractors_argument(parser, "--background: keep")
    parser.add_argument("--background-fill", choices=["mean", "texture"], default="mean",
                        help="--background: the model's mean colour (default) or another draw of "
                             "the second generator's background")
    parser.add_argument("--summary", action="store_true",
                        help="--background: print one summary line instead of the CSV")
    args = parser.parse_args()
    torch.set_num_threads(os.cpu_count() or 1)
    model, mean, std = load_model(args.model)
    with open(args.batch_csv) as f:
        batch_rows = list(csv.DictReader(f))
    background = (args.ring, args.distractors, args.background_fill) if args.background else None
    table = list(rows(model, mean, std, args.data, batch_rows, background))
    if args.summary:
        if background is None:
            raise SystemExit("label_probability: --summary needs --background")
        return print(background_summary(table))
    columns = ["image_id", "label", "probability", "top_probability", "predicted", "correct",
               "items"] + (["background_hidden"] if background else [])
    writer = csv.DictWriter(sys.stdout, columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(table)


if __name__ == "__main__":
    main()
