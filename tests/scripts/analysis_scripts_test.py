#!/usr/bin/python3
"""Tests of issue 11's analysis scripts (scripts/refine_quality.py, rank_bands.py,
inverted_maps.py, deletion_curves.py, label_probability.py, item_evidence.py, resized_model.py,
prior_regions.py, gated_splice.py),
which every round's decision rests on: the signed-rank test against scipy and a hand computation,
the paired comparison on a hand-made batch directory, the boxes' pixels, the inverted maps, the
deletion curve's order and area, the label's probability, the items' masked scores, the
resized model's wrapper, the prior's regions and the gated candidate's spliced rows.

  /usr/bin/python3 tests/scripts/analysis_scripts_test.py    (ctest: scripts.analysis)

Needs Debian's numpy, scipy and torch (/usr/bin/python3).
"""
import argparse
import contextlib
import csv
import io
import json
import math
import os
import sys
import tempfile
import unittest

import numpy as np
import scipy.stats
import torch
from PIL import Image

SCRIPTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts")
sys.path.insert(0, SCRIPTS)

import deletion_curves  # noqa: E402
import gated_splice  # noqa: E402
import inverted_maps  # noqa: E402
import item_evidence  # noqa: E402
import label_probability  # noqa: E402
import prior_regions  # noqa: E402
import rank_bands  # noqa: E402
import refine_quality  # noqa: E402
import resized_model  # noqa: E402


def write_annotation(data, image_id, boxes):
    """A VOC annotation with one object per (xmin, ymin, xmax, ymax) box, 1-based inclusive."""
    os.makedirs(os.path.join(data, "Annotations"), exist_ok=True)
    objects = "".join(
        f"<object><name>coat</name><bndbox><xmin>{x0}</xmin><ymin>{y0}</ymin><xmax>{x1}</xmax>"
        f"<ymax>{y1}</ymax></bndbox></object>" for x0, y0, x1, y1 in boxes)
    with open(os.path.join(data, "Annotations", image_id + ".xml"), "w") as f:
        f.write(f"<annotation>{objects}</annotation>")


def write_csv(path, rows, columns):
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)


def run_main(module, argv):
    """module.main() with sys.argv = argv; returns what it printed."""
    saved, sys.argv = sys.argv, [module.__name__] + argv
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            module.main()
    finally:
        sys.argv = saved
    return out.getvalue()


class WilcoxonTest(unittest.TestCase):
    def test_hand_computed_case(self):
        # d = 1, 2, 3: ranks 1, 2, 3 all positive, W+ = 6, mean 3, variance 3·4·7/24 = 3.5.
        z = (6 - 3) / math.sqrt(3.5)
        self.assertAlmostEqual(refine_quality.wilcoxon_greater([1, 2, 3]),
                               0.5 * math.erfc(z / math.sqrt(2)), places=12)
        # Zeros are dropped; nothing left: p = 1.
        self.assertEqual(refine_quality.wilcoxon_greater([0, 0]), 1.0)
        self.assertAlmostEqual(refine_quality.wilcoxon_greater([0, 1, 2, 3]),
                               refine_quality.wilcoxon_greater([1, 2, 3]), places=12)

    def test_matches_scipy_with_ties_and_zeros(self):
        rng = np.random.default_rng(0)
        for n in (12, 60, 500):
            for shift in (-0.3, 0.0, 0.2):
                # Rounded to one decimal: many tied |d| and some zero differences.
                d = np.round(rng.normal(shift, 1.0, n), 1)
                expected = scipy.stats.wilcoxon(d, zero_method="wilcox", correction=False,
                                                alternative="greater", method="approx").pvalue
                self.assertAlmostEqual(refine_quality.wilcoxon_greater(d), expected, places=10,
                                       msg=f"n={n} shift={shift}")

    def test_better_and_worse_are_complementary_without_ties(self):
        d = np.random.default_rng(1).normal(0.1, 1, 80)
        self.assertAlmostEqual(refine_quality.wilcoxon_greater(d) +
                               refine_quality.wilcoxon_greater(-d), 1.0, places=12)


