#!/usr/bin/python3
"""Tests of the scene generator (scripts/make_scenes.py): the project's benchmark scenes are
pinned (a change of the cluttered style would silently change every table of docs/results.md),
and the second style (--style shifted, issue 11's twenty-eighth round) draws what its docstring
says: deterministic per (seed, split, index), its own random streams, one to four targets whose
boxes are the visible pixels of the target items, whole items of another class as distractors;
the third (--style small, the fortieth round) has its own streams and items about half as large.

  /usr/bin/python3 tests/scripts/make_scenes_test.py    (ctest: scripts_make_scenes)

Needs Debian's numpy, PIL and dataset-fashion-mnist (/usr/bin/python3).
"""
import hashlib
import os
import sys
import tempfile
import unittest

import numpy as np
from PIL import Image

SCRIPTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts")
sys.path.insert(0, SCRIPTS)

import make_scenes  # noqa: E402
import rank_bands  # noqa: E402

# data/scenes/JPEGImages/test_000000.png (seed 0, multi-fraction 0.33): its pixels' sha256 prefix,
# label and box, as scripts/make_scenes.py wrote them for every table of docs/results.md.
CLUTTERED_TEST_0 = "9ef8a0a08bd676fe"
CLUTTERED_TEST_0_LABEL_BOXES = (9, [(21, 84, 66, 117)])


def fashion():
    make_scenes._load_fashion_into_worker()
    return make_scenes._FASHION


class SceneStyles(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.fashion = fashion()

    def scene(self, style, index, split="test", multi_fraction=0.5):
        return make_scenes.SCENE_STYLES[style](self.fashion, 0, split, index, multi_fraction, 0.3)

    def test_cluttered_scenes_are_the_benchmarks(self):
        target, image, boxes = make_scenes.make_scene(self.fashion, 0, "test", 0, 0.33, 0.3)
        self.assertEqual(hashlib.sha256(image.tobytes()).hexdigest()[:16], CLUTTERED_TEST_0)
        self.assertEqual((target, boxes), CLUTTERED_TEST_0_LABEL_BOXES)

    def test_shifted_scenes_are_deterministic_and_their_own(self):
        a, b = self.scene("shifted", 7), self.scene("shifted", 7)
        self.assertEqual(a[0], b[0])
        np.testing.assert_array_equal(a[1], b[1])
        self.assertEqual(a[2], b[2])
        other = self.scene("cluttered", 7)
        self.assertFalse(np.array_equal(a[1], other[1]))

    def test_shifted_distractor_boxes_leave_the_scene_as_it_was(self):
        for index in range(10):
            boxes = []
            with_boxes = make_scenes.make_shifted_scene(self.fashion, 0, "test", index, 0.5, 0.3,
                                                        distractor_boxes=boxes)
            plain = self.scene("shifted", index)
            np.testing.assert_array_equal(with_boxes[1], plain[1])
            self.assertEqual(with_boxes[2], plain[2])
            self.assertIn(len(boxes), (1, 2))  # one or two distractors, the docstring's
            for top, left, height, width in boxes:
                self.assertTrue(0 <= top and top + height <= 128 and 0 <= left)
                self.assertTrue(24 <= height == width)  # 24-40 px items, turned: a larger square

    def test_rank_bands_regenerates_the_distractors_of_a_stored_scene(self):
        with tempfile.TemporaryDirectory() as data:
            os.makedirs(os.path.join(data, "JPEGImages"))
            boxes = []
            _, image, _ = make_scenes.make_shifted_scene(self.fashion, 0, "test", 3, 0.5, 0.3,
                                                         distractor_boxes=boxes)
            Image.fromarray(image).save(os.path.join(data, "JPEGImages", "test_000003.png"))
            self.assertEqual(rank_bands.shifted_distractors(data, "test_000003", 0, 0.5), boxes)
            with self.assertRaises(SystemExit):  # another seed does not make the stored scene
                rank_bands.shifted_distractors(data, "test_000003", 1, 0.5)

    def test_shifted_targets_and_boxes(self):
        counts = []
        for index in range(40):
            target, image, boxes = self.scene("shifted", index)
            self.assertEqual(image.shape, (128, 128, 3))
            self.assertEqual(image.dtype, np.uint8)
            self.assertTrue(0 <= target < 10)
            self.assertTrue(1 <= len(boxes) <= 4, (index, boxes))
            for xmin, ymin, xmax, ymax in boxes:
                self.assertTrue(1 <= xmin <= xmax <= 128 and 1 <= ymin <= ymax <= 128)
            counts.append(len(boxes))
        # multi-fraction 0.5: several targets in about half the scenes, up to four.
        several = sum(n > 1 for n in counts)
        self.assertTrue(10 <= several <= 30, counts)
        self.assertEqual(max(counts), 4)
        self.assertTrue(all(n == 1 for n in (len(self.scene("shifted", i, multi_fraction=0.0)[2])
                                             for i in range(10))))

    def test_small_scenes_are_their_own_and_their_items_half_as_large(self):
        a, b = self.scene("small", 7), self.scene("small", 7)
        np.testing.assert_array_equal(a[1], b[1])
        self.assertEqual((a[0], a[2]), (b[0], b[2]))
        self.assertFalse(np.array_equal(a[1], self.scene("cluttered", 7)[1]))
        counts, sides = [], []
        for index in range(40):
            _, image, boxes = self.scene("small", index)
            self.assertEqual(image.shape, (128, 128, 3))
            counts.append(len(boxes))
            sides += [max(xmax - xmin, ymax - ymin) + 1 for xmin, ymin, xmax, ymax in boxes]
        # A box is the item's visible pixels: at most its 28 px side, and the cluttered
        # style's boxes reach past it.
        self.assertLessEqual(max(sides), 28)
        cluttered = [max(xmax - xmin, ymax - ymin) + 1 for i in range(40)
                     for xmin, ymin, xmax, ymax in self.scene("cluttered", i)[2]]
        self.assertGreater(max(cluttered), 28)
        self.assertEqual((min(counts), max(counts)), (1, 5))
        self.assertTrue(10 <= sum(n > 1 for n in counts) <= 30, counts)

    def test_visible_boxes_take_off_what_later_items_cover(self):
        first = np.zeros((128, 128), np.float32)
        first[10:20, 30:50] = 1.0
        second = np.zeros((128, 128), np.float32)
        second[10:20, 40:60] = 1.0  # covers the first item's right half
        self.assertEqual(make_scenes.visible_boxes([first, second], 0.3),
                         [(31, 11, 40, 20), (41, 11, 60, 20)])
        self.assertEqual(make_scenes.visible_boxes([second, first], 0.3),
                         [(51, 11, 60, 20), (31, 11, 50, 20)])
        hidden = first.copy()
        self.assertEqual(make_scenes.visible_boxes([hidden, first], 0.3), [(31, 11, 50, 20)])

    def test_turned_items_keep_their_garment(self):
        rng = np.random.default_rng(3)
        item = self.fashion["test"][0][0]
        for side in (24, 40, 64):
            gray, height, width = make_scenes.turned_item(rng, item, side)
            self.assertEqual(height, width)
            self.assertTrue(side <= height <= int(np.ceil(side * np.sqrt(2))) + 1)
            # Turning and mirroring move the garment's pixels; they do not lose its mass.
            self.assertAlmostEqual(float(gray.sum()) / float(item.sum()), 1.0, delta=0.1)


if __name__ == "__main__":
    unittest.main()
