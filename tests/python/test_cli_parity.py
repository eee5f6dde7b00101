"""The module against the executable on the same inputs: the bundled TorchScript model and an
example scene, read by the executable from files and given to the module as arrays. The maps
must be equal bit for bit and the summaries equal but for file names and timing."""
import unittest

import numpy as np

import borex
from borex_testing import MODEL, TemporaryDirectory, example, read_json, run_cli, without

# Fields that name files or measure time: the only ones allowed to differ.
VARYING = ("image", "outputs", "timing", "refine_seconds", "refine_model_seconds")


class CliParityTest(unittest.TestCase):
    def setUp(self):
        self.files = TemporaryDirectory()
        self.image_path, self.image = example("scene_single.png")

    def tearDown(self):
        self.files.cleanup()

    def test_refine_with_a_given_prior(self):
        rows, cols = self.image.shape[:2]
        y, x = np.mgrid[0:rows, 0:cols]
        prior = np.exp(-((y - 40.0) ** 2 + (x - 70.0) ** 2) / 300.0).astype(np.float32)
        np.save(self.files("prior.npy"), prior)
        run_cli("refine", "--model", MODEL, "--image", self.image_path, "--prior",
                self.files("prior.npy"), "--iterations", "20", "--seed", "3",
                "--out", self.files("cli"))
        refined, summary = borex.refine(MODEL, self.image, prior=prior, iterations=20, seed=3)
        np.testing.assert_array_equal(refined, np.load(self.files("cli.npy")))
        self.assertEqual(refined.dtype, np.float32)
        self.assertEqual(refined.shape, self.image.shape[:2])
        expected = read_json(self.files("cli.json"))
        self.assertEqual(summary["prior"]["source"], "array")
        expected["prior"]["source"] = "array"
        self.assertEqual(without(summary, *VARYING), without(expected, *VARYING))
        self.assertIsNone(summary["image"])
        self.assertEqual(summary["outputs"], [])

    def test_refine_with_a_rise_prior_and_flags_as_keywords(self):
        run_cli("refine", "--model", MODEL, "--image", self.image_path, "--prior-method", "rise",
                "--iterations", "16", "--mask-sizes", "0.3,0.5", "--acquisition-batch", "2",
                "--no-flip", "--kappa", "5", "--label", "3", "--out", self.files("cli"))
        refined, summary = borex.refine(MODEL, self.image, label=3, prior_method="rise",
                                        iterations=16, mask_sizes=[0.3, 0.5],
                                        acquisition_batch=2, no_flip=True, kappa=5.0)
        np.testing.assert_array_equal(refined, np.load(self.files("cli.npy")))
        expected = read_json(self.files("cli.json"))
        self.assertEqual(without(summary, *VARYING), without(expected, *VARYING))
        self.assertEqual(summary["label"], 3)

    def test_refine_writes_the_executables_files_when_given_out(self):
        _, summary = borex.refine(MODEL, self.image, iterations=8, out=self.files("module"))
        self.assertEqual(summary["outputs"][-1], self.files("module.json"))
        written = read_json(self.files("module.json"))
        self.assertEqual(without(written, *VARYING), without(summary, *VARYING))
        self.assertEqual(np.load(self.files("module.npy")).shape, self.image.shape[:2])

    def test_explain_rise(self):
        run_cli("explain", "--model", MODEL, "--image", self.image_path, "--method", "rise",
                "--masks", "300", "--seed", "5", "--out", self.files("cli"))
        saliency, summary = borex.explain(MODEL, self.image, method="rise", masks=300, seed=5)
        np.testing.assert_array_equal(saliency, np.load(self.files("cli.npy")))
        expected = read_json(self.files("cli.json"))
        self.assertEqual(without(summary, *VARYING), without(expected, *VARYING))

    def test_explain_undesirable_returns_both_maps(self):
        maps, summary = borex.explain(MODEL, self.image, method="undesirable", masks=100)
        self.assertEqual(sorted(maps), ["hinder", "others"])
        self.assertEqual(sorted(summary["maps"]), ["hinder", "others"])
        self.assertEqual(maps["hinder"].shape, self.image.shape[:2])

    def test_evaluate_metrics(self):
        rows, cols = self.image.shape[:2]
        saliency = np.random.default_rng(0).random((rows, cols), dtype=np.float32)
        np.save(self.files("map.npy"), saliency)
        annotation = self.image_path.replace(".png", ".xml")
        run_cli("evaluate", "--model", MODEL, "--image", self.image_path, "--saliency",
                self.files("map.npy"), "--annotation", annotation, "--step", "256",
                "--json", self.files("cli.json"))
        summary = borex.evaluate(MODEL, self.image, saliency, annotation=annotation, step=256)
        expected = read_json(self.files("cli.json"))
        self.assertEqual(without(summary, "image", "saliency"),
                         without(expected, "image", "saliency"))
        self.assertIsNone(summary["saliency"])
        self.assertIn("insertion", summary)

    def test_a_switch_given_false_is_off(self):
        image = np.full((32, 32, 3), 128, dtype=np.uint8)
        for value in (True, False):
            for switch in ("average_hyperparameters", "fit_noise_variance"):
                with self.subTest(f"{switch}={value}"):
                    _, summary = borex.refine(MODEL, image, iterations=4, **{switch: value})
                    self.assertIs(summary["settings"][switch], value)

    def test_same_seed_same_map(self):
        first, _ = borex.refine(MODEL, self.image, iterations=8, seed=11)
        second, _ = borex.refine(MODEL, self.image, iterations=8, seed=11)
        np.testing.assert_array_equal(first, second)


if __name__ == "__main__":
    unittest.main()
