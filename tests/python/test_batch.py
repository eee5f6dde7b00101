"""borex.batch on tests/data/voc_tiny: the executable's rows and maps from the bundled TorchScript
model, a numpy callable over the whole split (and resumed), Ctrl-C between images, and bad input
as borex's one-line errors."""
import csv
import os
import signal
import threading
import time
import unittest

import numpy as np

import borex
from borex_testing import MODEL, SOURCE_DIR, OneLineErrors, TemporaryDirectory, run_cli

VOC_TINY = os.path.join(SOURCE_DIR, "tests", "data", "voc_tiny")
METHODS = ["rise", "borex:rise"]
# The executable's cheap batch (tests/cli/batch_cli_test.cc): seconds for the six images.
CHEAP = {"masks": 16, "iterations": 25, "step": 4096}


def split_ids():
    with open(os.path.join(VOC_TINY, "ImageSets", "Main", "test.txt"), encoding="utf-8") as stream:
        return [line.split()[0] for line in stream if line.strip()]


def class_names():
    with open(os.path.join(VOC_TINY, "classes.txt"), encoding="utf-8") as stream:
        return [line.strip() for line in stream if line.strip()]


def rows(path):
    """The CSV's rows by image id, without the seconds column (time differs between runs)."""
    with open(path, encoding="utf-8", newline="") as stream:
        return {row["image_id"]: {key: value for key, value in row.items() if key != "seconds"}
                for row in csv.DictReader(stream)}


# A fixed linear model of the image's 4 x 4 x 3 average colours: deterministic, any image size.
WEIGHTS = np.random.default_rng(0).normal(size=(48, len(class_names())))


