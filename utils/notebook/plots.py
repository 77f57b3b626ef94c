"""Plotting helpers shared by the notebooks: waveforms, spectrograms, counts, confusion matrices,
training curves and emotion timelines.

Every function draws on a given matplotlib ``Axes`` (or makes one) and returns it, so notebooks
can arrange several plots in one figure.  Axes carry units; colours are chosen to stay readable
in grey scale.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from ..evaluation.metrics import Report


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



def plot_timeline(df, ax=None, title: str | None = None):
    """Draw a timeline: one row per class, a bar where a window predicts it, darker when surer.

    Readable in grey scale: the class is given by the row, the confidence by the shade; silent
    windows are drawn in their own row (light hatching).  Overlapping windows are drawn as
    ``hop``-long bars at their start.

    Parameters
    ----------
    df : pandas.DataFrame
        Output of :func:`predict_timeline`.
    ax : matplotlib Axes, optional
    title : str, optional

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> plot_timeline(predict_timeline("meeting.flac", "models/demo"))   # doctest: +SKIP
    """
    import matplotlib.pyplot as plt

    from ..predict.timeline import SILENCE

    if not len(df):
        raise ValueError("the timeline is empty")
    fixed = {"start", "end", "emotion", "confidence", "silent", "rms_db", "path"}
    labels = [c for c in df.columns if c not in fixed]
    rows = labels + [SILENCE]
    if ax is None:
        _, ax = plt.subplots(figsize=(10, 0.4 * len(rows) + 1.2))
    starts = df["start"].to_numpy(dtype=float)
    steps = np.diff(starts)
    width = float(np.median(steps)) if len(steps) else float(df["end"].iloc[0] - df["start"].iloc[0])
    cmap = plt.get_cmap("Greys")
    for y, name in enumerate(rows):
        part = df[df["emotion"] == name]
        if not len(part):
            continue
        spans = [(s, width) for s in part["start"]]
        if name == SILENCE:
            ax.broken_barh(spans, (y - 0.35, 0.7), facecolors="white", edgecolors="0.6", hatch="///", linewidth=0.3)
        else:
            colors = [cmap(0.3 + 0.7 * float(c)) for c in part["confidence"]]
            ax.broken_barh(spans, (y - 0.35, 0.7), facecolors=colors, edgecolors="none")
    ax.set_yticks(range(len(rows)), rows)
    ax.set_ylim(-0.6, len(rows) - 0.4)
    ax.invert_yaxis()
    ax.set_xlim(float(df["start"].min()), float(df["end"].max()))
    ax.set_xlabel("time (s)")
    ax.set_ylabel("predicted")
    ax.set_title(title or "Emotion over time (darker = more confident)")
    return ax


def plot_confusion(report: Report, normalize: bool = False, ax=None, title: str | None = None, cmap: str = "Greys"):
    """Draw the confusion matrix with every cell annotated (readable in grey scale).

    Parameters
    ----------
    report : Report
    normalize : bool
        Show row-normalised fractions (each row sums to 1; the diagonal is the recall) instead of
        counts.
    ax : matplotlib Axes, optional
    title : str, optional
        Default: "Confusion matrix (counts)" or "(row-normalised: recall on the diagonal)".
    cmap : str
        A sequential colour map; the default grey keeps the figure readable when printed.

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> plot_confusion(report, normalize=True)       # doctest: +SKIP
    """
    import matplotlib.pyplot as plt

    if ax is None:
        size = 1.0 + 0.6 * len(report.labels)
        _, ax = plt.subplots(figsize=(size + 1.2, size))
    data = report.confusion_normalized if normalize else report.confusion
    values = data.to_numpy(dtype=float)
    vmax = 1.0 if normalize else max(1.0, values.max())
    image = ax.imshow(values, cmap=cmap, vmin=0, vmax=vmax)
    k = len(report.labels)
    for i in range(k):
        for j in range(k):
            v = values[i, j]
            text = f"{v:.2f}" if normalize else f"{int(v)}"
            dark = v / vmax > 0.5
            ax.text(j, i, text, ha="center", va="center", fontsize=8, color="white" if dark else "black", fontweight="bold" if i == j else "normal")
    ax.set_xticks(range(k), report.labels, rotation=45, ha="right")
    ax.set_yticks(range(k), report.labels)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    if title is None:
        title = "Confusion matrix (row-normalised: recall on the diagonal)" if normalize else "Confusion matrix (counts)"
    ax.set_title(title)
    ax.figure.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label="fraction of the true class" if normalize else "clips")
    return ax


def plot_history(history, axes=None, title: str | None = None):
    """Loss and accuracy per epoch, training (solid) vs validation (dashed), best epoch marked.

    Parameters
    ----------
    history : dict or keras History
        ``{"loss": [...], "val_loss": [...], "accuracy": [...], "val_accuracy": [...]}``, as
        returned by :func:`utils.learn.training.train` (a Keras ``History`` object works too).
    axes : pair of matplotlib Axes, optional
    title : str, optional
        Figure title.

    Returns
    -------
    numpy array of two Axes

    Examples
    --------
    >>> plot_history(history)                        # doctest: +SKIP
    """
    import matplotlib.pyplot as plt

    history = getattr(history, "history", history)
    if "loss" not in history or not len(history["loss"]):
        raise ValueError("history holds no 'loss' values: pass the dict returned by utils.learn.training.train")
    if axes is None:
        fig, axes = plt.subplots(1, 2, figsize=(10, 3.5))
    axes = np.asarray(axes).ravel()
    epochs = np.arange(1, len(history["loss"]) + 1)
    best = int(np.argmin(history["val_loss"])) + 1 if history.get("val_loss") else None
    for ax, metric, label in zip(axes, ("loss", "accuracy"), ("loss (cross-entropy)", "accuracy")):
        if metric in history:
            ax.plot(epochs, history[metric], color="0.15", linestyle="-", marker="o", markersize=3, label="training")
        if f"val_{metric}" in history:
            ax.plot(epochs, history[f"val_{metric}"], color="0.45", linestyle="--", marker="s", markersize=3, label="validation")
        if best is not None:
            ax.axvline(best, color="0.6", linestyle=":", label=f"best epoch ({best})")
        ax.set_xlabel("epoch")
        ax.set_ylabel(label)
        ax.legend(frameon=False)
    if title:
        axes[0].figure.suptitle(title)
    return axes
