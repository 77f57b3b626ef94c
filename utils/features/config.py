"""The one feature configuration shared by training and inference: :class:`FeatureConfig`.

Training and inference must compute features the same way.  :class:`FeatureConfig` holds every
setting that changes a feature value (sample rate and resampler, trimming, STFT, the feature
blocks and how they are pooled, the pitch tracker of the prosody block, the statistics of the
course's dense model) in one frozen object.  It is saved as JSON beside whatever it produced (a
feature folder, the cache, a model bundle) and read back by the next notebook or the bundle.  Its
:meth:`~FeatureConfig.fingerprint` names the cache folder and is checked when a bundle is loaded,
so a change of any setting recomputes the features and refuses a model trained on others.

Examples
--------
>>> config = FeatureConfig()
>>> config.vector_size
180
>>> FeatureConfig(pitch_fmax=500.0).fingerprint() != config.fingerprint()
True
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

FEATURE_VERSION = 3
"""Version of the computation; part of every fingerprint, raised when a formula changes."""

SPECTRAL_BLOCKS = ("mfcc", "chroma", "mel")
"""The spectral feature blocks, in the order they appear in the default clip vector."""

PROSODY_NAMES = ("f0_semitones", "voiced", "periodicity", "energy_db")
"""Values of each frame of the ``"prosody"`` block (:func:`utils.features.prosody.prosody_frames`)."""

ALL_BLOCKS = SPECTRAL_BLOCKS + ("prosody",)
"""Every block a configuration can name in ``vector_features`` or ``frame_features``."""

STATS = ("mean", "std", "min", "max")
"""Statistics that can pool a block over time."""

FRAME_CROPS = ("center", "start")
"""How a sequence longer than ``n_frames`` is cut."""

RES_TYPES = ("soxr_vhq", "soxr_hq", "soxr_mq", "soxr_lq", "soxr_qq", "kaiser_best", "kaiser_fast", "polyphase", "fft", "scipy")
"""Resamplers :func:`librosa.resample` offers (``res_type``)."""

# Declared types of the fields, for validation of values read from JSON.
_FIELD_KINDS = {
    "sr": "int",
    "res_type": "str",
    "offset": "float",
    "duration": "float?",
    "remove_dc": "bool",
    "trim_db": "float?",
    "level_db": "float?",
    "n_fft": "int",
    "win_length": "int?",
    "hop_length": "int",
    "n_mfcc": "int",
    "n_mels": "int",
    "n_chroma": "int",
    "fmin": "float",
    "fmax": "float?",
    "stats": "strs",
    "vector_features": "strs",
    "n_frames": "int",
    "frame_features": "strs",
    "frame_crop": "str",
    "pad_value": "float",
    "pitch_fmin": "float",
    "pitch_fmax": "float",
    "voicing_threshold": "float",
    "voicing_top_db": "float",
    "percentiles": "floats",
    "deltas": "bool",
    "delta_width": "int",
}

_UNFINGERPRINTED = {"level_db": None}
"""Fields added after :data:`FEATURE_VERSION` 3, with the value that computes what configurations
computed before them: at that value a field is left out of the fingerprint, so caches and model
bundles made before it stay valid."""

_ADDED_LATER = {"remove_dc": False, **_UNFINGERPRINTED}
"""Fields added after configurations were first saved, with the value that reproduces what a
configuration saved before them computed (read when the field is missing from the JSON)."""


def level_argument(text: str) -> float | None:
    """A command line's ``--level-db`` value: a level in dBFS, or ``none`` for levels as recorded."""
    return None if text.strip().lower() == "none" else float(text)


