#!/usr/bin/python3
"""Generates Fashion-MNIST "scenes" in PascalVOC layout, with ground-truth boxes.

Each 128x128 RGB scene has one target class (one of the 10 Fashion-MNIST classes): one item of
that class, or two to three of them in about a third of scenes (--multi-fraction), tinted and
composited onto a cluttered coloured background (smooth gradient plus random shapes), with one to
three fragments of items of other classes as distractors. Target boxes are the tight boxes of the
items' visible pixels. Train and val scenes draw items from Fashion-MNIST's training split, test
scenes from its test split, so test items are unseen.

Usage:
  /usr/bin/python3 scripts/make_scenes.py --out data/scenes --train 12000 --val 1000 --test 1000

Output: OUT/JPEGImages/<id>.png, OUT/Annotations/<id>.xml (VOC: <object><name><bndbox>, 1-based
pixel coordinates), OUT/ImageSets/Main/{train,val,test}.txt. Deterministic for a given --seed:
scene k of split S uses its own generator seeded with (seed, S, k).
"""
import argparse
import gzip
import os
from multiprocessing import Pool
from xml.sax.saxutils import escape

import numpy as np
from PIL import Image, ImageDraw

CLASS_NAMES = ["tshirt_top", "trouser", "pullover", "dress", "coat", "sandal", "shirt",
               "sneaker", "bag", "ankle_boot"]
SIZE = 128
FASHION_DIR = "/usr/share/datasets/fashion-mnist"
SPLITS = {"train": 0, "val": 1, "test": 2}


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, np.uint8, offset=4 + 4 * dims).reshape(shape)


def load_fashion(kind):
    prefix = "train" if kind == "train" else "t10k"
    images = read_idx(os.path.join(FASHION_DIR, f"{prefix}-images-idx3-ubyte.gz"))
    labels = read_idx(os.path.join(FASHION_DIR, f"{prefix}-labels-idx1-ubyte.gz"))
    return images, labels


def random_colour(rng, low=0, high=255):
    return rng.integers(low, high + 1, size=3)


def background(rng):
    """A smooth two-colour gradient along a random direction, plus random clutter shapes."""
    c0, c1 = random_colour(rng, 20, 235).astype(np.float32), random_colour(rng, 20, 235).astype(np.float32)
    angle = rng.uniform(0, 2 * np.pi)
    yy, xx = np.mgrid[0:SIZE, 0:SIZE].astype(np.float32) / SIZE
    t = (np.cos(angle) * xx + np.sin(angle) * yy)
    t = (t - t.min()) / max(t.max() - t.min(), 1e-6)
    canvas = Image.fromarray((c0 * (1 - t[..., None]) + c1 * t[..., None]).astype(np.uint8))
    draw = ImageDraw.Draw(canvas, "RGBA")
    for _ in range(rng.integers(6, 14)):
        colour = tuple(int(v) for v in random_colour(rng)) + (int(rng.integers(90, 200)),)
        x0, y0 = rng.integers(-20, SIZE, size=2)
        w, h = rng.integers(6, 40, size=2)
        shape = rng.integers(3)
        if shape == 0:
            draw.rectangle([x0, y0, x0 + w, y0 + h], fill=colour)
        elif shape == 1:
            draw.ellipse([x0, y0, x0 + w, y0 + h], fill=colour)
        else:
            draw.line([x0, y0, x0 + rng.integers(-60, 60), y0 + rng.integers(-60, 60)],
                      fill=colour, width=int(rng.integers(1, 5)))
    return np.asarray(canvas).astype(np.float32)


def composite(canvas, item, top, left, size, rng):
    """Alpha-composites a tinted grayscale item (its intensity is the alpha) at (top, left)."""
    resized = np.asarray(Image.fromarray(item).resize((size[1], size[0]), Image.BILINEAR),
                         np.float32) / 255.0
    alpha = np.clip(resized * 1.3, 0, 1)
    colour = random_colour(rng, 0, 255).astype(np.float32)
    shade = 0.55 + 0.45 * resized  # keep the item's texture visible
    rows = slice(max(top, 0), min(top + size[0], SIZE))
    cols = slice(max(left, 0), min(left + size[1], SIZE))
    a = alpha[rows.start - top:rows.stop - top, cols.start - left:cols.stop - left, None]
    s = shade[rows.start - top:rows.stop - top, cols.start - left:cols.stop - left, None]
    canvas[rows, cols] = canvas[rows, cols] * (1 - a) + (colour * s) * a
    visible = np.zeros((SIZE, SIZE), bool)
    visible[rows, cols] = a[..., 0] > 0.3
    return visible