def linear_logits(batch):
    n, h, w, _ = batch.shape
    pooled = batch[:, : h // 4 * 4, : w // 4 * 4].reshape(n, 4, h // 4, 4, w // 4, 3)
    return pooled.mean(axis=(2, 4)).reshape(n, 48) @ WEIGHTS


class Interrupted(Exception):
    pass


class BatchTest(OneLineErrors, unittest.TestCase):
    def setUp(self):
        self.files = TemporaryDirectory()

    def tearDown(self):
        self.files.cleanup()

    def test_the_executables_rows_and_maps(self):
        arguments = ["--threads", "1", "--no-progress", "--methods", ",".join(METHODS)]
        for key, value in CHEAP.items():
            arguments += ["--" + key, str(value)]
        run_cli("batch", "--model", MODEL, "--voc-root", VOC_TINY, "--split", "test",
                "--out", self.files("cli"), *arguments)
        summary = borex.batch(MODEL, VOC_TINY, self.files("module"), split="test",
                              methods=METHODS, threads=1, **CHEAP)
        ids = split_ids()
        for method in METHODS:
            with self.subTest(method):
                expected = rows(self.files(f"cli/{method}.csv"))
                self.assertEqual(sorted(expected), sorted(ids))
                self.assertEqual(rows(self.files(f"module/{method}.csv")), expected)
                for image_id in ids:
                    np.testing.assert_array_equal(
                        np.load(self.files(f"module/maps/{method}/{image_id}.npy")),
                        np.load(self.files(f"cli/maps/{method}/{image_id}.npy")))
        self.assertEqual(summary["out_dir"], self.files("module"))
        self.assertEqual(summary["images_in_shard"], len(ids))
        self.assertEqual(summary["images_processed"], len(ids))
        self.assertEqual(summary["skipped"], {})
        self.assertEqual(summary["rows_resumed"], 0)
        self.assertEqual(list(summary["methods"]), METHODS)
        rise = summary["methods"]["rise"]
        self.assertEqual(rise["csv_path"], self.files("module/rise.csv"))
        self.assertEqual((rise["rows_written"], rise["rows_total"]), (len(ids), len(ids)))
        self.assertEqual(rise["model_calls"], sum(
            int(row["model_calls"]) for row in rows(rise["csv_path"]).values()))
        self.assertGreater(summary["model_calls"], 0)
        self.assertGreater(summary["total_seconds"], summary["model_seconds"])

    def test_a_numpy_callable_over_the_split_then_resumed(self):
        shapes = set()

        def model(batch):
            shapes.add((batch.shape[1:], batch.dtype))
            return linear_logits(batch)

        callable_model = borex.CallableModel(model, class_names=class_names())
        out = self.files("callable")
        summary = borex.batch(callable_model, VOC_TINY, out, split="test", methods="rise",
                              **CHEAP)
        ids = split_ids()
        self.assertEqual(summary["images_processed"], len(ids))
        self.assertEqual(summary["skipped"], {})
        self.assertEqual(sorted(rows(os.path.join(out, "rise.csv"))), sorted(ids))
        self.assertEqual(shapes, {((128, 128, 3), np.dtype(np.float32))})  # voc_tiny's own size
        self.assertEqual(np.load(os.path.join(out, "maps", "rise", ids[0] + ".npy")).shape,
                         (128, 128))
        again = borex.batch(callable_model, VOC_TINY, out, split="test", methods="rise", **CHEAP)
        self.assertEqual((again["images_processed"], again["rows_resumed"]), (0, len(ids)))

    def test_ctrl_c_stops_between_images(self):
        out = self.files("interrupted")
        first_row = os.path.join(out, "borex:rise.csv")

        def interrupt_after_the_first_image():
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                if os.path.exists(first_row) and len(rows(first_row)) >= 1:
                    break
                time.sleep(0.001)
            signal.raise_signal(signal.SIGINT)

        def handler(signum, frame):
            raise Interrupted()

        previous = signal.signal(signal.SIGINT, handler)
        sender = threading.Thread(target=interrupt_after_the_first_image)
        try:
            sender.start()
            with self.assertRaises(Interrupted):
                borex.batch(MODEL, VOC_TINY, out, split="test", methods=METHODS, threads=1,
                            **CHEAP)
        finally:
            sender.join()
            signal.signal(signal.SIGINT, previous)
        done = len(rows(first_row))
        self.assertGreaterEqual(done, 1)
        self.assertLess(done, len(split_ids()))
        # Stopped between images: the run resumes from the rows written.
        summary = borex.batch(MODEL, VOC_TINY, out, split="test", methods=METHODS, threads=1,
                              **CHEAP)
        self.assertEqual(summary["images_processed"], len(split_ids()) - done)
        self.assertEqual(len(rows(first_row)), len(split_ids()))

    def test_bad_input(self):
        with self.assertRaises(OSError) as context:
            borex.batch(linear_logits, self.files("no_such_root"), self.files("out"),
                        split="test", methods="rise")
        self.assertOneLine(context, "no_such_root: no such dataset directory")
        with self.assertRaises(OSError) as context:
            borex.batch(linear_logits, VOC_TINY, self.files("out"), split="val", methods="rise")
        self.assertOneLine(context, "val.txt", "no such split file")
        cases = [
            ({"maks": 16}, "maks: not an option of borex.batch"),
            ({"video_root": VOC_TINY}, "video_root: not a keyword of borex.batch"),
            ({"methods": "gradcam"}, "--methods: gradcam needs a TorchScript model"),
            ({"methods": "borex:gradcam++"}, "--methods: gradcam++ needs a TorchScript model"),
            ({"threads": 1}, "--threads: does not apply to a Python callable"),
            ({"split": None}, "--split: a split name is required"),
            ({"iterations": 0}, "--iterations"),
            ({"shard": "3/2"}, "--shard"),
        ]
        for options, fragment in cases:
            arguments = {"split": "test", "methods": "rise", **options}
            with self.subTest(fragment):
                with self.assertRaises(ValueError) as context:
                    borex.batch(linear_logits, VOC_TINY, self.files("out"), **arguments)
                self.assertOneLine(context, fragment)
        self.assertEqual(os.listdir(self.files.path), [])


if __name__ == "__main__":
    unittest.main()