def _is_int(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _is_number(value) -> bool:
    return _is_int(value) or (isinstance(value, (float, np.floating)) and not isinstance(value, bool))


def _check_kind(name: str, value, kind: str):
    """Check ``value`` against the declared kind of field ``name`` and return it normalised."""
    optional = kind.endswith("?")
    base = kind.rstrip("?")
    if value is None:
        if optional:
            return None
        raise ValueError(f"{name} must not be None")
    if base == "int":
        if not _is_int(value):
            raise ValueError(f"{name} must be an integer, not {value!r}")
        return int(value)
    if base == "float":
        if not _is_number(value) or not math.isfinite(float(value)):
            raise ValueError(f"{name} must be a finite number, not {value!r}")
        return float(value)
    if base == "bool":
        if not isinstance(value, (bool, np.bool_)):
            raise ValueError(f"{name} must be true or false, not {value!r}")
        return bool(value)
    if base == "floats":
        if isinstance(value, str) or not isinstance(value, (list, tuple)) or not all(_is_number(v) for v in value):
            raise ValueError(f"{name} must be a list of numbers, not {value!r}")
        return tuple(float(v) for v in value)
    if base == "str":
        if not isinstance(value, str):
            raise ValueError(f"{name} must be a string, not {value!r}")
        return value
    if base == "strs":
        if isinstance(value, str) or not isinstance(value, (list, tuple)):
            raise ValueError(f"{name} must be a list of strings, not {value!r}")
        if not all(isinstance(v, str) for v in value):
            raise ValueError(f"{name} must hold strings only, not {value!r}")
        return tuple(value)
    raise AssertionError(kind)  # pragma: no cover - the table above is complete



@dataclass(frozen=True)
class FeatureConfig:
    """The one feature configuration shared by training and inference.

    Parameters
    ----------
    sr : int
        Sample rate the audio is resampled to (Hz).
    res_type : str
        Resampler (:func:`librosa.resample`'s ``res_type``, one of :data:`RES_TYPES`).
    offset : float
        Seconds skipped at the start of every file before anything else.
    duration : float, optional
        Seconds read after ``offset``; ``None`` reads to the end.
    remove_dc : bool
        Subtract the signal's mean (its DC offset) before anything else, so that a constant offset
        (a cheap sound card, a badly set mixer) changes neither the trimming nor any feature
        (:func:`utils.features.clip.remove_dc`).
    trim_db : float, optional
        Trim leading and trailing parts quieter than this many dB below the clip's loudest frame
        (:func:`librosa.effects.trim`); ``None`` keeps the clip as read.
    level_db : float, optional
        Scale every signal, after trimming, so that its active level (the
        :data:`~utils.data.quality.ACTIVE_PERCENTILE` percentile of its 20-ms frame levels, the
        measure of :func:`utils.data.quality.audio_quality`) is this many dBFS
        (:func:`utils.features.clip.normalize_level`).  The features then do not depend on how
        loud a recording was made: a microphone's gain is not an emotion.  ``None`` keeps the
        level as recorded (louder clips then look angrier to a model trained on one corpus).
    n_fft : int
        FFT length in samples (512 = 32 ms at 16 kHz); also the shortest usable clip.
    win_length : int, optional
        Window length (default ``n_fft``).
    hop_length : int
        Samples between frames (160 = 10 ms at 16 kHz).
    n_mfcc, n_mels, n_chroma : int
        Sizes of the MFCC, mel and chroma blocks.
    fmin, fmax : float
        Frequency range of the mel filterbank (``fmax=None`` is ``sr / 2``).
    stats : tuple of str
        How each block is pooled over time, any of :data:`STATS`.  ``("mean",)`` gives the classic
        180 values; ``("mean", "std")`` gives 360 (all means first, then all standard deviations).
    vector_features : tuple of str
        Blocks of the clip vector, in this order, any of :data:`ALL_BLOCKS` (the spectral blocks
        of :data:`SPECTRAL_BLOCKS` and ``"prosody"``).
    n_frames : int
        Length of the frame-level sequences (300 frames = 3 s at the default hop).
    frame_features : tuple of str
        Blocks of each frame of a sequence, any of :data:`ALL_BLOCKS`.  The default, 40 MFCC, keeps 2,880 clips x 300 frames
        at 138 MB of float32; all 180 values would take 620 MB.
    frame_crop : {"center", "start"}
        Which part of a longer sequence is kept.  Shorter ones are padded at the end.
    pad_value : float
        Value of padded frames.
    pitch_fmin, pitch_fmax : float
        Frequency range (Hz) the YIN pitch tracker of the ``"prosody"`` block searches.
    voicing_threshold : float
        A frame is voiced when its YIN aperiodicity is below this value and its energy is within
        ``voicing_top_db`` of the clip's loudest frame.
    voicing_top_db : float
        Frames quieter than this many dB below the loudest frame are never voiced.
    percentiles : tuple of float
        Percentiles of every MFCC in the pooled frame statistics
        (:func:`utils.features.inputs.frame_statistics`, input kind ``"stats"``).
    deltas : bool
        Add the spread of the MFCCs' first and second regression deltas to those statistics.
    delta_width : int
        Frames of the delta regression window (odd, at least 3).

    Examples
    --------
    >>> config = FeatureConfig(stats=("mean", "std"))
    >>> config.vector_size
    360
    >>> config.feature_names()[:2]
    ['mfcc_01_mean', 'mfcc_02_mean']
    >>> FeatureConfig.from_dict(config.to_dict()) == config
    True
    """

    sr: int = 16000
    res_type: str = "soxr_hq"
    offset: float = 0.0
    duration: float | None = None
    remove_dc: bool = True
    trim_db: float | None = 30.0
    level_db: float | None = None
    n_fft: int = 512
    win_length: int | None = None
    hop_length: int = 160
    n_mfcc: int = 40
    n_mels: int = 128
    n_chroma: int = 12
    fmin: float = 0.0
    fmax: float | None = None
    stats: tuple = ("mean",)
    vector_features: tuple = SPECTRAL_BLOCKS
    n_frames: int = 300
    frame_features: tuple = ("mfcc",)
    frame_crop: str = "center"
    pad_value: float = 0.0
    pitch_fmin: float = 60.0
    pitch_fmax: float = 600.0
    voicing_threshold: float = 0.35
    voicing_top_db: float = 40.0
    percentiles: tuple = (10.0, 50.0, 90.0)
    deltas: bool = True
    delta_width: int = 9

    def __post_init__(self):
        for f in dataclasses.fields(self):
            object.__setattr__(self, f.name, _check_kind(f.name, getattr(self, f.name), _FIELD_KINDS[f.name]))
        self._validate()

    def _validate(self):
        """Range checks; each error names the bad argument."""
        if not 1000 <= self.sr <= 384000:
            raise ValueError(f"sr must be between 1000 and 384000 Hz, not {self.sr}")
        if self.offset < 0:
            raise ValueError(f"offset must be >= 0 seconds, not {self.offset}")
        if self.duration is not None and self.duration <= 0:
            raise ValueError(f"duration must be positive or None, not {self.duration}")
        if self.trim_db is not None and self.trim_db <= 0:
            raise ValueError(f"trim_db must be a positive number of dB or None, not {self.trim_db}")
        if self.level_db is not None and not -80 <= self.level_db <= 0:
            raise ValueError(f"level_db must be a level between -80 and 0 dBFS or None, not {self.level_db}")
        if self.n_fft < 16:
            raise ValueError(f"n_fft must be at least 16 samples, not {self.n_fft}")
        if self.win_length is not None and not 1 <= self.win_length <= self.n_fft:
            raise ValueError(f"win_length must be between 1 and n_fft={self.n_fft}, not {self.win_length}")
        if self.hop_length < 1:
            raise ValueError(f"hop_length must be a positive number of samples, not {self.hop_length}")
        if self.n_mels < 1:
            raise ValueError(f"n_mels must be positive, not {self.n_mels}")
        if not 1 <= self.n_mfcc <= self.n_mels:
            raise ValueError(f"n_mfcc must be between 1 and n_mels={self.n_mels}, not {self.n_mfcc}")
        if self.n_chroma < 1:
            raise ValueError(f"n_chroma must be positive, not {self.n_chroma}")
        nyquist = self.sr / 2
        if not 0 <= self.fmin < nyquist:
            raise ValueError(f"fmin must be in [0, sr/2={nyquist:g}) Hz, not {self.fmin}")
        if self.fmax is not None and not self.fmin < self.fmax <= nyquist:
            raise ValueError(f"fmax must be in (fmin={self.fmin:g}, sr/2={nyquist:g}] Hz or None, not {self.fmax}")
        for name, allowed in (("stats", STATS), ("vector_features", ALL_BLOCKS), ("frame_features", ALL_BLOCKS)):
            value = getattr(self, name)
            if not value:
                raise ValueError(f"{name} must name at least one of {allowed}")
            unknown = [v for v in value if v not in allowed]
            if unknown:
                raise ValueError(f"{name} holds unknown entries {unknown}; allowed: {allowed}")
            if len(set(value)) != len(value):
                raise ValueError(f"{name} names an entry twice: {value}")
        if self.n_frames < 1:
            raise ValueError(f"n_frames must be positive, not {self.n_frames}")
        if self.frame_crop not in FRAME_CROPS:
            raise ValueError(f"frame_crop must be one of {FRAME_CROPS}, not {self.frame_crop!r}")
        if self.res_type not in RES_TYPES:
            raise ValueError(f"res_type must be one of {RES_TYPES}, not {self.res_type!r}")
        if not 0 < self.pitch_fmin < self.pitch_fmax:
            raise ValueError(f"pitch_fmin and pitch_fmax must satisfy 0 < pitch_fmin < pitch_fmax, not {self.pitch_fmin}, {self.pitch_fmax}")
        if not 0 < self.voicing_threshold < 1:
            raise ValueError(f"voicing_threshold must be in (0, 1), not {self.voicing_threshold}")
        if self.voicing_top_db <= 0:
            raise ValueError(f"voicing_top_db must be a positive number of dB, not {self.voicing_top_db}")
        if not self.percentiles or not all(0 <= q <= 100 for q in self.percentiles) or len(set(self.percentiles)) != len(self.percentiles):
            raise ValueError(f"percentiles must be distinct values in [0, 100], not {self.percentiles}")
        if self.delta_width < 3 or self.delta_width % 2 == 0:
            raise ValueError(f"delta_width must be an odd number of frames >= 3, not {self.delta_width}")

    # -- derived sizes and names -------------------------------------------------------------

    def block_size(self, block: str) -> int:
        """Number of values per frame of one block (``"mfcc"``, ``"chroma"``, ``"mel"`` or ``"prosody"``)."""
        sizes = {"mfcc": self.n_mfcc, "chroma": self.n_chroma, "mel": self.n_mels, "prosody": len(PROSODY_NAMES)}
        if block not in sizes:
            raise ValueError(f"block must be one of {ALL_BLOCKS}, not {block!r}")
        return sizes[block]

    @property
    def vector_size(self) -> int:
        """Length of a clip vector."""
        return len(self.stats) * sum(self.block_size(b) for b in self.vector_features)

    @property
    def n_frame_features(self) -> int:
        """Number of values per frame of a sequence."""
        return sum(self.block_size(b) for b in self.frame_features)

    @property
    def frame_shape(self) -> tuple:
        """Shape of one clip's frame sequence, ``(n_frames, n_frame_features)``."""
        return (self.n_frames, self.n_frame_features)

    def block_names(self, block: str) -> list:
        """Names of the values of one block, e.g. ``mfcc_01`` ... ``mfcc_40``."""
        if block == "prosody":
            return list(PROSODY_NAMES)
        n = self.block_size(block)
        width = max(2 if block != "mel" else 3, len(str(n)))
        return [f"{block}_{i:0{width}d}" for i in range(1, n + 1)]

    def feature_names(self) -> list:
        """Names of the clip vector's entries, e.g. ``mfcc_01_mean`` ... ``mel_128_mean``."""
        return [f"{name}_{stat}" for stat in self.stats for b in self.vector_features for name in self.block_names(b)]

    def frame_feature_names(self) -> list:
        """Names of the values of one frame of a sequence, e.g. ``mfcc_01`` ... ``mfcc_40``."""
        return [name for b in self.frame_features for name in self.block_names(b)]

    # -- (de)serialisation ------------------------------------------------------------------

    def to_dict(self) -> dict:
        """Plain JSON-ready dictionary of all fields (tuples become lists)."""
        return {f.name: (list(v) if isinstance(v := getattr(self, f.name), tuple) else v) for f in dataclasses.fields(self)}

    @classmethod
    def from_dict(cls, data: dict) -> "FeatureConfig":
        """Build a configuration from :meth:`to_dict` output, checking every key and type.

        Raises
        ------
        ValueError
            Unknown or missing keys, or a value of the wrong type or range; the message names
            the field.
        """
        if not isinstance(data, dict):
            raise ValueError(f"a FeatureConfig must be read from a JSON object, not {type(data).__name__}")
        names = [f.name for f in dataclasses.fields(cls)]
        unknown = sorted(set(data) - set(names))
        if unknown:
            raise ValueError(f"unknown FeatureConfig field(s) {unknown}; known fields: {names}")
        data = {**_ADDED_LATER, **data}
        missing = [n for n in names if n not in data]
        if missing:
            raise ValueError(f"FeatureConfig field(s) {missing} missing")
        values = {n: _check_kind(n, data[n], _FIELD_KINDS[n]) for n in names}
        return cls(**values)

    def to_json(self, path) -> Path:
        """Write the configuration as JSON to ``path`` and return the path."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_dict(), indent=2) + "\n", encoding="utf-8")
        return path

    @classmethod
    def from_json(cls, path) -> "FeatureConfig":
        """Read a configuration written by :meth:`to_json` (see :meth:`from_dict` for the checks)."""
        path = Path(path)
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}: not valid JSON ({exc})") from None
        return cls.from_dict(data)

    def fingerprint(self) -> str:
        """Stable 12-character hash of the configuration and :data:`FEATURE_VERSION`."""
        fields = {k: v for k, v in self.to_dict().items() if k not in _UNFINGERPRINTED or v != _UNFINGERPRINTED[k]}
        text = json.dumps({"version": FEATURE_VERSION, **fields}, sort_keys=True)
        return hashlib.sha1(text.encode("utf-8")).hexdigest()[:12]

