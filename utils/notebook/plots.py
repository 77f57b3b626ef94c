"""Plotting helpers shared by the notebooks: waveforms, spectrograms, counts.

Every function draws on a given matplotlib ``Axes`` (or makes one) and returns it, so notebooks
can arrange several plots in one figure.  Axes carry units; colours are chosen to stay readable
in grey scale.
"""

from __future__ import annotations

import numpy as np


def _axes(ax):
    """Return ``ax`` or a new single Axes."""
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(8, 2.5))
    return ax


def plot_waveform(y: np.ndarray, sr: int, *, ax=None, title: str = "", color: str = "0.2"):
    """Draw a waveform with time in seconds on the x axis and amplitude on the y axis."""
    ax = _axes(ax)
    t = np.arange(len(y)) / sr
    ax.plot(t, y, color=color, linewidth=0.6)
    ax.set_xlim(0, t[-1] if len(t) else 1)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("amplitude")
    if title:
        ax.set_title(title)
    return ax


def plot_spectrogram(y: np.ndarray, sr: int, *, ax=None, title: str = "", n_fft: int = 1024, hop_length: int = 256, mel: bool = False, n_mels: int = 128, fmax: float | None = 8000, colorbar: bool = True):
    """Draw a (mel) spectrogram in dB with time in seconds and frequency in Hz.

    Parameters
    ----------
    mel : bool
        Use a mel frequency axis (``n_mels`` bands) instead of the linear STFT bins.
    fmax : float, optional
        Highest frequency shown (speech carries little above 8 kHz).
    """
    import librosa
    import librosa.display

    ax = _axes(ax)
    if mel:
        S = librosa.feature.melspectrogram(y=y, sr=sr, n_fft=n_fft, hop_length=hop_length, n_mels=n_mels, fmax=fmax)
        image = librosa.display.specshow(librosa.power_to_db(S, ref=np.max), sr=sr, hop_length=hop_length, x_axis="time", y_axis="mel", fmax=fmax, ax=ax, cmap="magma")
    else:
        S = np.abs(librosa.stft(y, n_fft=n_fft, hop_length=hop_length)) ** 2
        image = librosa.display.specshow(librosa.power_to_db(S, ref=np.max), sr=sr, hop_length=hop_length, x_axis="time", y_axis="hz", ax=ax, cmap="magma")
        if fmax:
            ax.set_ylim(0, min(fmax, sr / 2))
    ax.set_xlabel("time (s)")
    ax.set_ylabel("frequency (Hz)")
    if title:
        ax.set_title(title)
    if colorbar:
        ax.figure.colorbar(image, ax=ax, format="%+2.0f dB", pad=0.01)
    return ax


def plot_counts(counts, *, ax=None, title: str = "", xlabel: str = "", ylabel: str = "clips"):
    """Bar chart of a pandas Series or DataFrame of counts (grouped bars for a DataFrame)."""
    ax = _axes(ax)
    hatches = ["", "//", "..", "xx", "\\\\"]
    kind_kwargs = {"edgecolor": "black", "linewidth": 0.5}
    if getattr(counts, "ndim", 1) == 1:
        counts.plot.bar(ax=ax, color="0.55", **kind_kwargs)
    else:
        counts.plot.bar(ax=ax, color=[str(g) for g in np.linspace(0.35, 0.85, counts.shape[1])], **kind_kwargs)
        for container, hatch in zip(ax.containers, hatches * 4):
            for patch in container:
                patch.set_hatch(hatch)
        ax.legend(title=counts.columns.name)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.tick_params(axis="x", rotation=30)
    if title:
        ax.set_title(title)
    return ax
