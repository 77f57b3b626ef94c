"""What makes a prediction doubtful: one set of signal checks, and one silence level, for every path.

A model answers whatever it is given: a near-silent file, a clipped one or a file with a DC
offset still gets an emotion, often with high confidence.  :func:`audio_quality` measures, on
the file as recorded (native rate, every channel, read in blocks so that length does not cost
memory), what the course knows to make a result doubtful, and :func:`quality_flags` turns the
measures into flags.  Folder prediction puts the flags in a ``flags`` column and counts them;
doubtful rows are kept, not skipped: the user decides.

:data:`SILENCE_DB` is the one silence level of the course: a timeline window below it is marked
silence, and a clip whose speech stays below it is flagged ``low_level`` (the clip's *active
level*, that of its louder 20-ms frames, so that pauses around the speech do not count).  (A file whose peak never
reaches -70 dBFS holds no signal at all and is refused when it is read,
:data:`utils.data.audio.SILENCE_PEAK`.)

Examples
--------
>>> import numpy as np, soundfile as sf, tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "offset.wav"
>>> t = np.arange(16000) / 16000
>>> sf.write(path, 0.1 * np.sin(2 * np.pi * 200 * t) + 0.05, 16000)
>>> quality_flags(audio_quality(path))
['dc_offset']
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

SILENCE_DB = -45.0
"""RMS level (dB relative to full scale, dBFS) below which audio is silence: timeline windows are
marked so (the default of :func:`utils.predict.timeline.predict_timeline`) and clips are flagged
``low_level``.  Speech recorded at a sensible level has an RMS of about -35 to -15 dBFS; a quiet
room about -60 dBFS."""

DC_OFFSET = 0.005
"""Mean sample value (of any channel, full scale 1) above which a file is flagged ``dc_offset``."""

CLIP_LEVEL = 0.999
"""Samples at or beyond this magnitude count as clipped."""

CLIPPED_SHARE = 0.001
"""Share of clipped samples (0.1%) from which a file is flagged ``clipping``."""

MIN_SECONDS = 0.5
"""Clips shorter than this (as recorded) are flagged ``too_short``: too little speech for a reliable answer."""

LONG_CLIP_SECONDS = 30.0
"""Clips longer than this are flagged ``too_long``: one prediction for a long recording averages over
everything said in it; ``--timeline`` (:func:`utils.predict.timeline.predict_timeline`) is meant for them."""

CANCEL_DB = 10.0
"""A multi-channel file whose mono mix is this many dB below its loudest channel is flagged
``mono_cancels`` (channels in opposite phase cancel when averaged)."""

ACTIVE_PERCENTILE = 90
"""A clip's active level is this percentile of the RMS levels of its :data:`LEVEL_FRAME_SECONDS` frames."""

LEVEL_FRAME_SECONDS = 0.02
"""Length of the frames whose levels give a clip's active level (20 ms)."""

FLAGS = {
    "low_level": f"speech below {SILENCE_DB:g} dBFS RMS: what the timeline calls silence",
    "clipping": f"at least {CLIPPED_SHARE:.1%} of the samples clipped at full scale",
    "dc_offset": f"DC offset above {DC_OFFSET:g} of full scale",
    "too_short": f"shorter than {MIN_SECONDS:g} s",
    "too_long": f"longer than {LONG_CLIP_SECONDS:g} s: one answer for the whole recording (see --timeline)",
    "mono_cancels": f"mono mix {CANCEL_DB:g} dB or more below the loudest channel (channels in opposite phase)",
    "no_voiced_frames": "no voiced frame (no pitch of a voice found): noise or silence, not speech",
}
"""Every flag :func:`quality_flags` can raise, with what it means."""


def level_db(y) -> float:
    """RMS level in dBFS of a signal (-200 for digital silence); the measure :data:`SILENCE_DB` applies to.

    Examples
    --------
    >>> round(level_db(np.full(100, 0.1)), 1)
    -20.0
    """
    y = np.asarray(y, dtype=np.float64)
    return _db(float(np.mean(y**2)) if y.size else 0.0)


def active_level_db(y, sr: int) -> float:
    """Active level in dBFS of a signal in memory: the :data:`ACTIVE_PERCENTILE` percentile of the
    RMS levels of its 20-ms frames, each frame's own offset removed (as :func:`audio_quality`
    measures a file's ``active_db``; the overall RMS level for a signal shorter than one frame).

    Pauses do not lower it, so a clip with long silences and the same speech without them have
    about the same active level.

    Examples
    --------
    >>> tone = 0.1 * np.sin(np.linspace(0, 400 * np.pi, 16000))
    >>> round(active_level_db(np.concatenate([tone, np.zeros(48000)]), 16000), 1)   # 75% silence
    -23.0
    """
    y = np.asarray(y, dtype=np.float64)
    frame = max(1, int(LEVEL_FRAME_SECONDS * sr))
    k = len(y) // frame
    if not k:
        return level_db(y - y.mean()) if y.size else level_db(y)
    return _db(float(np.percentile(y[: k * frame].reshape(k, frame).var(axis=1), ACTIVE_PERCENTILE)))


