#!/usr/bin/python3
"""Copies three test-split scenes the scene classifier gets right to examples/.

Runs the exported TorchScript model (with its borex.json metadata: class names, input size,
mean/std) over the test split of a make_scenes.py directory, in id order, and picks
  scene_single: the first scene with ONE target item,
  scene_multi:  the first scene with 3 target items,
  scene_third:  the first single-item scene of a class different from the other two,
each classified correctly with softmax probability >= --min-probability. Copies the image and its
VOC XML to --examples as scene_<kind>.png and scene_<kind>.xml (the XML's <filename> is updated
to the new name) and prints what it chose. Deterministic: no randomness, fixed order.

Usage:
  /usr/bin/python3 scripts/pick_examples.py --data data/scenes \\
      --model models/fashion_scenes_resnet.pt --examples examples
"""
import argparse
import json
import os
import shutil
import xml.etree.ElementTree as ET

import numpy as np
import torch
from PIL import Image


def load_borex_model(path):
    """The TorchScript model at `path` (eval mode, CPU) and its borex metadata (a dict)."""
    extra_files = {"borex.json": ""}
    try:
        model = torch.jit.load(path, map_location="cpu", _extra_files=extra_files)
    except (RuntimeError, ValueError) as error:
        raise SystemExit(f"{path}: not a TorchScript model ({str(error).splitlines()[0]})")
    if not extra_files["borex.json"]:
        raise SystemExit(f"{path}: no borex.json metadata (scripts/README-models.md)")
    return model.eval(), json.loads(extra_files["borex.json"])


def classify(model, meta, image_path):
    """(label, probability) of the top class, preprocessing the image as borex does."""
    with Image.open(image_path) as im:
        rgb = im.convert("RGB").resize(tuple(meta["input_size"][::-1]), Image.BILINEAR)
    x = torch.from_numpy(np.asarray(rgb, np.float32) / 255.0).permute(2, 0, 1)[None]
    x = (x - torch.tensor(meta["mean"]).view(1, 3, 1, 1)) / torch.tensor(meta["std"]).view(1, 3, 1, 1)
    with torch.no_grad():
        probabilities = torch.softmax(model(x), 1)[0]
    label = int(probabilities.argmax())
    return label, float(probabilities[label])


def main():
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], epilog=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", required=True, help="scene directory from make_scenes.py")
    parser.add_argument("--model", required=True, help="borex TorchScript model")
    parser.add_argument("--examples", required=True, help="output directory")
    parser.add_argument("--min-probability", type=float, default=0.9,
                        help="minimum softmax probability of the true class (default 0.9)")
    args = parser.parse_args()
    torch.set_num_threads(2)
    model, meta = load_borex_model(args.model)
    with open(os.path.join(args.data, "ImageSets", "Main", "test.txt")) as f:
        test_ids = [line.strip() for line in f if line.strip()]

    chosen = {}
    wanted = [("single", lambda n, c: n == 1),
              ("multi", lambda n, c: n == 3),
              ("third", lambda n, c: n == 1 and c not in {v["class"] for v in chosen.values()})]
    for kind, accepts in wanted:
        for image_id in test_ids:
            tree = ET.parse(os.path.join(args.data, "Annotations", f"{image_id}.xml"))
            names = [obj.find("name").text for obj in tree.findall("object")]
            if not names or any(image_id == v["id"] for v in chosen.values()):
                continue
            if not accepts(len(names), names[0]):
                continue
            image_path = os.path.join(args.data, "JPEGImages", tree.find("filename").text)
            label, probability = classify(model, meta, image_path)
            if meta["class_names"][label] == names[0] and probability >= args.min_probability:
                chosen[kind] = {"id": image_id, "class": names[0], "items": len(names),
                                "probability": round(probability, 4),
                                "tree": tree, "image": image_path}
                break
        else:
            raise SystemExit(f"pick_examples: no test scene for {kind!r}")

    os.makedirs(args.examples, exist_ok=True)
    for kind, choice in chosen.items():
        extension = os.path.splitext(choice["image"])[1]
        name = f"scene_{kind}{extension}"
        shutil.copyfile(choice["image"], os.path.join(args.examples, name))
        choice["tree"].find("filename").text = name
        choice["tree"].write(os.path.join(args.examples, f"scene_{kind}.xml"))
        print(f"pick_examples: {name} <- {choice['id']} ({choice['class']}, "
              f"{choice['items']} item(s), p={choice['probability']})")


if __name__ == "__main__":
    main()