class CompareTest(unittest.TestCase):
    """refine_quality.compare on a hand-made batch directory: subsets, means, metric signs."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.data = os.path.join(self.tmp.name, "data")
        self.run = os.path.join(self.tmp.name, "run")
        os.makedirs(self.run)
        columns = ["image_id", "label", "insertion", "deletion", "f_measure", "pointing_hit"]
        rng = np.random.default_rng(2)
        prior, refined = [], []
        for k in range(30):
            image_id = f"s_{k:03d}"
            items = 2 if k % 3 == 0 else 1  # 10 multi-item scenes, 20 single-item
            write_annotation(self.data, image_id, [(1 + 10 * i, 1, 8 + 10 * i, 8)
                                                   for i in range(items)])
            base = {"insertion": rng.uniform(0.3, 0.6), "deletion": rng.uniform(0.1, 0.3),
                    "f_measure": rng.uniform(0.1, 0.4), "pointing_hit": k % 2}
            prior.append({"image_id": image_id, "label": 4, **base})
            # Refined: insertion higher, deletion higher (worse), F equal, pointing equal.
            refined.append({"image_id": image_id, "label": 4,
                            "insertion": base["insertion"] + 0.01 * (k + 1),
                            "deletion": base["deletion"] + 0.002 * (k + 1),
                            "f_measure": base["f_measure"], "pointing_hit": k % 2})
        write_csv(os.path.join(self.run, "rise.csv"), prior, columns)
        write_csv(os.path.join(self.run, "borex:rise.csv"), refined, columns)
        self.prior, self.refined = prior, refined

    def tearDown(self):
        self.tmp.cleanup()

    def test_subsets_means_and_directions(self):
        result = refine_quality.compare(self.run, "borex:rise", "rise", self.data)
        self.assertEqual(result[("all", "insertion")][4], 30)
        self.assertEqual(result[("single", "insertion")][4], 20)
        self.assertEqual(result[("multi", "insertion")][4], 10)
        mean_refined = np.mean([r["insertion"] for r in self.refined])
        mean_prior = np.mean([r["insertion"] for r in self.prior])
        self.assertAlmostEqual(result[("all", "insertion")][0], mean_refined, places=12)
        self.assertAlmostEqual(result[("all", "insertion")][1], mean_prior, places=12)
        # Every refined insertion is higher: "better" significant, "worse" not.
        self.assertLess(result[("all", "insertion")][2], 1e-5)
        self.assertGreater(result[("all", "insertion")][3], 0.99)
        # Deletion is lower-is-better: every refined deletion is higher, so it is "worse".
        self.assertLess(result[("all", "deletion")][3], 1e-5)
        self.assertGreater(result[("all", "deletion")][2], 0.99)
        # Equal F-measure: no difference left, p = 1 both ways.
        self.assertEqual(result[("all", "f_measure")][2:4], (1.0, 1.0))

    def test_summary_objective_and_worse_cells(self):
        out = run_main(refine_quality, ["--data", self.data, "--summary", self.run])
        objective = np.mean([r["insertion"] + r["f_measure"] - r["deletion"]
                             for r in self.refined])
        row = out.strip().splitlines()[-1].split("|")
        self.assertAlmostEqual(float(row[2]), objective, places=4)
        # Worse cells: deletion on all, single and multi scenes (p well below 0.05 in each).
        self.assertEqual(int(row[3]), 3)

    def test_summary_holm_columns(self):
        out = run_main(refine_quality, ["--data", self.data, "--summary", "--holm", self.run])
        row = out.strip().splitlines()[-1].split("|")
        result = refine_quality.compare(self.run, "borex:rise", "rise", self.data)
        worse = [value[3] for value in result.values()]
        adjusted = refine_quality.holm(worse)
        self.assertEqual(int(row[5]), int((adjusted < 0.05).sum()))
        # The 12 cells' smallest deletion p is far below 0.05 / 12: it survives the adjustment.
        self.assertGreaterEqual(int(row[5]), 1)
        self.assertLessEqual(int(row[5]), int(row[3]))


    def test_summary_objective_test_pairs_the_images(self):
        # Higher objective on every image (insertion +0.01k, deletion +0.002k): p(lower) ~ 1.
        out = run_main(refine_quality, ["--data", self.data, "--summary", "--objective-test",
                                        self.run])
        self.assertGreater(float(out.strip().splitlines()[-1].split("|")[5]), 0.99)
        # A second pair whose objective falls by 0.02k: the mean over the pairs falls by 0.006k.
        columns = ["image_id", "label", "insertion", "deletion", "f_measure", "pointing_hit"]
        worse = [{**row, "insertion": row["insertion"] - 0.02 * (k + 1)}
                 for k, row in enumerate(self.prior)]
        write_csv(os.path.join(self.run, "gradcam++.csv"), self.prior, columns)
        write_csv(os.path.join(self.run, "borex:gradcam++.csv"), worse, columns)
        objectives = refine_quality.image_objectives(
            self.run, [("borex:gradcam++", "gradcam++"), ("borex:rise", "rise")])
        self.assertEqual(len(objectives), 30)
        first = self.prior[0]
        base = first["insertion"] + first["f_measure"] - first["deletion"]
        self.assertAlmostEqual(objectives["s_000"][1], base, places=12)
        self.assertAlmostEqual(objectives["s_000"][0], base - 0.006, places=12)
        out = run_main(refine_quality, ["--data", self.data, "--summary", "--objective-test",
                                        self.run])
        self.assertLess(float(out.strip().splitlines()[-1].split("|")[5]), 1e-5)


class HolmTest(unittest.TestCase):
    def test_hand_computed_case(self):
        # Sorted 0.01, 0.02, 0.03, 0.5 (m = 4): 4·0.01, 3·0.02, 2·0.03, 1·0.5, running maxima
        # 0.04, 0.06, 0.06, 0.5; returned in the input's order.
        adjusted = refine_quality.holm([0.03, 0.5, 0.01, 0.02])
        np.testing.assert_allclose(adjusted, [0.06, 0.5, 0.04, 0.06], rtol=0, atol=1e-15)

    def test_capped_at_one_and_never_below_the_raw_p(self):
        p = np.random.default_rng(3).uniform(0, 1, 12)
        adjusted = refine_quality.holm(p)
        self.assertTrue(np.all(adjusted >= p) and np.all(adjusted <= 1.0))
        # Monotone in the raw p: the order of the p-values is kept.
        order = np.argsort(p)
        self.assertTrue(np.all(np.diff(adjusted[order]) >= 0))


class RankBandsTest(unittest.TestCase):
    def test_boxes_are_one_based_and_inclusive(self):
        with tempfile.TemporaryDirectory() as data:
            # xmin 3, ymin 5, xmax 4, ymax 6: 0-based columns 2-3 and rows 4-5.
            write_annotation(data, "a", [(3, 5, 4, 6)])
            inside, ring = rank_bands.box_regions(data, "a", (10, 10), 1)
            expected_inside = np.zeros((10, 10), bool)
            expected_inside[4:6, 2:4] = True
            np.testing.assert_array_equal(inside, expected_inside)
            expected_ring = np.zeros((10, 10), bool)
            expected_ring[3:7, 1:5] = True
            expected_ring[4:6, 2:4] = False
            np.testing.assert_array_equal(ring, expected_ring)

    def test_shares_of_each_band(self):
        with tempfile.TemporaryDirectory() as root:
            data, run = os.path.join(root, "data"), os.path.join(root, "run")
            write_annotation(data, "a", [(1, 1, 16, 16)])  # the top-left 16x16 pixels
            os.makedirs(os.path.join(run, "maps", "m"))
            saliency = np.zeros((128, 128), np.float32)
            saliency[:16, :16] = 2  # the box first: 256 pixels, the first band exactly
            saliency[16:24, :16] = 1  # then 128 pixels of the ring below it
            np.save(os.path.join(run, "maps", "m", "a.npy"), saliency)
            out = run_main(rank_bands, ["--data", data, run, "m"])
            # Band [0, 256): the box. [256, 1024): the 128 ring pixels below it, then 640 zeros
            # in raster order: rows 0-4's columns 16-127 and row 5's 16-95, 8 of each row's in
            # the ring (columns 16-23): 128 + 6 * 8 = 176 of 768 in the ring.
            self.assertIn("[0, 256): 1.00 / 0.00", out)
            self.assertIn(f"[256, 1024): 0.00 / {176 / 768:.2f}", out)

    def test_item_shares_by_hand(self):
        # Two items of 10 pixels each in a 10x10 map: A (rows 0-1, columns 0-4) ranked first, B
        # (rows 8-9, columns 5-9) next, the rest 0. Top 2, 5, 10 pixels: all in A (A's share of
        # its box 0.2, 0.5, 1; B's 0): precision 1, one item of two reached, least / most 0.
        # Top 20: A and B whole: 1, both reached, 1.
        saliency = np.zeros((10, 10))
        saliency[0:2, 0:5] = 2
        saliency[8:10, 5:10] = 1
        a, b = np.zeros((10, 10), bool), np.zeros((10, 10), bool)
        a[0:2, 0:5] = True
        b[8:10, 5:10] = True
        np.testing.assert_allclose(rank_bands.item_shares(saliency, [a, b]),
                                   [[1, 0.5, 0], [1, 0.5, 0], [1, 0.5, 0], [1, 1, 1]])

    def test_item_shares_reads_the_scenes_with_several_items(self):
        with tempfile.TemporaryDirectory() as root:
            data, run = os.path.join(root, "data"), os.path.join(root, "run")
            write_annotation(data, "one", [(1, 1, 16, 16)])
            write_annotation(data, "two", [(1, 1, 16, 16), (101, 101, 116, 116)])
            os.makedirs(os.path.join(run, "maps", "m"))
            saliency = np.zeros((128, 128), np.float32)
            saliency[:16, :16] = 1
            for image_id in ("one", "two"):
                np.save(os.path.join(run, "maps", "m", image_id + ".npy"), saliency)
            out = run_main(rank_bands, ["--data", data, "--item-shares", run, "m"])
            # Only "two": its top 2.5% (409 pixels) holds the first box's 256 and 153 zeros.
            self.assertIn("m (1 images) 2.5%: " + f"{256 / 409:.3f} / 0.500 / 0.000", out)


    def test_top_shares_by_hand(self):
        # A 10x10 map ranked in raster order (values 99 .. 0): its top 10% is row 0, its top 20%
        # rows 0-1, ... Place A is row 0's first 5 pixels and row 3; B the rest.
        saliency = np.arange(100, dtype=float)[::-1].reshape(10, 10)
        a = np.zeros((10, 10), bool)
        a[0, :5] = True
        a[3, :] = True
        np.testing.assert_allclose(rank_bands.top_shares(saliency, [a, ~a]),
                                   [[0.5, 0.5], [0.25, 0.75], [5 / 30, 25 / 30], [15 / 40, 25 / 40]])

    def test_scene_places_partition_the_image(self):
        with tempfile.TemporaryDirectory() as data:
            write_annotation(data, "a", [(3, 5, 4, 6)])  # rows 4-5, columns 2-3
            # A distractor over the box's ring and beyond: only its part outside both counts.
            places = rank_bands.scene_places(data, "a", (10, 10), 1, [(4, 2, 2, 4)])
            self.assertTrue(np.all(np.sum(places, axis=0) == 1))  # each pixel in one place
            expected_other = np.zeros((10, 10), bool)
            expected_other[4:6, 5] = True  # columns 2-5 of rows 4-5, less the box and the ring
            np.testing.assert_array_equal(places[2], expected_other)
            self.assertFalse(rank_bands.scene_places(data, "a", (10, 10), 1)[2].any())

    def test_paired_shares_by_subset_with_the_signed_rank_test(self):
        with tempfile.TemporaryDirectory() as root:
            data, run = os.path.join(root, "data"), os.path.join(root, "run")
            write_annotation(data, "one", [(1, 1, 64, 64)])  # the top-left quarter
            write_annotation(data, "two", [(1, 1, 64, 64), (65, 65, 128, 128)])
            for method in ("m", "n"):
                os.makedirs(os.path.join(run, "maps", method))
            box_first = np.zeros((128, 128), np.float32)
            box_first[:64, :64] = 1
            for image_id in ("one", "two"):
                np.save(os.path.join(run, "maps", "m", image_id + ".npy"), box_first)
                # n: the bottom-left quarter (background for "one", outside both boxes) first.
                flipped = np.zeros((128, 128), np.float32)
                flipped[64:, :64] = 1
                np.save(os.path.join(run, "maps", "n", image_id + ".npy"), flipped)
            for method, hit in (("m", 1), ("n", 0)):
                write_csv(os.path.join(run, method + ".csv"),
                          [{"image_id": i, "pointing_hit": hit} for i in ("one", "two")],
                          ["image_id", "pointing_hit"])
            out = run_main(rank_bands, ["--data", data, "--paired-shares", "--ring", "0", run,
                                        "m", "n"])
            # m's top 10% (1,638 pixels) is all box, n's all background. Top 30% (4,915): m's
            # box (4,096), then 819 zeros in raster order, rows 0-12's right halves: background,
            # 0.833 box; n's bottom-left quarter, then rows 0-5 whole (384 box pixels) and row 6's
            # first 51 (box): 435 / 4,915 = 0.089 box. One scene: the signed-rank p of one
            # difference, 0.159 (normal approximation) for the larger, 0.841 for the smaller.
            self.assertIn("one item (1 scenes)", out)
            self.assertIn("top 10%: boxes 1.000 -> 0.000 (0.841), ring 0.000 -> 0.000 (1.000), "
                          "background 0.000 -> 1.000 (0.159)", out)
            self.assertIn("top 30%: boxes 0.833 -> 0.089 (0.841)", out)
            # m's maximum (its first pixel) in the box, n's on the background; m hits, n misses.
            self.assertIn("m hits, n misses (1 scenes): n's maximum in boxes 0, ring 0, "
                          "background 1", out)
            self.assertIn("n hits, m misses (0 scenes)", out)
            self.assertIn("several items (1 scenes)", out)

    def test_distractors_argument_parses_seed_and_multi_fraction(self):
        parser = argparse.ArgumentParser()
        rank_bands.add_distractors_argument(parser, "--x")
        self.assertEqual(parser.parse_args(["--distractors", "3,0.5"]).distractors, (3, 0.5))
        self.assertIsNone(parser.parse_args([]).distractors)
        with contextlib.redirect_stderr(io.StringIO()), self.assertRaises(SystemExit):
            parser.parse_args(["--distractors", "0.5"])

    def test_place_of_maximum_takes_the_first_maximum(self):
        saliency = np.zeros((2, 3), np.float32)
        saliency[0, 2] = saliency[1, 0] = 1  # two maxima: (0, 2) first in raster order
        left, right = np.zeros((2, 3), bool), np.zeros((2, 3), bool)
        left[:, :2], right[:, 2] = True, True
        self.assertEqual(rank_bands.place_of_maximum(saliency, [left, right]), 1)


class InvertedMapsTest(unittest.TestCase):
    def test_the_coefficient_decides_and_the_correlation_stands_in_for_it(self):
        with tempfile.TemporaryDirectory() as root:
            rng = np.random.default_rng(3)
            columns = ["image_id", "insertion", "deletion", "f_measure", "pointing_hit"]
            for run, with_a in (("new", True), ("old", False)):
                path = os.path.join(root, run)
                os.makedirs(os.path.join(path, "maps", "gradcam++"))
                os.makedirs(os.path.join(path, "maps", "borex:gradcam++"))
                prior_rows, refined_rows = [], []
                for k, (a, sign) in enumerate(((0.5, 1), (-0.2, -1), (-0.1, 1), (2.0, -1))):
                    prior = rng.uniform(0, 1, (8, 8))
                    np.save(os.path.join(path, "maps", "gradcam++", f"i{k}.npy"), prior)
                    np.save(os.path.join(path, "maps", "borex:gradcam++", f"i{k}.npy"),
                            sign * prior)
                    metrics = {"insertion": 0.5, "deletion": 0.2, "f_measure": 0.3,
                               "pointing_hit": 1}
                    prior_rows.append({"image_id": f"i{k}", **metrics})
                    refined = {"image_id": f"i{k}", **metrics, "f_measure": 0.3 - 0.1 * k}
                    if with_a:
                        refined["prior_coefficient"] = a
                    refined_rows.append(refined)
                write_csv(os.path.join(path, "gradcam++.csv"), prior_rows, columns)
                write_csv(os.path.join(path, "borex:gradcam++.csv"), refined_rows,
                          columns + ["prior_coefficient"] * with_a)
            lines = run_main(inverted_maps, [os.path.join(root, "new"),
                                             os.path.join(root, "old")]).splitlines()
            # New CSVs: a < 0 for images 1 and 2 (F-measure −0.1 and −0.2: mean −0.15).
            self.assertIn("| new | gradcam++ | 2 / 4 |", lines[2])
            self.assertIn("-0.150 (0.300)", lines[2])
            # Old CSVs: the maps anticorrelated with their prior, images 1 and 3 (−0.1, −0.3).
            self.assertIn("| old | gradcam++ | 2 / 4 |", lines[3])
            self.assertIn("-0.200 (0.300)", lines[3])


class DeletionCurveTest(unittest.TestCase):
    def test_order_ties_in_raster_order(self):
        saliency = np.array([[1.0, 3.0], [3.0, 2.0]])
        np.testing.assert_array_equal(deletion_curves.removal_order(saliency), [1, 2, 3, 0])

    def test_spliced_order_keeps_the_head_then_the_rest_in_the_second_order(self):
        first, second = np.array([4, 2, 0, 1, 3]), np.array([0, 1, 2, 3, 4])
        np.testing.assert_array_equal(deletion_curves.spliced_order(first, second, 2),
                                      [4, 2, 0, 1, 3])
        np.testing.assert_array_equal(deletion_curves.spliced_order(second, first, 3),
                                      [0, 1, 2, 4, 3])

    def test_spliced_order_with_a_random_tail_is_a_permutation(self):
        # --splice-tail random: the head, then every other pixel once, in the random order.
        head = deletion_curves.removal_order(np.arange(100.0).reshape(10, 10))
        tail = np.random.default_rng(0).permutation(100)
        order = deletion_curves.spliced_order(head, tail, 30)
        np.testing.assert_array_equal(order[:30], head[:30])
        np.testing.assert_array_equal(np.sort(order), np.arange(100))
        np.testing.assert_array_equal(order[30:], [p for p in tail if p not in set(head[:30])])

    def test_curve_and_area_by_hand(self):
        # A model whose class-0 logit is the image's mean over pixels and channels and whose
        # class-1 logit is 0: the curve is sigmoid(mean of the normalised image).
        class MeanLogit(torch.nn.Module):
            def forward(self, x):
                m = x.mean(dim=(1, 2, 3))
                return torch.stack([m, torch.zeros_like(m)], 1)

        image = np.full((2, 2, 3), 255, np.uint8)
        order = np.array([3, 0, 1, 2])
        mean, std = torch.zeros(1, 3, 1, 1), torch.ones(1, 3, 1, 1)
        curve = deletion_curves.deletion_curve(MeanLogit(), mean, std, image, order, 0, 2)
        # Removed pixels: 0, 2, 4 of 4 (the last step always reaches every pixel).
        expected = 1 / (1 + np.exp(-np.array([1.0, 0.5, 0.0])))
        np.testing.assert_allclose(curve, expected, rtol=1e-6)
        self.assertAlmostEqual(deletion_curves.curve_area(np.array([1.0, 0.5, 0.0])),
                               (0.75 + 0.25) / 2, places=12)
        # Insertion: the same order put back into a black image, 0, 2, 4 of 4 pixels white.
        curve = deletion_curves.deletion_curve(MeanLogit(), mean, std, image, order, 0, 2,
                                               insertion=True)
        np.testing.assert_allclose(curve, expected[::-1], rtol=1e-6)

    def test_background_last_keeps_each_parts_order(self):
        order = np.array([4, 0, 3, 1, 2])
        background = np.array([False, True, False, True, False])
        np.testing.assert_array_equal(deletion_curves.background_last(order, background),
                                      [4, 0, 2, 3, 1])


class LabelProbabilityTest(unittest.TestCase):
    def test_softmax_of_the_label_top_class_and_items(self):
        # A model whose logits are (mean of the normalised image, 0, -1): for a white image
        # softmax(1, 0, -1), for a black one softmax(0, 0, -1).
        class MeanLogit(torch.nn.Module):
            def forward(self, x):
                m = x.mean(dim=(1, 2, 3))
                return torch.stack([m, torch.zeros_like(m), -torch.ones_like(m)], 1)

        mean, std = torch.zeros(1, 3, 1, 1), torch.ones(1, 3, 1, 1)
        with tempfile.TemporaryDirectory() as data:
            os.makedirs(os.path.join(data, "JPEGImages"))
            for image_id, value, boxes in (("white", 255, 1), ("black", 0, 2)):
                Image.fromarray(np.full((4, 4, 3), value, np.uint8)).save(
                    os.path.join(data, "JPEGImages", image_id + ".png"))
                write_annotation(data, image_id, [(1, 1, 2, 2)] * boxes)
            batch = [{"image_id": "white", "label": "1"}, {"image_id": "black", "label": "0"}]
            rows = list(label_probability.rows(MeanLogit(), mean, std, data, batch))
        white = np.exp([1.0, 0.0, -1.0]) / np.exp([1.0, 0.0, -1.0]).sum()
        black = np.exp([0.0, 0.0, -1.0]) / np.exp([0.0, 0.0, -1.0]).sum()
        self.assertAlmostEqual(float(rows[0]["probability"]), white[1], places=5)
        self.assertAlmostEqual(float(rows[0]["top_probability"]), white[0], places=5)
        self.assertEqual((rows[0]["predicted"], rows[0]["correct"], rows[0]["items"]), (0, 0, 1))
        # A tie between classes 0 and 1: the first is the top class, the label.
        self.assertAlmostEqual(float(rows[1]["probability"]), black[0], places=5)
        self.assertEqual((rows[1]["predicted"], rows[1]["correct"], rows[1]["items"]), (0, 1, 2))


    def test_background_hidden_in_the_mean_colour(self):
        # A white 4x4 image, one box at pixel (0, 0), no ring: the background (15 pixels) takes
        # the mean colour 0 (mean 0 here), so the mean logit falls from 1 to 1/16.
        class MeanLogit(torch.nn.Module):
            def forward(self, x):
                m = x.mean(dim=(1, 2, 3))
                return torch.stack([m, torch.zeros_like(m)], 1)

        mean, std = torch.zeros(1, 3, 1, 1), torch.ones(1, 3, 1, 1)
        with tempfile.TemporaryDirectory() as data:
            os.makedirs(os.path.join(data, "JPEGImages"))
            Image.fromarray(np.full((4, 4, 3), 255, np.uint8)).save(
                os.path.join(data, "JPEGImages", "white.png"))
            write_annotation(data, "white", [(1, 1, 1, 1)])
            batch = [{"image_id": "white", "label": "0"}]
            row = next(label_probability.rows(MeanLogit(), mean, std, data, batch,
                                              (0, None, "mean")))
        self.assertAlmostEqual(float(row["probability"]), 1 / (1 + np.exp(-1.0)), places=5)
        self.assertAlmostEqual(float(row["background_hidden"]), 1 / (1 + np.exp(-1 / 16)),
                               places=5)

    def test_another_texture_is_deterministic_per_scene(self):
        a = label_probability.other_texture("test_000003")
        np.testing.assert_array_equal(a, label_probability.other_texture("test_000003"))
        self.assertEqual((a.shape, a.dtype), ((128, 128, 3), np.uint8))
        self.assertFalse(np.array_equal(a, label_probability.other_texture("test_000004")))
        self.assertGreater(a.std(), 10)  # a texture, not a flat colour

    def test_background_summary(self):
        table = [{"probability": p, "background_hidden": h}
                 for p, h in (("0.9", "0.5"), ("0.8", "0.7"), ("0.6", "0.65"))]
        line = label_probability.background_summary(table)
        # Changes -0.4, -0.1, +0.05: median -0.1, median |change| 0.1; p(lower): the signed-rank
        # test of the three differences (tested against scipy above).
        self.assertIn("3 images: p(label) 0.767 whole, 0.617 with the background replaced", line)
        self.assertIn("median change -0.100, median |change| 0.100", line)
        expected = refine_quality.wilcoxon_greater(np.array([0.4, 0.1, -0.05]))
        self.assertIn(f"p(lower) = {refine_quality.fmt_p(expected)}", line)


class ItemEvidenceTest(unittest.TestCase):
    def test_item_scores_hide_and_keep_each_box(self):
        # A 4x4 image of ones with two one-pixel items; "p" is the sum of the image over 16, so
        # the fill 0 removes what it covers: whole 1, one item alone 1/16, one hidden 15/16, both
        # hidden 14/16.
        image = np.ones((4, 4, 3))
        a, b = np.zeros((4, 4), bool), np.zeros((4, 4), bool)
        a[0, 0], b[3, 3] = True, True
        calls = []

        def predict(stack):
            calls.append(len(stack))
            return stack[..., 0].sum(axis=(1, 2)) / 16

        whole, alone, without, without_all = item_evidence.item_scores(
            predict, image, [a, b], np.zeros(3))
        self.assertEqual(calls, [6])  # one batch: whole, 2 alone, 2 hidden, all hidden
        self.assertAlmostEqual(whole, 1.0)
        np.testing.assert_allclose(alone, [1 / 16, 1 / 16])
        np.testing.assert_allclose(without, [15 / 16, 15 / 16])
        self.assertAlmostEqual(without_all, 14 / 16)

    def test_item_coverages_rank_ties_in_raster_order(self):
        a, b = np.zeros((10, 10), bool), np.zeros((10, 10), bool)
        a[0:2, 0:5] = True
        b[8:10, 5:10] = True
        # Nothing ranked above the rest: raster order puts row 0, the first item's top row, first.
        np.testing.assert_allclose(item_evidence.item_coverages(np.zeros((10, 10)), [a, b], 0.05),
                                   [0.5, 0])

    def test_item_coverages_by_hand(self):
        saliency = np.zeros((10, 10))
        saliency[0, 0:5] = 2  # half of the first item's 10 pixels on top
        saliency[9, 5:10] = 1  # then half of the second's
        a, b = np.zeros((10, 10), bool), np.zeros((10, 10), bool)
        a[0:2, 0:5] = True
        b[8:10, 5:10] = True
        np.testing.assert_allclose(item_evidence.item_coverages(saliency, [a, b], 0.05), [0.5, 0])
        np.testing.assert_allclose(item_evidence.item_coverages(saliency, [a, b], 0.1),
                                   [0.5, 0.5])

    def test_leaned_and_other_coverages_by_hand(self):
        # Three items of 10 pixels in a 10x10 map: a (rows 0-1, columns 0-4) on top, then b
        # (rows 8-9, columns 5-9), c (rows 4-5, columns 0-4) last of all. Top 10%: a whole;
        # top 20%: a and b; 30%: all three; 40% too. The model leans on b: b's share, then the
        # mean of a's and c's.
        saliency = np.zeros((10, 10))
        a, b, c = (np.zeros((10, 10), bool) for _ in range(3))
        a[0:2, 0:5], b[8:10, 5:10], c[4:6, 0:5] = True, True, True
        saliency[a], saliency[b], saliency[c] = 3, 2, 1
        np.testing.assert_allclose(
            item_evidence.leaned_and_other_coverages(saliency, [a, b, c], 1),
            [[0, 0.5], [1, 0.5], [1, 1], [1, 1]])

    def test_coverage_lines_test_the_second_method_for_smaller_shares(self):
        first = [np.full((4, 2), 0.5)] * 3
        second = [np.full((4, 2), 0.25)] * 3
        lines = item_evidence.coverage_lines(["m", "n"], {"m": first, "n": second})
        self.assertIn("(3 scenes)", lines[0])
        expected = refine_quality.fmt_p(refine_quality.wilcoxon_greater(np.full(3, 0.25)))
        self.assertEqual(lines[1], f"    top 10%: the item leaned on 0.500 -> 0.250 ({expected}), "
                                   f"the others 0.500 -> 0.250 ({expected})")

    def test_concordance_by_hand(self):
        # Pairs (0,1) agree, (0,2) disagree, (1,2) tie in coverage: (1 + 0 + 0.5) / 3.
        self.assertAlmostEqual(item_evidence.concordance([0.9, 0.5, 0.5], [0.5, 0.3, 0.6]),
                               1.5 / 3)
        # Pairs of equal sufficiency are left out; none left: NaN.
        self.assertAlmostEqual(item_evidence.concordance([0.1, 0.9, 0.4], [0.5, 0.5, 0.2]), 0.5)
        self.assertTrue(math.isnan(item_evidence.concordance([0.1, 0.9], [0.3, 0.3])))

    def test_f_measure_by_leaning(self):
        with tempfile.TemporaryDirectory() as run:
            columns = ["image_id", "f_measure"]
            ids = [f"s_{k:02d}" for k in range(12)]
            first = [{"image_id": i, "f_measure": 0.5} for i in ids]
            # The second is lower by 0.01 k on the first six scenes (leaning), equal elsewhere.
            second = [{"image_id": i, "f_measure": 0.5 - (0.01 * (k + 1) if k < 6 else 0)}
                      for k, i in enumerate(ids)]
            write_csv(os.path.join(run, "a.csv"), first, columns)
            write_csv(os.path.join(run, "b.csv"), second, columns)
            leaning = {i: k < 6 for k, i in enumerate(ids)}
            lines = item_evidence.f_measure_by_leaning(run, ["a", "b"], leaning)
        self.assertEqual(len(lines), 2)
        self.assertIn("leans on one item (6 scenes): 0.4650 against 0.5000", lines[0])
        p = refine_quality.wilcoxon_greater([0.01 * (k + 1) for k in range(6)])
        self.assertIn(f"p(worse) = {refine_quality.fmt_p(p)}", lines[0])
        self.assertIn("the rest (6 scenes): 0.5000 against 0.5000, p(worse) = 1.000", lines[1])


def two_blobs(first, second, side=20):
    """A side x side map, zero but for two separate blocks of `first` and `second` pixels (one
    row each, value 1), far apart."""
    prior = np.zeros((side, side), np.float32)
    prior[2, :first] = 1
    prior[side - 3, side - second:] = 1
    return prior


class PriorRegionsTest(unittest.TestCase):
    def test_regions_of_the_top_fraction_by_hand(self):
        # 400 pixels: the top 5% is 20; 8-connected regions of at least 10% of them count.
        self.assertEqual(prior_regions.regions(two_blobs(10, 10), 0.05, 0.1), 2)
        self.assertEqual(prior_regions.regions(two_blobs(19, 1), 0.05, 0.1), 1)
        self.assertEqual(prior_regions.regions(two_blobs(18, 2), 0.05, 0.1), 2)
        # Diagonal neighbours are one region.
        diagonal = np.zeros((20, 20), np.float32)
        for k in range(20):
            diagonal[k, k] = 1
        self.assertEqual(prior_regions.regions(diagonal, 0.05, 0.1), 1)


class GatedSpliceTest(unittest.TestCase):
    COLUMNS = ["image_id", "insertion", "deletion", "f_measure", "pointing_hit", "seconds"]

    def batch(self, root, values, maps=None):
        os.makedirs(root)
        rows = [{"image_id": image_id, "insertion": v, "deletion": v, "f_measure": v,
                 "pointing_hit": 1, "seconds": 0.5} for image_id, v in values.items()]
        write_csv(os.path.join(root, "borex:gradcam++.csv"), rows, self.COLUMNS)
        write_csv(os.path.join(root, "gradcam++.csv"), rows, self.COLUMNS)
        for image_id, prior in (maps or {}).items():
            os.makedirs(os.path.join(root, "shard-1-of-1", "maps", "gradcam++"), exist_ok=True)
            np.save(os.path.join(root, "shard-1-of-1", "maps", "gradcam++", image_id + ".npy"),
                    prior)

    def test_rows_follow_the_gate_and_the_check_compares_metrics_only(self):
        with tempfile.TemporaryDirectory() as tmp:
            defaults, candidate, out = (os.path.join(tmp, n) for n in ("d", "c", "o"))
            self.batch(defaults, {"a": 0.1, "b": 0.2},
                       {"a": two_blobs(20, 0), "b": two_blobs(10, 10)})
            self.batch(candidate, {"a": 0.7, "b": 0.8})
            opened = gated_splice.splice(defaults, candidate, out, gated_splice.GATES["one"])
            self.assertEqual(opened, {"gradcam++": 1})
            _, rows = gated_splice.read_rows(os.path.join(out, "borex:gradcam++.csv"))
            self.assertEqual((rows["a"]["insertion"], rows["b"]["insertion"]), ("0.7", "0.2"))
            self.assertTrue(os.path.exists(os.path.join(out, "gradcam++.csv")))
            # A batch that ran the gated candidate: equal metrics pass, other seconds included.
            ran = os.path.join(tmp, "ran")
            self.batch(ran, {"a": 0.7, "b": 0.2})
            self.assertEqual(gated_splice.differing_rows(out, ran), {"borex:gradcam++.csv": []})
            self.assertEqual(gated_splice.differing_rows(out, candidate),
                             {"borex:gradcam++.csv": ["b"]})
            # The gate counts the regions of the top `fraction`: c's top 5% is its brighter block,
            # one region; its top 10% both blocks, two.
            c = two_blobs(20, 20)
            c[2] *= 2
            self.assertEqual(prior_regions.regions(c, 0.05, 0.1), 1)
            self.assertEqual(prior_regions.regions(c, 0.1, 0.1), 2)
            np.save(os.path.join(defaults, "shard-1-of-1", "maps", "gradcam++", "b.npy"), c)
            self.assertEqual(gated_splice.splice(defaults, candidate, os.path.join(tmp, "o10"),
                                                 gated_splice.GATES["several"], fraction=0.1),
                             {"gradcam++": 1})
            self.assertEqual(gated_splice.splice(defaults, candidate, os.path.join(tmp, "o5"),
                                                 gated_splice.GATES["several"]),
                             {"gradcam++": 0})
            argv = ["--gate", "several", "--defaults", defaults, "--candidate", candidate,
                    "--out", os.path.join(tmp, "o2"), "--check", ran]
            with self.assertRaises(SystemExit) as stop:
                run_main(gated_splice, argv)
            self.assertEqual(stop.exception.code, 1)


class ResizedModelTest(unittest.TestCase):
    class Tiny(torch.nn.Module):
        """Logits from a conv layer's mean: the output depends on every pixel and on the size."""

        def __init__(self):
            super().__init__()
            torch.manual_seed(0)
            self.features = torch.nn.Conv2d(3, 4, 3)

        def forward(self, x):
            return self.features(x).amax(dim=(2, 3))

    def saved_tiny(self, directory, inner):
        meta = {"format": "borex-model/1", "task": "image-classification", "input_size": inner,
                "target_layer": "features", "description": "tiny"}
        path = os.path.join(directory, "tiny.pt")
        torch.jit.save(torch.jit.script(self.Tiny().eval()), path,
                       _extra_files={"borex.json": json.dumps(meta)})
        return path

    def test_wrapper_resizes_to_the_inner_size_and_renames_the_layer(self):
        with tempfile.TemporaryDirectory() as directory:
            model, meta = resized_model.load_borex_model(self.saved_tiny(directory, [8, 8]))
            for size, antialias in (([16, 16], True), ([6, 5], False)):
                wrapped, out_meta = resized_model.wrap(model, meta, size)
                x = torch.rand(2, 3, *size, generator=torch.Generator().manual_seed(1))
                inner = torch.nn.functional.interpolate(x, size=[8, 8], mode="bilinear",
                                                        align_corners=False, antialias=antialias)
                with torch.no_grad():
                    torch.testing.assert_close(wrapped(x), model(inner))
                    # Not the model on the input as it is: the resize matters.
                    self.assertFalse(torch.allclose(wrapped(x), model(x), atol=1e-3))
                self.assertEqual(out_meta["input_size"], size)
                self.assertEqual(out_meta["target_layer"], "net.features")
                self.assertEqual(meta["input_size"], [8, 8])  # the model's own, untouched

    def test_refuses_a_model_without_an_input_size(self):
        with tempfile.TemporaryDirectory() as directory:
            model, meta = resized_model.load_borex_model(self.saved_tiny(directory, [8, 8]))
            del meta["input_size"]
            with self.assertRaises(SystemExit):
                resized_model.wrap(model, meta, [16, 16])


if __name__ == "__main__":
    unittest.main()
