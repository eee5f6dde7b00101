"""A pure-numpy callable model whose class-0 logit is the mean brightness of one known square:
RISE and BOREx must put their mass on that square. Also how the callable is called (batches of
float32 [N, H, W, 3] in [0, 1], the working size) and what its scores mean."""
import unittest

import numpy as np

import borex

SIZE = 64
SQUARE = (slice(20, 36), slice(36, 52))  # rows, cols: 16 x 16 pixels of 64 x 64


def square_logits(batch):
    """Class 0: 10 x the square's mean brightness - 5; class 1: 0."""
    brightness = batch[:, SQUARE[0], SQUARE[1], :].mean(axis=(1, 2, 3))
    return np.stack([10.0 * brightness - 5.0, np.zeros_like(brightness)], axis=1)


def scene():
    """A textured grey image, the square as bright as the rest."""
    rng = np.random.default_rng(1)
    return (0.4 + 0.4 * rng.random((SIZE, SIZE, 3))).astype(np.float32)


def top_fraction_inside(saliency, percent=5.0):
    """The fraction of the map's top `percent` % pixels that lie inside the square."""
    count = int(saliency.size * percent / 100)
    top = np.argsort(saliency, axis=None)[::-1][:count]
    inside = np.zeros(saliency.shape, dtype=bool)
    inside[SQUARE] = True
    return inside.ravel()[top].mean()


class RecordingModel:
    """square_logits, recording the shape, dtype and range of every batch."""

    def __init__(self):
        self.batches = []

    def __call__(self, batch):
        self.batches.append((batch.shape, batch.dtype, float(batch.min()), float(batch.max())))
        return square_logits(batch)


# The toy model reads brightness, which black changes most: the default in-fills (the model's
# mean colour; for a callable, ImageNet's grey) are close to this scene's grey.
class CallableModelTest(unittest.TestCase):
    def test_rise_puts_its_mass_on_the_square(self):
        saliency, summary = borex.explain(square_logits, scene(), label=0, masks=1000, grid=8,
                                          rise_infill="black")
        self.assertEqual(saliency.shape, (SIZE, SIZE))
        self.assertEqual(summary["label"], 0)
        self.assertGreaterEqual(top_fraction_inside(saliency), 0.9)
        # The control: the square's pixels outrank the rest on average.
        outside = np.ones(saliency.shape, dtype=bool)
        outside[SQUARE] = False
        self.assertGreater(saliency[SQUARE].mean(), saliency[outside].mean() + 0.05)

    def test_borex_puts_its_mass_on_the_square(self):
        for prior_method in ("rise", "none"):
            # A prior that hides no pixels (none) takes no in-fill: refused, as on the command line.
            infill = {"prior_infill": "black"} if prior_method == "rise" else {}
            refined, summary = borex.refine(square_logits, scene(), label=0,
                                            prior_method=prior_method, iterations=30,
                                            mask_sizes=[0.2, 0.3], bo_infill="black", **infill)
            self.assertGreaterEqual(top_fraction_inside(refined), 0.8, prior_method)
            self.assertEqual(summary["model"], "python:square_logits")

    def test_a_given_prior_refuses_the_settings_of_a_computed_one(self):
        prior = np.ones(scene().shape[:2], np.float32)
        for options in ({"prior_method": "gradcam"}, {"prior_infill": "mean"}):
            with self.assertRaisesRegex(ValueError, "the prior is given"):
                borex.refine(square_logits, scene(), label=0, prior=prior, iterations=4,
                             **options)
        refined, _ = borex.refine(square_logits, scene(), label=0, prior=prior, iterations=4)
        self.assertEqual(refined.shape, prior.shape)

    def test_a_map_elsewhere_fails_the_check(self):
        # The measure above would catch a wrong map: the square's mirror image scores 0.
        saliency, _ = borex.explain(square_logits, scene(), label=0, masks=500, grid=8,
                                    rise_infill="black")
        self.assertLess(top_fraction_inside(np.fliplr(saliency)), 0.1)

    def test_same_seed_same_map_other_seed_other_map(self):
        first, _ = borex.refine(square_logits, scene(), label=0, iterations=10, seed=4)
        second, _ = borex.refine(square_logits, scene(), label=0, iterations=10, seed=4)
        other, _ = borex.refine(square_logits, scene(), label=0, iterations=10, seed=5)
        np.testing.assert_array_equal(first, second)
        self.assertFalse(np.array_equal(first, other))

    def test_called_with_batches_of_rgb_in_the_unit_range(self):
        model = RecordingModel()
        _, summary = borex.explain(model, scene(), label=0, masks=64, batch_size=16)
        shapes = [shape for shape, _, _, _ in model.batches]
        self.assertEqual(shapes[0], (1, SIZE, SIZE, 3))  # the image itself
        self.assertEqual(shapes[1:], [(16, SIZE, SIZE, 3)] * 4)
        self.assertTrue(all(dtype == np.float32 for _, dtype, _, _ in model.batches))
        self.assertTrue(all(0 <= low and high <= 1 for _, _, low, high in model.batches))
        self.assertEqual(summary["model_calls"], 1 + 64)

    def test_input_size_is_the_working_size(self):
        model = RecordingModel()
        saliency, summary = borex.explain(model, scene(), label=0, masks=16, input_size=(32, 48))
        self.assertEqual(model.batches[0][0], (1, 32, 48, 3))
        self.assertEqual(summary["working_size"], [32, 48])
        self.assertEqual(saliency.shape, (SIZE, SIZE))  # at the image's resolution

    def test_probabilities_are_taken_as_such(self):
        def probabilities(batch):
            logits = square_logits(batch)
            exponentials = np.exp(logits - logits.max(axis=1, keepdims=True))
            return exponentials / exponentials.sum(axis=1, keepdims=True)

        from_logits, logit_summary = borex.explain(square_logits, scene(), label=0, masks=200)
        model = borex.CallableModel(probabilities, scores="probabilities",
                                    class_names=["square", "other"])
        from_probabilities, summary = borex.explain(model, scene(), label="square", masks=200)
        np.testing.assert_allclose(from_probabilities, from_logits, atol=1e-5)
        self.assertAlmostEqual(summary["confidence"], logit_summary["confidence"], places=5)
        self.assertEqual(summary["class_name"], "square")

    def test_uint8_and_float_images_agree(self):
        pixels = (scene() * 255).round().astype(np.uint8)
        from_uint8, _ = borex.explain(square_logits, pixels, label=0, masks=50)
        from_float, _ = borex.explain(square_logits, pixels.astype(np.float32) / 255, label=0,
                                      masks=50)
        np.testing.assert_allclose(from_uint8, from_float, atol=1e-6)

    def test_evaluate_a_callable(self):
        good = np.zeros((SIZE, SIZE), dtype=np.float32)
        good[SQUARE] = 1
        bad = 1 - good
        metrics_good = borex.evaluate(square_logits, scene(), good, label=0, step=64)
        metrics_bad = borex.evaluate(square_logits, scene(), bad, label=0, step=64)
        self.assertGreater(metrics_good["insertion"], metrics_bad["insertion"])
        self.assertLess(metrics_good["deletion"], metrics_bad["deletion"])


if __name__ == "__main__":
    unittest.main()