def make_scene(args):
    seed, split, index, multi_fraction = args
    images, labels = FASHION[("train" if split != "test" else "test")]
    rng = np.random.default_rng([seed, SPLITS[split], index])
    target = int(rng.integers(10))
    count = 1 if rng.uniform() >= multi_fraction else int(rng.integers(2, 4))
    canvas = background(rng)
    target_pool = np.flatnonzero(labels == target)
    other_pool = np.flatnonzero(labels != target)
    # Distractors first, so target items are drawn over them.
    for _ in range(rng.integers(1, 4)):
        item = images[rng.choice(other_pool)]
        frac = rng.uniform(0.35, 0.5)
        h = w = int(28 * frac)
        r0, c0 = rng.integers(0, 28 - h + 1), rng.integers(0, 28 - w + 1)
        fragment = item[r0:r0 + h, c0:c0 + w]
        side = int(rng.integers(18, 34))
        composite(canvas, fragment, int(rng.integers(-4, SIZE - side + 4)),
                  int(rng.integers(-4, SIZE - side + 4)), (side, side), rng)
    boxes, placed = [], []
    for _ in range(count):
        side = int(rng.integers(30, 53)) if count == 1 else int(rng.integers(30, 46))
        for _attempt in range(20):
            top, left = int(rng.integers(0, SIZE - side + 1)), int(rng.integers(0, SIZE - side + 1))
            overlap = max([min(top + side, t + s) - max(top, t) > side * 0.3 and
                           min(left + side, l + s) - max(left, l) > side * 0.3
                           for t, l, s in placed] + [False])
            if not overlap:
                break
        placed.append((top, left, side))
        visible = composite(canvas, images[rng.choice(target_pool)], top, left, (side, side), rng)
        rows, cols = np.flatnonzero(visible.any(1)), np.flatnonzero(visible.any(0))
        if len(rows) and len(cols):
            boxes.append((cols[0] + 1, rows[0] + 1, cols[-1] + 1, rows[-1] + 1))
    noise = rng.normal(0, 4, canvas.shape)
    return target, np.clip(canvas + noise, 0, 255).astype(np.uint8), boxes


def annotation_xml(image_id, filename, name, boxes):
    objects = "".join(
        f"  <object>\n    <name>{escape(name)}</name>\n    <pose>Unspecified</pose>\n"
        f"    <truncated>0</truncated>\n    <difficult>0</difficult>\n"
        f"    <bndbox><xmin>{b[0]}</xmin><ymin>{b[1]}</ymin><xmax>{b[2]}</xmax><ymax>{b[3]}</ymax></bndbox>\n"
        f"  </object>\n" for b in boxes)
    return (f"<annotation>\n  <folder>scenes</folder>\n  <filename>{filename}</filename>\n"
            f"  <size><width>{SIZE}</width><height>{SIZE}</height><depth>3</depth></size>\n"
            f"{objects}</annotation>\n")


FASHION = {}


def init_worker():
    FASHION["train"] = load_fashion("train")
    FASHION["test"] = load_fashion("test")


def write_scene(job):
    out, fmt, seed, split, index, multi_fraction = job
    target, image, boxes = make_scene((seed, split, index, multi_fraction))
    image_id = f"{split}_{index:06d}"
    filename = f"{image_id}.{fmt}"
    Image.fromarray(image).save(os.path.join(out, "JPEGImages", filename),
                                **({"quality": 95} if fmt == "jpg" else {}))
    with open(os.path.join(out, "Annotations", f"{image_id}.xml"), "w") as f:
        f.write(annotation_xml(image_id, filename, CLASS_NAMES[target], boxes))
    return image_id


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--train", type=int, default=12000)
    parser.add_argument("--val", type=int, default=1000)
    parser.add_argument("--test", type=int, default=1000)
    parser.add_argument("--multi-fraction", type=float, default=0.33)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--format", choices=["png", "jpg"], default="png")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    for sub in ("JPEGImages", "Annotations", os.path.join("ImageSets", "Main")):
        os.makedirs(os.path.join(args.out, sub), exist_ok=True)
    with Pool(args.workers, initializer=init_worker) as pool:
        for split in ("train", "val", "test"):
            jobs = [(args.out, args.format, args.seed, split, i, args.multi_fraction)
                    for i in range(getattr(args, split))]
            ids = pool.map(write_scene, jobs, chunksize=64)
            with open(os.path.join(args.out, "ImageSets", "Main", f"{split}.txt"), "w") as f:
                f.write("".join(i + "\n" for i in ids))
    with open(os.path.join(args.out, "classes.txt"), "w") as f:
        f.write("".join(n + "\n" for n in CLASS_NAMES))


if __name__ == "__main__":
    main()
