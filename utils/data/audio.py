"""Reading audio files: one place that decodes, checks and resamples, with clear errors.

Every stage of the course reads audio through :func:`load_audio`, so a bad file is reported the
same way everywhere: an :class:`AudioError` whose message names the file and the problem.
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import soundfile as sf

from ..core.files import not_regular

AUDIO_SUFFIXES = (".wav", ".flac", ".ogg", ".oga", ".aif", ".aiff", ".mp3")
"""File suffixes the course treats as audio (libsndfile decodes all of them without extra tools).

Scanning a corpus folder and predicting a folder look for these; a file named explicitly is
always tried, whatever its suffix."""

SILENCE_PEAK = 10 ** (-70 / 20)
"""A clip whose absolute peak stays below -70 dBFS is treated as silent (no usable speech)."""


class AudioError(ValueError):
    """A file that cannot be used as audio; the message names the file and the reason."""

    def __init__(self, path, reason: str):
        self.path = Path(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


def _wav_truncation(path: Path) -> str | None:
    """Return a reason if a RIFF/WAVE file's data chunk is shorter than its header declares.

    libsndfile quietly decodes what is there, so a download cut short would otherwise pass as a
    shorter clip.  Only the chunk headers are read.
    """
    try:
        size = path.stat().st_size
        with open(path, "rb") as fh:
            head = fh.read(12)
            if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
                return None
            pos = 12
            while pos + 8 <= size:
                fh.seek(pos)
                chunk_id, chunk_size = struct.unpack("<4sI", fh.read(8))
                if chunk_id == b"data":
                    available = size - (pos + 8)
                    if chunk_size > available and chunk_size != 0xFFFFFFFF:
                        return (
                            f"truncated WAV: header declares {chunk_size} bytes of audio, "
                            f"file holds {available}"
                        )
                    return None
                pos += 8 + chunk_size + (chunk_size & 1)
    except OSError:
        return None
    return None


def _open(path: Path):
    """An open :class:`soundfile.SoundFile` (header read, nothing decoded), or AudioError."""
    kind = not_regular(path)
    if kind:
        raise AudioError(path, f"not a regular file ({kind})")
    if not path.is_file():
        raise AudioError(path, "file not found")
    try:
        return sf.SoundFile(str(path))
    except Exception as exc:  # libsndfile raises several types for foreign files
        raise AudioError(path, f"not readable as audio ({_short(exc, path)})") from None


def _open_checked(path: Path):
    """:func:`_open` of a file that is also not truncated and not empty."""
    handle = _open(path)
    if handle.format == "WAV":
        reason = _wav_truncation(path)
        if reason:
            handle.close()
            raise AudioError(path, reason)
    if handle.frames == 0:
        handle.close()
        raise AudioError(path, "holds no audio samples")
    return handle


def audio_info(path) -> dict:
    """Read a file's header: sample rate, channels, frames and duration, without decoding it.

    Raises
    ------
    AudioError
        If the file does not exist or is not audio that libsndfile can read.
    """
    path = Path(path)
    with _open(path) as info:
        return {
            "sample_rate": int(info.samplerate),
            "channels": int(info.channels),
            "frames": int(info.frames),
            "duration": float(info.frames) / float(info.samplerate) if info.samplerate else 0.0,
            "format": info.format,
            "subtype": info.subtype,
        }


def _short(exc: Exception, path: Path) -> str:
    """First line of an exception message, without libsndfile's repetition of the file name."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    for noise in (f"Error opening {str(path)!r}:", f"Error opening {str(path)}:", f"{str(path)!r}:", str(path)):
        text = text.replace(noise, "")
    return text.strip(" :") or type(exc).__name__


