"""Pages rendered by a real browser: Debian's headless Chromium takes a screenshot, and the
tests look at its pixels. `.ci/run` installs Chromium; where it is missing the tests that need
it skip, saying so."""

import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# Root cannot use Chromium's sandbox; the network flags keep it from calling home (this
# machine has no network, and each refused connection costs time); sRGB, so a CSS colour is
# the same pixel value in the screenshot.
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--force-color-profile=srgb", "--hide-scrollbars")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def screenshot(page: Path, png: Path, size=(1200, 2000)) -> np.ndarray:
    """Render `page` in headless Chromium at `size` (width, height); return the screenshot's
    RGB pixels, after checking that it is a PNG of that size."""
    if CHROMIUM is None:
        pytest.skip("Chromium is not installed (apt-get install chromium; .ci/run does)")
    from PIL import Image

    with tempfile.TemporaryDirectory() as profile:
        proc = subprocess.run(
            [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", f"--screenshot={png}",
             f"--window-size={size[0]},{size[1]}", Path(page).resolve().as_uri()],
            capture_output=True, text=True, timeout=120, check=False)
    assert png.is_file(), f"no screenshot (exit {proc.returncode}): {proc.stderr[-2000:]}"
    assert png.read_bytes()[:8] == PNG_SIGNATURE
    with Image.open(png) as image:
        assert image.format == "PNG" and image.size == size
        return np.asarray(image.convert("RGB"))


def pixels_of(rgb: np.ndarray, colour: str) -> int:
    """How many pixels are exactly `colour` ('#rrggbb')."""
    value = [int(colour[i:i + 2], 16) for i in (1, 3, 5)]
    return int((rgb == value).all(axis=-1).sum())
