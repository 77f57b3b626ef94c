"""The synthesiser: a sentence in a :class:`~utils.data.demo.voices.Voice`, as a float signal.

:func:`synthesize_speech` renders one clip in the steps listed in :mod:`utils.data.demo`:
:func:`syllable_segments` and :func:`fit_duration` lay the sentence out in time,
:func:`pitch_contour` gives F0 per sample, :func:`glottal_source` the excitation,
:func:`render_vowel` and :func:`render_consonant` filter it segment by segment, and the result is
set to the voice's loudness, limited by :func:`soft_limit` and framed by near-silence with
:func:`noise_floor`.  :func:`to_pcm16` rounds it for a 16-bit WAV file.

Examples
--------
>>> from utils.data.demo.voices import clip_rng, make_speaker, make_voice
>>> rng = clip_rng(0, "cremad", 1, 0)
>>> voice = make_voice(make_speaker(0, "cremad", 1, female=True), "sad", 1.0, rng)
>>> y = synthesize_speech("It's eleven o'clock", voice, 16000, "cremad", rng)
>>> MIN_DURATION <= y.size / 16000 <= MAX_DURATION, float(abs(y).max()) < LIMITER_CEILING
(True, True)
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy import signal

from ..corpora import CREMAD_SENTENCES, RAVDESS_STATEMENTS
from .voices import Voice

LEAD_SILENCE = {"ravdess": (0.5, 0.8), "cremad": (0.3, 0.5)}
"""Range of the near-silent head (s); real RAVDESS clips start with roughly 0.5-1 s of it."""
TAIL_SILENCE = {"ravdess": (0.3, 0.5), "cremad": (0.25, 0.4)}
"""Range of the near-silent tail (s)."""
MIN_DURATION, MAX_DURATION = 2.1, 3.9
"""Clip length limits (s), a little inside the promised 2-4 s."""

SPEECH_RMS_DB = -35.0
"""RMS level (dBFS) of a neutral utterance of an average speaker."""
LIMITER_KNEE, LIMITER_CEILING = 0.85, 0.95
"""Speech samples above the knee are softly compressed so that they stay below the ceiling:
no clip can reach full scale (the noise floor added afterwards is far below the gap to 1)."""

# ----------------------------------------------------------------------------------------------
# Sentences and phones
# ----------------------------------------------------------------------------------------------

# Syllables: (onset consonant, vowel, coda consonant, stressed).  "" means none.  Vowel symbols
# are those of Peterson & Barney (1952); consonants are approximations of the English ones.
SYLLABLES = {
    RAVDESS_STATEMENTS["01"]:  # Kids are talking by the door
        [("k", "ih", "z", True), ("", "aa", "r", False), ("t", "ao", "", True), ("k", "ih", "n", False),
         ("b", "aa", "", False), ("dh", "ah", "", False), ("d", "ao", "r", True)],
    RAVDESS_STATEMENTS["02"]:  # Dogs are sitting by the door
        [("d", "ao", "z", True), ("", "aa", "r", False), ("s", "ih", "", True), ("t", "ih", "n", False),
         ("b", "aa", "", False), ("dh", "ah", "", False), ("d", "ao", "r", True)],
    CREMAD_SENTENCES["IEO"]:  # It's eleven o'clock
        [("", "ih", "s", False), ("", "ih", "", False), ("l", "eh", "", True), ("v", "ah", "n", False),
         ("", "ah", "", False), ("k", "aa", "k", True)],
    CREMAD_SENTENCES["DFA"]:  # Don't forget a jacket
        [("d", "ao", "n", True), ("f", "er", "", False), ("g", "eh", "t", True), ("", "ah", "", False),
         ("jh", "ae", "", True), ("k", "ih", "t", False)],
    CREMAD_SENTENCES["ITS"]:  # I think I've seen this before
        [("", "aa", "", False), ("th", "ih", "k", True), ("", "aa", "v", False), ("s", "iy", "n", True),
         ("dh", "ih", "s", False), ("b", "ih", "", False), ("f", "ao", "r", True)],
    CREMAD_SENTENCES["TSI"]:  # The surface is slick
        [("dh", "ah", "", False), ("s", "er", "", True), ("f", "ih", "s", False), ("", "ih", "z", False),
         ("s", "ih", "k", True)],
    # The other eight CREMA-D sentences, spoken at the full size only.  The phone set has no
    # m, p, w, h or sh: nasals become n, p becomes b, and w and h are left out.
    CREMAD_SENTENCES["TIE"]:  # That is exactly what happened
        [("dh", "ae", "t", True), ("", "ih", "z", False), ("", "ih", "g", False), ("z", "ae", "k", True),
         ("t", "iy", "", False), ("", "ah", "t", False), ("", "ae", "", True), ("b", "ah", "n", False)],
    CREMAD_SENTENCES["IOM"]:  # I'm on my way to the meeting
        [("", "aa", "n", True), ("", "aa", "n", False), ("n", "aa", "", False), ("", "eh", "", True),
         ("t", "uw", "", False), ("dh", "ah", "", False), ("n", "iy", "", True), ("t", "ih", "n", False)],
    CREMAD_SENTENCES["IWW"]:  # I wonder what this is about
        [("", "aa", "", False), ("", "ah", "n", True), ("d", "er", "", False), ("", "ah", "t", False),
         ("dh", "ih", "s", False), ("", "ih", "z", False), ("", "ah", "", False), ("b", "aa", "t", True)],
    CREMAD_SENTENCES["TAI"]:  # The airplane is almost full
        [("dh", "ah", "", False), ("", "eh", "r", True), ("l", "eh", "n", False), ("", "ih", "z", False),
         ("", "ao", "l", True), ("n", "ah", "s", False), ("f", "uh", "l", True)],
    CREMAD_SENTENCES["MTI"]:  # Maybe tomorrow it will be cold
        [("n", "eh", "", True), ("b", "iy", "", False), ("t", "ah", "", False), ("n", "aa", "", True),
         ("r", "ah", "", False), ("", "ih", "t", False), ("", "ih", "l", False), ("b", "iy", "", False),
         ("k", "ao", "l", True)],
    CREMAD_SENTENCES["IWL"]:  # I would like a new alarm clock
        [("", "aa", "", False), ("", "uh", "d", False), ("l", "aa", "k", True), ("", "ah", "", False),
         ("n", "uw", "", True), ("", "ah", "", False), ("l", "aa", "r", True), ("k", "aa", "k", True)],
    CREMAD_SENTENCES["ITH"]:  # I think I have a doctor's appointment
        [("", "aa", "", False), ("th", "ih", "k", True), ("", "aa", "", False), ("", "ae", "v", False),
         ("", "ah", "", False), ("d", "aa", "k", True), ("t", "er", "z", False), ("", "ah", "", False),
         ("b", "ao", "n", True), ("n", "ah", "n", False)],
    CREMAD_SENTENCES["WSI"]:  # We'll stop in a couple of minutes
        [("", "iy", "l", False), ("s", "aa", "t", True), ("", "ih", "n", False), ("", "ah", "", False),
         ("k", "ah", "", True), ("b", "ah", "l", False), ("", "ah", "v", False), ("n", "ih", "n", True),
         ("", "ih", "s", False)],
}
"""The sentences the synthesiser can say, keyed by their text in :mod:`utils.data.corpora`: both
RAVDESS statements and all twelve CREMA-D sentences."""

# Peterson & Barney (1952), Table II: average F1, F2, F3 (Hz) of men and of women.
FORMANTS_MALE = {
    "iy": (270, 2290, 3010), "ih": (390, 1990, 2550), "eh": (530, 1840, 2480), "ae": (660, 1720, 2410),
    "aa": (730, 1090, 2440), "ao": (570, 840, 2410), "uh": (440, 1020, 2240), "uw": (300, 870, 2240),
    "ah": (640, 1190, 2390), "er": (490, 1350, 1690),
}
FORMANTS_FEMALE = {
    "iy": (310, 2790, 3310), "ih": (430, 2480, 3070), "eh": (610, 2330, 2990), "ae": (860, 2050, 2850),
    "aa": (850, 1220, 2810), "ao": (590, 920, 2710), "uh": (470, 1160, 2680), "uw": (370, 950, 2670),
    "ah": (760, 1400, 2780), "er": (500, 1640, 1960),
}
HIGH_FORMANTS = {False: (3500, 4500), True: (4100, 5000)}
"""F4 and F5 (Hz) of men (False) and women (True)."""
BANDWIDTHS = (80, 100, 140, 250, 320)
"""Formant bandwidths (Hz), F1 to F5."""

# Consonants: kind, noise band (Hz) or formants (Hz) of a sonorant, duration (s at rate 1),
# noise gain relative to a vowel.
CONSONANTS = {
    "t": ("stop", (3000, 6500), 0.070, 0.5), "k": ("stop", (1500, 3200), 0.075, 0.5),
    "b": ("vstop", (400, 1500), 0.060, 0.2), "d": ("vstop", (2500, 6000), 0.060, 0.2),
    "g": ("vstop", (1500, 3200), 0.060, 0.2),
    "s": ("fric", (4000, 8500), 0.095, 0.3), "f": ("fric", (1500, 7000), 0.080, 0.1),
    "th": ("fric", (1500, 7000), 0.075, 0.08),
    "z": ("vfric", (4000, 8500), 0.080, 0.15), "v": ("vfric", (1500, 7000), 0.065, 0.06),
    "dh": ("vfric", (1500, 7000), 0.050, 0.05), "jh": ("vfric", (2000, 5000), 0.080, 0.2),
    "n": ("son", (250, 1600, 2600), 0.060, 0.35), "l": ("son", (350, 1100, 2700), 0.055, 0.4),
    "r": ("son", (350, 1200, 1600), 0.055, 0.4),
}
VOWEL_DURATION = {True: 0.16, False: 0.09}
"""Vowel duration (s at rate 1) of stressed (True) and unstressed syllables."""


@dataclass(frozen=True)
class Segment:
    """One stretch of an utterance: a vowel or a consonant, with its timing in seconds."""

    phone: str
    kind: str
    start: float
    dur: float
    amp: float
    stressed: bool


# ----------------------------------------------------------------------------------------------
# Timing and pitch
# ----------------------------------------------------------------------------------------------


def syllable_segments(sentence: str, rate: float, rng: np.random.Generator) -> list:
    """Lay out a sentence's vowels and consonants in time.

    Parameters
    ----------
    sentence : str
        The text, a key of :data:`SYLLABLES`.
    rate : float
        Speaking-rate factor (1 is the average speaker's neutral rate).
    rng : np.random.Generator

    Returns
    -------
    list of Segment
        Consecutive segments starting at 0 s.
    """
    syllables = SYLLABLES[sentence]
    segments, t = [], 0.0
    for i, (onset, vowel, coda, stressed) in enumerate(syllables):
        final = i == len(syllables) - 1
        amp = (1.0 if stressed else 0.7) * rng.uniform(0.85, 1.15) * (0.8 if final else 1.0)
        vowel_dur = VOWEL_DURATION[stressed] * (1.35 if final else 1.0) * rng.normal(1.0, 0.12)
        for phone, dur in ((onset, None), (vowel, vowel_dur), (coda, None)):
            if not phone:
                continue
            kind = "vowel" if dur is not None else CONSONANTS[phone][0]
            dur = dur if dur is not None else CONSONANTS[phone][2] * rng.normal(1.0, 0.1)
            dur = max(dur, 0.03) / rate
            segments.append(Segment(phone, kind, t, dur, amp, stressed))
            t += dur
    return segments


def fit_duration(segments: list, corpus: str, rng: np.random.Generator, ring: float = 0.0) -> tuple:
    """Choose the silent head and tail and, if needed, compress the speech to fit 2-4 s.

    Parameters
    ----------
    segments : list of Segment
    corpus : {"ravdess", "cremad"}
    rng : np.random.Generator
    ring : float
        Extra time (s) after the last segment for the filters to ring out.

    Returns
    -------
    segments : list of Segment
        Possibly time-compressed.
    lead, tail : float
        Silence before and after the speech (s).
    """
    speech = segments[-1].start + segments[-1].dur + ring
    lead, tail = rng.uniform(*LEAD_SILENCE[corpus]), rng.uniform(*TAIL_SILENCE[corpus])
    if lead + speech + tail > MAX_DURATION:
        lead, tail = LEAD_SILENCE[corpus][0], TAIL_SILENCE[corpus][0]
    if lead + speech + tail > MAX_DURATION:
        factor = (MAX_DURATION - lead - tail - ring) / (speech - ring)
        segments = [Segment(s.phone, s.kind, s.start * factor, s.dur * factor, s.amp, s.stressed)
                    for s in segments]
        speech = MAX_DURATION - lead - tail
    tail = max(tail, MIN_DURATION - lead - speech)
    return segments, lead, tail


def pitch_contour(segments: list, n: int, sr: int, voice: Voice, rng: np.random.Generator) -> np.ndarray:
    """F0 (Hz) for every sample of the utterance.

    Declination, one accent per stressed vowel, a final rise or fall over the last 40 %, slow
    random wander and an optional 7 Hz tremor, summed in semitones around the voice's F0.

    Parameters
    ----------
    segments : list of Segment
    n : int
        Number of samples.
    sr : int
        Sample rate.
    voice : Voice
    rng : np.random.Generator

    Returns
    -------
    np.ndarray
        ``(n,)`` F0 in Hz.
    """
    hop = 0.005
    t = np.arange(0.0, n / sr + hop, hop)
    duration = t[-1]
    st = -2.0 * (t / duration - 0.5)  # declination: 2 semitones over the utterance
    vowels = [s for s in segments if s.kind == "vowel"]
    for s in vowels:
        if s.stressed or rng.random() < 0.15:
            centre = s.start + s.dur * rng.uniform(0.3, 0.6)
            height = voice.range_st * rng.uniform(0.6, 1.0)
            st += height * np.exp(-0.5 * ((t - centre) / max(s.dur * 0.6, 0.04)) ** 2)
    final = np.clip((t / duration - 0.6) / 0.4, 0.0, 1.0)
    st += voice.final_st * final**1.5
    wander = np.cumsum(rng.normal(0, 0.08, t.size))
    st += signal.sosfiltfilt(signal.butter(2, 2.0, fs=1 / hop, output="sos"), wander - wander.mean())
    st += voice.tremor_st * np.sin(2 * np.pi * 7.0 * t + rng.uniform(0, 2 * np.pi))
    return voice.f0_hz * 2 ** (np.interp(np.arange(n) / sr, t, st) / 12)


# ----------------------------------------------------------------------------------------------
# Source and filters
# ----------------------------------------------------------------------------------------------


def glottal_source(f0: np.ndarray, sr: int, voice: Voice, rng: np.random.Generator) -> np.ndarray:
    """Impulse train following ``f0`` with jitter, shimmer, spectral tilt and aspiration noise.

    Parameters
    ----------
    f0 : np.ndarray
        ``(n,)`` F0 in Hz per sample.
    sr : int
        Sample rate.
    voice : Voice
        Supplies jitter, shimmer, tilt corner frequency and breathiness.
    rng : np.random.Generator

    Returns
    -------
    np.ndarray
        ``(n,)`` source signal, roughly unit RMS.
    """
    n = f0.size
    cycles = np.floor(np.cumsum(f0 / sr))
    idx = np.flatnonzero(np.diff(cycles)) + 1
    period = sr / f0[idx]
    pos = idx + rng.normal(0, voice.jitter, idx.size) * period
    amp = np.clip(1.0 + rng.normal(0, voice.shimmer, idx.size), 0.2, None)
    pos = np.clip(pos, 0, n - 2)
    i0 = np.floor(pos).astype(int)
    frac = pos - i0
    pulses = np.zeros(n)
    np.add.at(pulses, i0, amp * (1 - frac))
    np.add.at(pulses, i0 + 1, amp * frac)
    a = np.exp(-2 * np.pi * voice.tilt_hz / sr)
    tilt_sos = np.array([[(1 - a) ** 2, -((1 - a) ** 2), 0.0, 1.0, -2 * a, a * a]])
    voiced = signal.sosfilt(tilt_sos, pulses)
    voiced /= np.sqrt(np.mean(voiced**2)) + 1e-12
    noise = signal.sosfilt(_band_sos(300.0, 2500.0, sr), rng.standard_normal(n))
    noise /= np.sqrt(np.mean(noise**2)) + 1e-12
    return voiced + voice.breath * noise


def resonator_sos(freq: float, bw: float, sr: int) -> np.ndarray:
    """Second-order section of Klatt's (1980) digital resonator, unit gain at 0 Hz.

    ``y[n] = A x[n] + B y[n-1] + C y[n-2]`` with ``C = -exp(-2 pi bw / sr)``,
    ``B = 2 exp(-pi bw / sr) cos(2 pi freq / sr)`` and ``A = 1 - B - C``.

    Parameters
    ----------
    freq, bw : float
        Centre frequency and bandwidth in Hz.
    sr : int
        Sample rate.

    Returns
    -------
    np.ndarray
        ``(6,)`` one row of a ``scipy.signal.sosfilt`` cascade.
    """
    c = -np.exp(-2 * np.pi * bw / sr)
    b = 2 * np.exp(-np.pi * bw / sr) * np.cos(2 * np.pi * freq / sr)
    return np.array([1 - b - c, 0.0, 0.0, 1.0, -b, -c])


def formant_sos(formants, sr: int, bandwidths=BANDWIDTHS) -> np.ndarray:
    """Cascade of resonators for the given formant frequencies (those above 0.45 ``sr`` dropped).

    Parameters
    ----------
    formants : sequence of float
        Formant frequencies in Hz.
    sr : int
        Sample rate.
    bandwidths : sequence of float
        Bandwidths in Hz, one per formant.

    Returns
    -------
    np.ndarray
        ``(k, 6)`` second-order sections.
    """
    rows = [resonator_sos(f, b, sr) for f, b in zip(formants, bandwidths) if f < 0.45 * sr]
    return np.vstack(rows)


def vowel_formants(vowel: str, voice: Voice) -> tuple:
    """F1-F5 (Hz) of a vowel for this voice: Peterson & Barney's table times the formant scale.

    Parameters
    ----------
    vowel : str
        A key of :data:`FORMANTS_MALE`.
    voice : Voice

    Returns
    -------
    tuple of float
    """
    table = FORMANTS_FEMALE if voice.female else FORMANTS_MALE
    return tuple(f * voice.formant_scale for f in (*table[vowel], *HIGH_FORMANTS[voice.female]))


@lru_cache(maxsize=256)
def _band_sos(low: float, high: float, sr: int) -> np.ndarray:
    """Second-order Butterworth band-pass between ``low`` and ``high`` (clipped below Nyquist)."""
    high = min(high, 0.45 * sr)
    low = min(low, 0.5 * high)
    return signal.butter(2, [low, high], btype="bandpass", fs=sr, output="sos")


def envelope(n: int, sr: int, attack: float, release: float) -> np.ndarray:
    """Amplitude envelope with raised-cosine attack and release.

    Parameters
    ----------
    n : int
        Length in samples.
    sr : int
        Sample rate.
    attack, release : float
        Ramp durations in seconds (shortened to fit ``n``).

    Returns
    -------
    np.ndarray
        ``(n,)`` in [0, 1].
    """
    env = np.ones(n)
    n_att = min(int(attack * sr), n // 2)
    n_rel = min(int(release * sr), n // 2)
    if n_att:
        env[:n_att] = 0.5 - 0.5 * np.cos(np.pi * np.arange(n_att) / n_att)
    if n_rel:
        env[n - n_rel:] = 0.5 + 0.5 * np.cos(np.pi * np.arange(1, n_rel + 1) / n_rel)
    return env


def _rms_normalise(x: np.ndarray, n: int) -> np.ndarray:
    """Scale ``x`` so that its first ``n`` samples have unit RMS."""
    return x / (np.sqrt(np.mean(x[:n] ** 2)) + 1e-12)


# ----------------------------------------------------------------------------------------------
# Rendering
# ----------------------------------------------------------------------------------------------


def render_vowel(source: np.ndarray, seg: Segment, sr: int, voice: Voice, ring: int) -> np.ndarray:
    """One vowel: the windowed source through the vowel's formant cascade, RMS ``seg.amp``.

    Parameters
    ----------
    source : np.ndarray
        The source samples of this segment.
    seg : Segment
    sr : int
        Sample rate.
    voice : Voice
    ring : int
        Extra samples for the filters to ring out.

    Returns
    -------
    np.ndarray
        ``(source.size + ring,)``.
    """
    n = source.size
    x = np.concatenate([source * envelope(n, sr, 0.025, 0.035), np.zeros(ring)])
    bandwidths = (BANDWIDTHS[0] * (1 + 2 * voice.breath), *BANDWIDTHS[1:])
    y = signal.sosfilt(formant_sos(vowel_formants(seg.phone, voice), sr, bandwidths), x)
    return seg.amp * _rms_normalise(y, n)


def render_consonant(source: np.ndarray, seg: Segment, sr: int, voice: Voice, ring: int,
                     rng: np.random.Generator) -> np.ndarray:
    """One consonant: a noise burst or frication, a voiced murmur, or both.

    Stops are a closure (silent, or murmur if voiced) and a decaying band-pass burst;
    fricatives are band-pass noise; sonorants are the voiced source through low formants.

    Parameters
    ----------
    source : np.ndarray
        The source samples of this segment (for voicing).
    seg : Segment
    sr : int
        Sample rate.
    voice : Voice
    ring : int
        Extra samples for the filters to ring out.
    rng : np.random.Generator

    Returns
    -------
    np.ndarray
        ``(source.size + ring,)``.
    """
    kind, band, _, gain = CONSONANTS[seg.phone]
    n = source.size
    out = np.zeros(n + ring)
    shift = 1.15 if voice.female else 1.0
    if kind == "son":
        formants = tuple(f * shift * voice.formant_scale for f in band)
        x = np.concatenate([source * envelope(n, sr, 0.015, 0.015), np.zeros(ring)])
        return gain * seg.amp * _rms_normalise(signal.sosfilt(formant_sos(formants, sr), x), n)
    if kind in {"vstop", "vfric"}:
        x = np.concatenate([source * envelope(n, sr, 0.01, 0.01), np.zeros(ring)])
        murmur = signal.sosfilt(formant_sos((220 * shift,), sr, (120,)), x)
        out += 0.12 * seg.amp * _rms_normalise(murmur, n)
    noise = signal.sosfilt(_band_sos(band[0] * shift, band[1] * shift, sr), rng.standard_normal(n))
    noise = _rms_normalise(noise, n)
    if kind in {"stop", "vstop"}:
        closure = int(0.6 * n)
        t = np.arange(n - closure) / sr
        burst = np.exp(-t / 0.012) * envelope(n - closure, sr, 0.002, 0.005)
        out[closure:n] += 2.0 * gain * seg.amp * noise[closure:] * burst
    else:
        out[:n] += gain * seg.amp * noise * envelope(n, sr, 0.02, 0.025)
    return out


def synthesize_speech(sentence: str, voice: Voice, sr: int, corpus: str, rng: np.random.Generator) -> np.ndarray:
    """A complete clip: silence, the spoken sentence at its loudness, silence, noise floor.

    Parameters
    ----------
    sentence : str
        The text, a key of :data:`SYLLABLES`.
    voice : Voice
    sr : int
        Sample rate.
    corpus : {"ravdess", "cremad"}
        Chooses the lengths of the silent head and tail.
    rng : np.random.Generator

    Returns
    -------
    np.ndarray
        ``(n,)`` float signal, peak below 1.
    """
    segments = syllable_segments(sentence, voice.rate, rng)
    ring = int(0.04 * sr)
    segments, lead, tail = fit_duration(segments, corpus, rng, 2 * ring / sr)
    n_speech = int(round((segments[-1].start + segments[-1].dur) * sr))
    f0 = pitch_contour(segments, n_speech + ring, sr, voice, rng)
    source = glottal_source(f0, sr, voice, rng)
    speech = np.zeros(n_speech + 2 * ring)
    for seg in segments:
        i0 = int(round(seg.start * sr))
        i1 = min(int(round((seg.start + seg.dur) * sr)), n_speech)
        if seg.kind == "vowel":
            part = render_vowel(source[i0:i1], seg, sr, voice, ring)
        else:
            part = render_consonant(source[i0:i1], seg, sr, voice, ring, rng)
        speech[i0:i0 + part.size] += part
    speech *= 10 ** ((SPEECH_RMS_DB + voice.level_db) / 20) / np.sqrt(np.mean(speech[:n_speech] ** 2))
    speech = soft_limit(speech)
    n_lead = int(round(lead * sr))
    y = np.zeros(n_lead + speech.size + int(round(tail * sr)))
    y[n_lead:n_lead + speech.size] = speech
    return y + noise_floor(y.size, sr, voice.floor_db, rng)


def soft_limit(y: np.ndarray, knee: float = LIMITER_KNEE, ceiling: float = LIMITER_CEILING) -> np.ndarray:
    """Compress magnitudes above ``knee`` smoothly so that they never exceed ``ceiling``.

    A safety net for the loudest voices only: quieter clips pass unchanged, so loudness
    differences between emotions are kept (there is no per-clip peak normalisation).

    Parameters
    ----------
    y : np.ndarray
    knee, ceiling : float
        Magnitudes where compression starts and which it never reaches.

    Returns
    -------
    np.ndarray
    """
    mag = np.abs(y)
    over = mag > knee
    out = y.copy()
    width = ceiling - knee
    out[over] = np.sign(y[over]) * (knee + width * np.tanh((mag[over] - knee) / width))
    return out


def noise_floor(n: int, sr: int, level_db: float, rng: np.random.Generator) -> np.ndarray:
    """Low-passed background noise at ``level_db`` dBFS RMS (the "silence" of a real studio).

    Parameters
    ----------
    n : int
    sr : int
    level_db : float
    rng : np.random.Generator

    Returns
    -------
    np.ndarray
    """
    noise = signal.sosfilt(signal.butter(1, 2000, fs=sr, output="sos"), rng.standard_normal(n))
    return noise * 10 ** (level_db / 20) / (np.sqrt(np.mean(noise**2)) + 1e-12)


def to_pcm16(y: np.ndarray) -> np.ndarray:
    """Round a float signal in [-1, 1) to 16-bit integers.

    Parameters
    ----------
    y : np.ndarray

    Returns
    -------
    np.ndarray of int16
    """
    return np.clip(np.round(y * 32768.0), -32768, 32767).astype(np.int16)

