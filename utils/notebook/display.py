"""Small conveniences for the notebooks: listening without storing audio, saving figures.

Listening
    :func:`play` shows an ipywidgets audio player.  The sound lives in the running kernel, not in
    the notebook file, so saving a notebook never stores a clip (with real data that would mean
    redistributing the corpus, and every clip adds hundreds of kilobytes).  When the series is
    executed headless (``SER_HEADLESS=1``, set by the series runner and the tests) no player is
    drawn at all; a one-line note says where it would be.
"""

from __future__ import annotations

import io
import os

import numpy as np

from ..core.paths import figures_dir


def headless() -> bool:
    """True when notebooks run without a person listening (series runner, tests, CI)."""
    return os.environ.get("SER_HEADLESS", "") not in {"", "0", "false", "False"}


def wav_bytes(y: np.ndarray, sr: int) -> bytes:
    """Encode a mono float signal as 16-bit WAV bytes (peak-limited to avoid clipping)."""
    import soundfile as sf

    y = np.asarray(y, dtype=np.float32)
    peak = float(np.max(np.abs(y))) if y.size else 0.0
    if peak > 1.0:
        y = y / peak
    buffer = io.BytesIO()
    sf.write(buffer, y, sr, format="WAV", subtype="PCM_16")
    return buffer.getvalue()


def player(y: np.ndarray, sr: int, label: str = ""):
    """Return an ipywidgets box with a label and an audio player for ``y`` (nothing is stored in the file)."""
    import ipywidgets as widgets

    audio = widgets.Audio(value=wav_bytes(y, sr), format="wav", autoplay=False, loop=False)
    return widgets.VBox([widgets.Label(label), audio]) if label else audio


def play(y: np.ndarray, sr: int, label: str = "") -> None:
    """Show an audio player for ``y`` in the notebook, or a note when running headless.

    Parameters
    ----------
    y : np.ndarray
        Mono signal.
    sr : int
        Its sample rate.
    label : str
        A caption, e.g. the clip's emotion.
    """
    from IPython.display import display

    if headless():
        print(f"[audio player: {label or 'clip'} ({len(y) / sr:.1f} s) - shown when you run this notebook yourself]")
        return
    display(player(y, sr, label))


def save_figure(fig, name: str, *, dpi: int = 110) -> str:
    """Save ``fig`` as ``figures/<name>.png`` and return the path relative to the repository."""
    path = figures_dir() / f"{name}.png"
    fig.savefig(path, dpi=dpi, bbox_inches="tight")
    return f"figures/{path.name}"



def layer_table(model):
    """A Keras model's layers as a table: name, type, output shape and weights of each.

    The same facts as ``model.summary()``, as a DataFrame that prints without terminal colour
    codes and can be compared with another model's (``a.equals(b)``).
    """
    import pandas as pd

    rows = []
    for layer in model.layers:
        output = getattr(layer, "output", None)
        shape = tuple(output.shape) if output is not None and hasattr(output, "shape") else None
        rows.append({"layer": layer.name, "type": type(layer).__name__, "output shape": shape, "weights": int(layer.count_params())})
    return pd.DataFrame(rows)
