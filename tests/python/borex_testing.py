"""What the Python module's tests share: paths from ctest's environment, the example images as
arrays, and the executable run on files."""
import json
import os
import subprocess
import tempfile

import numpy as np
from PIL import Image

SOURCE_DIR = os.environ.get(
    "BOREX_SOURCE_DIR", os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
CLI = os.environ.get("BOREX_CLI", os.path.join(SOURCE_DIR, "build", "borex"))
MODEL = os.path.join(SOURCE_DIR, "models", "fashion_scenes_resnet.pt")


def example(name):
    """The path of examples/NAME and its pixels, H x W x 3 uint8 RGB."""
    path = os.path.join(SOURCE_DIR, "examples", name)
    return path, np.asarray(Image.open(path).convert("RGB"))


def run_cli(*arguments):
    """Runs the borex executable; returns its stdout, failing with its stderr."""
    completed = subprocess.run([CLI, "-q", *arguments], capture_output=True, text=True,
                               check=False)
    if completed.returncode != 0:
        raise AssertionError(f"borex {' '.join(arguments)} exited {completed.returncode}: "
                             f"{completed.stderr}")
    return completed.stdout


def read_json(path):
    with open(path, encoding="utf-8") as stream:
        return json.load(stream)


class TemporaryDirectory:
    """A temporary directory for a test case's files: setUp/tearDown helpers."""

    def __init__(self):
        self._directory = tempfile.TemporaryDirectory(prefix="borex_python_test_")
        self.path = self._directory.name

    def __call__(self, name):
        return os.path.join(self.path, name)

    def cleanup(self):
        self._directory.cleanup()


def without(summary, *keys):
    """The summary without the keys that name files or time (which differ between runs)."""
    return {key: value for key, value in summary.items() if key not in keys}


class OneLineErrors:
    """A unittest.TestCase mixin: assertOneLine for borex's errors."""

    def assertOneLine(self, context, *fragments):
        """The exception `context` (of assertRaises) caught is one line holding each fragment."""
        message = str(context.exception)
        self.assertNotIn("\n", message)
        for fragment in fragments:
            self.assertIn(fragment, message)