def _db(power: float) -> float:
    return float(10 * np.log10(power + 1e-20))


def audio_quality(path, *, block_seconds: float = 30.0) -> dict:
    """Measures of a file as recorded: level, peak, DC, clipping, channels, duration.

    Reads the file in blocks of ``block_seconds`` at its own sample rate (memory does not grow
    with its length).

    Returns
    -------
    dict
        ``duration`` (s), ``rms_db`` (of the mono mix), ``active_db`` (the
        :data:`ACTIVE_PERCENTILE` percentile of its 20-ms frame levels); both levels are of the
        signal without its DC offset, as the features see it, ``peak`` (largest magnitude),
        ``dc`` (largest absolute channel mean), ``clipped_share``, ``channels`` and
        ``mono_drop_db`` (loudest channel's level minus the mono mix's; 0 for mono files).

    Raises
    ------
    utils.data.audio.AudioError
        The file cannot be read (as :func:`utils.data.audio.load_audio` would say).
    """
    from .audio import _open_checked

    path = Path(path)
    with _open_checked(path) as handle:
        channels, rate = int(handle.channels), int(handle.samplerate)
        frame = max(1, int(LEVEL_FRAME_SECONDS * rate))
        n, frame_power = 0, []
        sums = np.zeros(channels)
        squares = np.zeros(channels)
        mono_sum, mono_squares, peak, clipped = 0.0, 0.0, 0.0, 0
        for block in handle.blocks(blocksize=frame * max(1, int(block_seconds / LEVEL_FRAME_SECONDS)), dtype="float64", always_2d=True):
            block = np.nan_to_num(block)
            n += len(block)
            sums += block.sum(axis=0)
            squares += (block**2).sum(axis=0)
            mono = block.mean(axis=1)
            mono_sum += float(mono.sum())
            mono_squares += float((mono**2).sum())
            k = len(mono) // frame
            if k:
                frame_power.append(mono[: k * frame].reshape(k, frame).var(axis=1))   # each frame's own offset removed
            magnitude = np.abs(block)
            peak = max(peak, float(magnitude.max(initial=0.0)))
            clipped += int((magnitude >= CLIP_LEVEL).any(axis=1).sum())
    n = max(n, 1)
    mono_db = _db(max(mono_squares / n - (mono_sum / n) ** 2, 0.0))   # the level of the sound, DC offset removed
    active = _db(float(np.percentile(np.concatenate(frame_power), ACTIVE_PERCENTILE))) if frame_power else mono_db
    drop = 0.0 if channels == 1 else _db(float(np.max(squares / n - (sums / n) ** 2))) - mono_db
    return {
        "duration": n / rate, "rms_db": mono_db, "active_db": active, "peak": peak, "dc": float(np.abs(sums / n).max()),
        "clipped_share": clipped / n, "channels": channels, "mono_drop_db": float(drop),
    }


def quality_flags(measures: dict) -> list:
    """The :data:`FLAGS` that :func:`audio_quality`'s measures raise, in the order of :data:`FLAGS`.

    ``no_voiced_frames`` needs a pitch tracker, which lives with the features: it is raised when
    ``measures`` holds ``voiced_frames`` (counted by :func:`utils.predict.clips.file_quality`
    with the bundle's own voicing settings) and that count is 0.

    Examples
    --------
    >>> quality_flags({"duration": 45.0, "rms_db": -60.0, "active_db": -52.0, "peak": 0.01, "dc": 0.0, "clipped_share": 0.0, "channels": 1, "mono_drop_db": 0.0})
    ['low_level', 'too_long']
    """
    raised = {
        "low_level": measures["active_db"] < SILENCE_DB,
        "clipping": measures["clipped_share"] >= CLIPPED_SHARE,
        "dc_offset": measures["dc"] > DC_OFFSET,
        "too_short": measures["duration"] < MIN_SECONDS,
        "too_long": measures["duration"] > LONG_CLIP_SECONDS,
        "mono_cancels": measures["channels"] > 1 and measures["mono_drop_db"] >= CANCEL_DB,
        "no_voiced_frames": measures.get("voiced_frames") == 0,
    }
    return [flag for flag in FLAGS if raised[flag]]


def flag_counts(flags) -> dict:
    """How many rows carry each flag, for a column of ``;``-joined flags (only flags that occur).

    Examples
    --------
    >>> flag_counts(["", "low_level", "low_level;clipping"])
    {'low_level': 2, 'clipping': 1}
    """
    counts = {}
    for entry in flags:
        for flag in str(entry).split(";") if entry else []:
            counts[flag] = counts.get(flag, 0) + 1
    return {flag: counts[flag] for flag in FLAGS if flag in counts} | {f: c for f, c in counts.items() if f not in FLAGS}
