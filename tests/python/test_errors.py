"""Errors: bad arrays and options raise ValueError with borex's one-line message, an exception
raised inside a callable model surfaces as itself, and white-box methods refuse a callable."""
import os
import unittest

import numpy as np

import borex
from borex_testing import MODEL, OneLineErrors, TemporaryDirectory

IMAGE = np.full((32, 32, 3), 0.5, dtype=np.float32)


def logits(batch):
    return np.stack([batch.mean(axis=(1, 2, 3)), np.zeros(len(batch))], axis=1)


class ModelFailure(Exception):
    pass


class ErrorsTest(OneLineErrors, unittest.TestCase):
    def test_bad_images(self):
        cases = [
            (np.zeros((32, 32), dtype=np.float32), ("image: shape (32, 32)", "(H, W, 3)")),
            (np.zeros((32, 32, 4), dtype=np.float32), ("image: shape (32, 32, 4)",)),
            (np.zeros((32, 32, 3)), ("image: dtype float64", "float32 in [0, 1] or uint8")),
            (np.zeros((32, 32, 3), dtype=np.int32), ("image: dtype int32",)),
            (np.full((32, 32, 3), 2, dtype=np.float32), ("image: float32 values span [2, 2]",)),
            ("picture.png", ("image: expected a numpy array",)),
        ]
        nan_image = IMAGE.copy()
        nan_image[3, 4, 1] = np.nan
        cases.append((nan_image, ("image: 1 of 3072 values are NaN or infinite",)))
        # The last value of the last channel: every channel's values are checked.
        last_nan = IMAGE.copy()
        last_nan[31, 31, 2] = np.inf
        cases.append((last_nan, ("image: 1 of 3072 values are NaN or infinite",)))
        for image, fragments in cases:
            with self.subTest(fragments[0]):
                with self.assertRaises(ValueError) as context:
                    borex.explain(logits, image)
                self.assertOneLine(context, *fragments)

    def test_bad_priors_and_maps(self):
        with self.assertRaises(ValueError) as context:
            borex.refine(logits, IMAGE, prior=np.zeros((16, 32), dtype=np.float32))
        self.assertOneLine(context, "prior: shape (16, 32) but the image is (32, 32)")
        with self.assertRaises(ValueError) as context:
            borex.refine(logits, IMAGE, prior=np.zeros((32, 16), dtype=np.float32))
        self.assertOneLine(context, "prior: shape (32, 16) but the image is (32, 32)")
        with self.assertRaises(ValueError) as context:
            borex.refine(logits, IMAGE, prior=np.full((32, 32), np.inf))
        self.assertOneLine(context, "prior: 1024 of 1024 values are NaN or infinite")
        with self.assertRaises(ValueError) as context:
            borex.evaluate(logits, IMAGE, np.zeros((32, 32), dtype=np.int64))
        self.assertOneLine(context, "saliency: dtype int64, expected float32 or float64")

    def test_options(self):
        cases = [
            (borex.refine, {"iteratons": 5}, "iteratons: not an option of borex.refine"),
            (borex.refine, {"iterations": 0}, "--iterations"),
            (borex.refine, {"preset": "fast"}, "--preset: 'fast' is not one of"),
            (borex.refine, {"no_flip": "yes"}, "--no-flip: is a switch: give True or False"),
            (borex.explain, {"video": "clip.mp4"}, "video: not a keyword of borex.explain"),
            (borex.explain, {"mean": "0.5,0.5,0.5"}, "--mean: does not apply to a Python callable"),
            (borex.explain, {"masks": True}, "--masks: takes a value, not True or False"),
        ]
        for function, options, fragment in cases:
            with self.subTest(fragment):
                with self.assertRaises(ValueError) as context:
                    function(logits, IMAGE, **options)
                self.assertOneLine(context, fragment)
        with self.assertRaises(ValueError) as context:
            borex.evaluate(logits, IMAGE, np.ones((32, 32)), fail_below={"insertionn": 0.5})
        self.assertOneLine(context, "--fail-below", "insertionn")

    def test_white_box_methods_refuse_a_callable(self):
        for method in ("gradcam", "gradcam++", "opticam", "fido-ssr"):
            with self.subTest(method):
                with self.assertRaises(ValueError) as context:
                    borex.explain(logits, IMAGE, method=method)
                self.assertOneLine(context, f"--method: {method} needs a TorchScript model",
                                   "black box")
        with self.assertRaises(ValueError) as context:
            borex.refine(logits, IMAGE, prior_method="gradcam++")
        self.assertOneLine(context, "--prior-method: gradcam++ needs a TorchScript model")

    def test_an_exception_in_the_callable_surfaces_as_itself(self):
        calls = []

        def failing(batch):
            calls.append(len(batch))
            if len(calls) == 3:
                raise ModelFailure("the GPU caught fire")
            return logits(batch)

        with self.assertRaises(ModelFailure) as context:
            borex.refine(failing, IMAGE, iterations=10, masks=20, batch_size=4)
        self.assertEqual(str(context.exception), "the GPU caught fire")
        self.assertEqual(len(calls), 3)
        # The module still works afterwards.
        saliency, _ = borex.explain(logits, IMAGE, masks=8)
        self.assertEqual(saliency.shape, (32, 32))

    def test_bad_scores_from_the_callable(self):
        cases = [
            (lambda batch: np.zeros(len(batch)), "returned scores of shape (1,) for a batch of 1"),
            (lambda batch: np.zeros((len(batch), 2), dtype=np.int64), "returned int64 scores"),
            (lambda batch: np.full((len(batch), 2), np.nan), "2 of 2 scores NaN or infinite"),
            (lambda batch: np.zeros((len(batch), 1)), "returned 1 score per image"),
            (lambda batch: "cat", "returned str, expected an array [N, C]"),
        ]
        for function, fragment in cases:
            with self.subTest(fragment):
                with self.assertRaises(RuntimeError) as context:
                    borex.explain(function, IMAGE, masks=8)
                self.assertOneLine(context, "model: the callable", fragment)
        for shift in (3, -0.6):  # above 1, and below 0 (the logits lie in [0, 0.5])
            with self.subTest(f"probabilities shifted by {shift}"):
                model = borex.CallableModel(lambda batch, shift=shift: logits(batch) + shift,
                                            scores="probabilities")
                with self.assertRaises(RuntimeError) as context:
                    borex.explain(model, IMAGE, masks=8)
                self.assertOneLine(context, "probabilities outside [0, 1]")

        def classes_by_batch(batch):  # two classes for the image alone, three for the masks
            scores = logits(batch)
            return scores if len(batch) == 1 else np.pad(scores, ((0, 0), (0, 1)))

        with self.assertRaises(RuntimeError) as context:
            borex.explain(classes_by_batch, IMAGE, masks=8)
        self.assertOneLine(context, "model: the callable returned 3 classes, and 2 before")
        with self.assertRaises(ValueError) as context:
            borex.CallableModel(logits, scores="odds")
        self.assertOneLine(context, "scores: 'odds' is not one of logits, probabilities")

    def test_files(self):
        with self.assertRaises(OSError) as context:
            borex.explain("no_such_model.pt", IMAGE)
        self.assertOneLine(context, "no_such_model.pt")
        files = TemporaryDirectory()
        try:
            with self.assertRaises(OSError) as context:
                borex.explain(MODEL, IMAGE, masks=8, out=files("missing_dir/x"))
            self.assertOneLine(context, "missing_dir")
            self.assertEqual(os.listdir(files.path), [])
        finally:
            files.cleanup()

    def test_log_levels(self):
        try:
            for level in ("off", "debug", "error"):
                borex.set_log_level(level)
            with self.assertRaises(ValueError) as context:
                borex.set_log_level("loud")
            self.assertOneLine(context, "level: 'loud' is not one of")
        finally:
            borex.set_log_level("warning")

    def test_not_a_model(self):
        with self.assertRaises(ValueError) as context:
            borex.explain(42, IMAGE)
        self.assertOneLine(context, "model: expected a model file's path or a callable")


if __name__ == "__main__":
    unittest.main()
