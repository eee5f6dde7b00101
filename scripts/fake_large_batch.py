#!/usr/bin/env python3
"""A large fake batch made from a small real one, to measure and test `borex report --html` at
sizes no test can afford to compute: image k of N is the real batch's image k mod n under a new
id, with that image's CSV rows, maps and curves. Files are hard links (copies across file
systems), so 5,000 images take seconds and little disk.

    scripts/fake_large_batch.py SOURCE_BATCH OUT --images 5000

writes OUT/voc/ (JPEGImages/ID.png, ImageSets/Main/test.txt) and OUT/batch/ (batch.json naming
OUT/voc, METHOD.csv, maps/METHOD/ID.npy, curves/METHOD/ID.csv); then `borex report OUT/batch
--html`. SOURCE_BATCH is a merged batch directory (no shards) on a VOC-layout dataset.
"""
import argparse
import csv
import json
import os
import shutil
from pathlib import Path


def link(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except OSError:  # another file system, or no hard links there
        shutil.copyfile(source, target)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("source", type=Path, help="a real batch directory")
    parser.add_argument("out", type=Path, help="where the fake dataset and batch go (new)")
    parser.add_argument("--images", type=int, required=True, help="images in the fake batch")
    args = parser.parse_args()
    source_batch = json.loads((args.source / "batch.json").read_text())
    voc = Path(source_batch["voc_root"]).resolve()  # relative: to here, as borex reads it

    methods = {}  # method -> (header, {id: row})
    for path in sorted(args.source.glob("*.csv")):
        with path.open(newline="") as f:
            rows = list(csv.reader(f))
        methods[path.stem] = (rows[0], {row[0]: row for row in rows[1:]})
    if not methods:
        raise SystemExit(f"fake_large_batch: no METHOD.csv in {args.source}")
    ids = sorted(set().union(*(rows.keys() for _, rows in methods.values())))
    images = {i: next((voc / "JPEGImages").glob(i + ".*")) for i in ids}

    fake_voc, batch = args.out / "voc", args.out / "batch"
    (fake_voc / "JPEGImages").mkdir(parents=True)
    (fake_voc / "ImageSets/Main").mkdir(parents=True)
    batch.mkdir(parents=True)
    fake_ids = [f"fake{k:05d}_{ids[k % len(ids)]}" for k in range(args.images)]
    for k, fake in enumerate(fake_ids):
        base = ids[k % len(ids)]
        link(images[base], fake_voc / "JPEGImages" / (fake + images[base].suffix))
    (fake_voc / "ImageSets/Main/test.txt").write_text("".join(i + "\n" for i in fake_ids))
    (batch / "batch.json").write_text(
        json.dumps({"voc_root": str(fake_voc.resolve()), "split": "test"}))
    for method, (header, rows) in methods.items():
        for kind in ("maps", "curves"):
            if (args.source / kind / method).is_dir():
                (batch / kind / method).mkdir(parents=True)
        with (batch / (method + ".csv")).open("w", newline="") as f:
            writer = csv.writer(f, lineterminator="\n")
            writer.writerow(header)
            for k, fake in enumerate(fake_ids):
                base = ids[k % len(ids)]
                if base not in rows:
                    continue
                writer.writerow([fake] + rows[base][1:])
                for kind, ext in (("maps", ".npy"), ("curves", ".csv")):
                    original = args.source / kind / method / (base + ext)
                    if original.exists():
                        link(original, batch / kind / method / (fake + ext))


if __name__ == "__main__":
    main()