def load_audio(
    path,
    sr: int | None = None,
    *,
    mono: bool = True,
    offset: float = 0.0,
    duration: float | None = None,
    check_silence: bool = True,
    res_type: str = "soxr_hq",
):
    """Decode an audio file to float32, optionally mixed to mono and resampled.

    Parameters
    ----------
    path : str or Path
        WAV, FLAC or any other format libsndfile reads.
    sr : int, optional
        Target sample rate; ``None`` keeps the file's own.
    mono : bool
        Average the channels of a multi-channel file.
    offset, duration : float
        Start and length in seconds of the part to read (``duration=None`` reads to the end).
    check_silence : bool
        Raise :class:`AudioError` if the decoded signal is silent (peak below -70 dBFS).
    res_type : str
        Resampling method passed to :func:`librosa.resample`.

    Returns
    -------
    y : np.ndarray
        ``(n,)`` for mono, ``(channels, n)`` otherwise, float32 in [-1, 1].
    sr : int
        Sample rate of ``y``.

    Raises
    ------
    AudioError
        Missing, unreadable, truncated, empty or silent file; the message names the file.

    Examples
    --------
    >>> y, sr = load_audio("data/demo/RAVDESS-demo-synthetic/Actor_01/03-01-05-02-01-01-01.wav", sr=16000)  # doctest: +SKIP
    """
    path = Path(path)
    with _open_checked(path) as handle:  # one open serves the header, the checks and the decoding
        native = int(handle.samplerate)
        start = int(round(offset * native))
        n_read = -1 if duration is None else int(round(duration * native))
        try:
            if start:
                handle.seek(min(start, handle.frames))
            data = handle.read(n_read, dtype="float32", always_2d=False)
        except Exception as exc:
            raise AudioError(path, f"cannot be decoded ({_short(exc, path)})") from None
        integer_samples = handle.subtype.startswith(("PCM", "ULAW", "ALAW", "DPCM", "DWVW")) or handle.format == "FLAC"
    if data.shape[0] == 0:
        raise AudioError(path, "holds no audio samples" + (f" after {offset:.2f} s" if offset else ""))
    if mono:
        y = data if data.ndim == 1 else data.mean(axis=1)
    else:
        y = data[None, :] if data.ndim == 1 else data.T  # (channels, n)
    if not integer_samples and not np.all(np.isfinite(y)):  # integer formats cannot hold NaN
        raise AudioError(path, "contains NaN or infinite sample values")
    if check_silence and max(float(y.max()), -float(y.min())) < SILENCE_PEAK:
        if data.ndim == 2 and float(np.abs(data).max()) >= SILENCE_PEAK:
            raise AudioError(path, "silent once its channels are mixed to mono: they cancel (one is the other in opposite phase); use one channel")
        raise AudioError(path, "silent (peak below -70 dBFS)")
    if sr is not None and sr != native:
        import librosa

        y = librosa.resample(y, orig_sr=native, target_sr=sr, res_type=res_type, axis=-1)
        native = sr
    return np.ascontiguousarray(y, dtype=np.float32), int(native)


def write_wav(path, y, sr: int, subtype: str = "PCM_16") -> Path:
    """Write a mono or ``(channels, n)`` float signal as a WAV file (16-bit by default)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    y = np.asarray(y)
    sf.write(str(path), y.T if y.ndim == 2 else y, sr, subtype=subtype, format="WAV")
    return path


def stream_signal(path, sr: int, *, block_seconds: float = 30.0, res_type: str = "soxr_hq"):
    """Yield a file's signal as consecutive mono float32 blocks at ``sr``, never the whole file.

    The file passes the same checks as :func:`load_audio` (missing, not audio, truncated, empty).
    Blocks of ``block_seconds`` are mixed to mono and resampled with soxr's streaming resampler,
    which keeps the filter state between blocks: the concatenated output equals resampling the
    whole file at once with the soxr ``res_type`` of the same quality.

    Parameters
    ----------
    path : str or Path
    sr : int
        Sample rate of the blocks.
    block_seconds : float
        Seconds of audio read at a time.
    res_type : str
        A soxr resampler name as in :func:`load_audio` (``"soxr_hq"``, ``"soxr_vhq"``, ...).

    Raises
    ------
    AudioError
        Everything :func:`load_audio` rejects, and NaN samples; the message names the file.
    """
    path = Path(path)
    quality = {"soxr_vhq": "VHQ", "soxr_hq": "HQ", "soxr_mq": "MQ", "soxr_lq": "LQ", "soxr_qq": "QQ"}.get(res_type)
    if quality is None:
        raise ValueError(f"stream_signal resamples with soxr: res_type must be one of soxr_vhq, soxr_hq, soxr_mq, soxr_lq, soxr_qq, not {res_type!r}")
    with _open_checked(path) as handle:
        native = int(handle.samplerate)
        resampler = None
        if native != sr:
            import soxr

            resampler = soxr.ResampleStream(native, sr, 1, dtype="float32", quality=quality)
        blocksize = max(1, int(block_seconds * native))
        position = 0
        while True:
            try:
                data = handle.read(blocksize, dtype="float32", always_2d=True)
            except Exception as exc:
                raise AudioError(path, f"cannot be decoded after {position / native:.1f} s ({_short(exc, path)})") from None
            last = len(data) < blocksize
            mono = data[:, 0] if data.shape[1] == 1 else data.mean(axis=1)
            if not np.all(np.isfinite(mono)):
                raise AudioError(path, f"contains NaN or infinite sample values near {position / native:.1f} s")
            position += len(data)
            out = resampler.resample_chunk(np.ascontiguousarray(mono), last=last) if resampler is not None else mono
            if len(out):
                yield np.ascontiguousarray(out, dtype=np.float32)
            if last:
                return
