#!/usr/bin/python3
"""Writes this fixture: 3 clips of 4 frames of 16x16 in scripts/make_video_clips.py's layout.

Each frame is dark grey (20) with the clip's items drawn as bright rectangles (240) exactly where
the annotation's boxes say (VOC: 1-based, inclusive), so a test can compare ClipRegionMask with
the bright pixels. Run from anywhere: /usr/bin/python3 tests/data/video_tiny/make_fixture.py
"""
import json
import os

from PIL import Image

ROOT = os.path.dirname(os.path.abspath(__file__))
FRAMES, SIZE = 4, 16
CLASSES = ["trouser", "coat", "bag"]
# id -> (label, moving, [(name, [box or None per frame])])
CLIPS = {
    "test_000000": ("trouser", True, [("trouser", [[2 + 3 * t, 5, 6 + 3 * t, 12] for t in range(4)])]),
    "test_000001": ("coat", False, [("coat", [[1, 1, 4, 4], [1, 1, 4, 4], None, [1, 1, 4, 4]]),
                                    ("coat", [[9, 9, 16, 16]] * 4)]),
    "test_000002": ("bag", False, [("bag", [[6, 4, 11, 9]] * 4)]),
}

for sub in ("clips", "annotations", "splits"):
    os.makedirs(os.path.join(ROOT, sub), exist_ok=True)
with open(os.path.join(ROOT, "classes.txt"), "w") as f:
    f.write("".join(name + "\n" for name in CLASSES))
with open(os.path.join(ROOT, "splits", "test.txt"), "w") as f:
    f.write("".join(clip_id + "\n" for clip_id in CLIPS))
for clip_id, (label, moving, objects) in CLIPS.items():
    folder = os.path.join(ROOT, "clips", clip_id)
    os.makedirs(folder, exist_ok=True)
    for t in range(FRAMES):
        frame = Image.new("RGB", (SIZE, SIZE), (20, 20, 20))
        for _, boxes in objects:
            if boxes[t] is not None:
                x0, y0, x1, y1 = boxes[t]
                frame.paste((240, 240, 240), (x0 - 1, y0 - 1, x1, y1))
        frame.save(os.path.join(folder, f"{t:06d}.png"))
    annotation = {"format": "borex-video-annotation/1", "id": clip_id, "label": label,
                  "frames": FRAMES, "size": [SIZE, SIZE], "moving": moving,
                  "objects": [{"name": name, "boxes": boxes} for name, boxes in objects]}
    with open(os.path.join(ROOT, "annotations", clip_id + ".json"), "w") as f:
        json.dump(annotation, f)
        f.write("\n")
