"""The course's built-in SYNTHETIC demo corpus: generated speech-like sounds, not real speech.

The real corpora (RAVDESS, CREMA-D) must be downloaded, which is not possible everywhere (CI,
offline classrooms).  This module generates a small corpus that imitates both: the same folder
layout, file names, sample rates and label sets, so that every notebook runs end to end.  The
sounds are made by a simple source-filter synthesiser; **results on them say nothing about real
emotion recognition**.  They only show that the code works.

Layout written by :func:`make_demo_corpus` under ``root``::

    README.txt                                   what this is (synthetic, not speech)
    manifest.json                                generator version, seed, files and sizes
    RAVDESS-demo-synthetic/Actor_01/03-01-05-02-01-01-01.wav   48 kHz, 16-bit, mono
    CREMA-D-demo-synthetic/AudioWAV/1001_IEO_ANG_HI.wav        16 kHz, 16-bit, mono
    CREMA-D-demo-synthetic/VideoDemographics.csv               ActorID,Age,Sex,Race,Ethnicity

How a clip is made
------------------
1. A sentence is a fixed list of syllables (consonant onset, vowel, consonant coda, stress), so
   one sentence sounds alike across speakers.
2. Segment durations follow the speaking rate, with stressed and phrase-final syllables longer.
3. A pitch contour: baseline F0, declination, an accent on each stressed syllable, a final rise
   or fall, slow wander, and (fear) a tremor.
4. A glottal source: an impulse train whose period follows the contour, with per-pulse jitter and
   shimmer, shaped by a two-pole low-pass (spectral tilt: its corner frequency) and lip radiation
   (first difference), plus aspiration noise (breathiness).
5. Vowels: the source through a cascade of five formant resonators (Klatt 1980), formants from
   Peterson & Barney (1952), with the women's table for female speakers and a per-speaker scale.
   Consonants: band-pass noise bursts (stops, fricatives) and quiet voiced murmurs (nasals,
   liquids) between the vowels.
6. The speech is set to a loudness (RMS) given by speaker and emotion, never peak-normalised, and
   placed between 0.25-0.8 s of near-silence (a low noise floor), 2-4 s in all.

Speakers differ in base F0, formant scale, speaking rate, spectral tilt, breathiness, jitter,
shimmer, loudness, pitch range, noise floor and in how strongly they express emotions.  Each clip
adds its own random variation, so that a classifier on simple features does well above chance on
unseen speakers, yet far from perfectly.

Emotion profiles
----------------
Deviations from the speaker's neutral voice at full strength (RAVDESS intensity 02, CREMA-D HI).
Weaker levels scale every deviation by :data:`RAVDESS_STRENGTH` / :data:`CREMAD_STRENGTH`
(factors ``x`` become ``x ** strength``).  Directions follow the reviews of Murray & Arnott (1993),
Banse & Scherer (1996), Juslin & Laukka (2003) and Scherer (2003); the magnitudes are the course's
choice.

=========  ======  ======  =====  =====  =====  ======  ======  =====  ======  =======
emotion    F0      range   rate   level  tilt   breath  jitter  final  tremor  formant
           (st)    x       x      (dB)   x      x       x       (st)   (st)    x
=========  ======  ======  =====  =====  =====  ======  ======  =====  ======  =======
neutral     0      1.0     1.00     0    1.0    1.0     1.0      0     0       1.00
calm       -1      0.7     0.88    -4    0.7    1.6     1.0      0     0       1.00
happy      +4      1.5     1.10    +5    1.4    0.9     1.1     +1     0       1.06
sad        -2.5    0.5     0.72    -7    0.5    2.5     1.3     -1     0       1.00
angry      +4      1.5     1.15   +10    2.2    0.6     1.3     -1     0       1.00
fearful    +7      1.2     1.25    +1    1.0    2.0     2.5     +2     0.5     1.00
disgust    -3      1.2     0.75    -3    1.0    0.8     1.2     -3     0       1.00
surprised  +6      1.9     0.92    +2    1.2    1.3     1.0     +8     0       1.00
=========  ======  ======  =====  =====  =====  ======  ======  =====  ======  =======

F0: shift of the baseline in semitones.  Range: factor on the accent height.  Rate: factor on the
speaking rate.  Level: loudness change.  Tilt: factor on the glottal corner frequency (higher is
a flatter spectrum, more high-frequency energy, "tense").  Breath: factor on aspiration noise.
Jitter: factor on jitter and shimmer.  Final: change of the utterance-final contour relative to
the neutral statement's 2-semitone fall (positive rises).  Tremor: depth of a 7 Hz F0
modulation.  Formant: factor on all formant frequencies.

- Anger: high F0, wide range, fast, loud, more high-frequency energy (Murray & Arnott 1993;
  Banse & Scherer 1996; Juslin & Laukka 2003; Scherer 2003).
- Happiness: high F0, wide range, fast-ish, loud-ish, some high-frequency energy (same
  sources); smiling raises the formants (Tartter 1980).
- Fear: very high F0, fast, irregular voicing (jitter, tremor), intensity about normal
  (Murray & Arnott 1993; Juslin & Laukka 2003).
- Sadness: low F0, narrow range, slow, quiet, little high-frequency energy (same sources),
  breathy.
- Calm (RAVDESS only): close to neutral, a little lower, narrower, slower and softer, like the
  "tenderness" profile of Juslin & Laukka (2003).
- Disgust: very low F0, very slow, slightly wider range, quieter, wide downward terminal
  inflections (Murray & Arnott 1993).
- Surprise (RAVDESS only): the cited reviews say little about it; it is modelled as an aroused
  voice (high F0, wide range) with a strongly rising final contour.

Every clip's random numbers come from ``np.random.SeedSequence([seed, corpus, actor, 1, clip])``
and every speaker's from ``[seed, corpus, actor, 0]``, so the bytes depend on the seed only, not
on ``n_jobs`` or on which actors are built.

References
----------
Banse, R., & Scherer, K. R. (1996). Acoustic profiles in vocal emotion expression. JPSP 70(3).
Juslin, P. N., & Laukka, P. (2003). Communication of emotions in vocal expression and music
performance. Psychological Bulletin 129(5).
Klatt, D. H. (1980). Software for a cascade/parallel formant synthesizer. JASA 67(3).
Murray, I. R., & Arnott, J. L. (1993). Toward the simulation of emotion in synthetic speech.
JASA 93(2).
Peterson, G. E., & Barney, H. L. (1952). Control methods used in a study of the vowels. JASA 24(2).
Scherer, K. R. (2003). Vocal communication of emotion. Speech Communication 40(1-2).
Tartter, V. C. (1980). Happy talk: perceptual and acoustic effects of smiling on speech.
Perception & Psychophysics 27(1).

BibTeX keys in ``references.bib``: banse1996acoustic, juslin2003communication, klatt1980software,
murray1993toward, peterson1952control, scherer2003vocal, tartter1980happy.

Examples
--------
>>> roots = ensure_demo_corpus("data/demo")        # doctest: +SKIP
>>> sorted(roots)                                  # doctest: +SKIP
['cremad', 'ravdess']

From a shell::

    python -m utils.data.demo --out data/demo --seed 0 --force
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import sys
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from scipy import signal

GENERATOR_VERSION = 1
"""Bump whenever the generated bytes change, so that :func:`ensure_demo_corpus` rebuilds."""

RAVDESS_DIR = "RAVDESS-demo-synthetic"
CREMAD_DIR = "CREMA-D-demo-synthetic"
MANIFEST = "manifest.json"
README = "README.txt"
DEMOGRAPHICS_FILE = "VideoDemographics.csv"

DEFAULT_ACTORS = tuple(range(1, 9))
"""Actor indices 1-8: RAVDESS ``Actor_01``..``Actor_08`` and CREMA-D ``1001``..``1008``."""

CORPUS_INDEX = {"ravdess": 0, "cremad": 1}
SAMPLE_RATES = {"ravdess": 48000, "cremad": 16000}
LEAD_SILENCE = {"ravdess": (0.5, 0.8), "cremad": (0.3, 0.5)}
"""Range of the near-silent head (s); real RAVDESS clips start with roughly 0.5-1 s of it."""
TAIL_SILENCE = {"ravdess": (0.3, 0.5), "cremad": (0.25, 0.4)}
MIN_DURATION, MAX_DURATION = 2.1, 3.9
"""Clip length limits (s), a little inside the promised 2-4 s."""

SPEECH_RMS_DB = -35.0
"""RMS level (dBFS) of a neutral utterance of an average speaker."""
LIMITER_KNEE, LIMITER_CEILING = 0.85, 0.95
"""Speech samples above the knee are softly compressed so that they stay below the ceiling:
no clip can reach full scale (the noise floor added afterwards is far below the gap to 1)."""

# ----------------------------------------------------------------------------------------------
# Labels and sentences
# ----------------------------------------------------------------------------------------------

RAVDESS_EMOTIONS = {
    "01": "neutral", "02": "calm", "03": "happy", "04": "sad",
    "05": "angry", "06": "fearful", "07": "disgust", "08": "surprised",
}
RAVDESS_STRENGTH = {"01": 0.7, "02": 1.0}
"""RAVDESS intensity code to the fraction of the full emotion profile (01 normal, 02 strong)."""
RAVDESS_REPETITIONS = ("01",)
"""One repetition per condition keeps the corpus small (the real corpus has two)."""

CREMAD_EMOTIONS = {"ANG": "angry", "DIS": "disgust", "FEA": "fearful", "HAP": "happy", "NEU": "neutral", "SAD": "sad"}
CREMAD_STRENGTH = {"LO": 0.4, "MD": 0.7, "HI": 1.0, "XX": 0.7}
"""CREMA-D level code to the fraction of the full emotion profile (XX: unspecified, medium)."""
CREMAD_LEVELLED_SENTENCE = "IEO"
"""As in the real corpus, only this sentence is recorded at LO/MD/HI; the others are XX."""

# Syllables: (onset consonant, vowel, coda consonant, stressed).  "" means none.  Vowel symbols
# are those of Peterson & Barney (1952); consonants are approximations of the English ones.
SENTENCES = {
    # RAVDESS statements
    "01": [("k", "ih", "z", True), ("", "aa", "r", False), ("t", "ao", "", True), ("k", "ih", "n", False),
           ("b", "aa", "", False), ("dh", "ah", "", False), ("d", "ao", "r", True)],
    "02": [("d", "ao", "z", True), ("", "aa", "r", False), ("s", "ih", "", True), ("t", "ih", "n", False),
           ("b", "aa", "", False), ("dh", "ah", "", False), ("d", "ao", "r", True)],
    # CREMA-D sentences
    "IEO": [("", "ih", "s", False), ("", "ih", "", False), ("l", "eh", "", True), ("v", "ah", "n", False),
            ("", "ah", "", False), ("k", "aa", "k", True)],
    "DFA": [("d", "ao", "n", True), ("f", "er", "", False), ("g", "eh", "t", True), ("", "ah", "", False),
            ("jh", "ae", "", True), ("k", "ih", "t", False)],
    "ITS": [("", "aa", "", False), ("th", "ih", "k", True), ("", "aa", "v", False), ("s", "iy", "n", True),
            ("dh", "ih", "s", False), ("b", "ih", "", False), ("f", "ao", "r", True)],
    "TSI": [("dh", "ah", "", False), ("s", "er", "", True), ("f", "ih", "s", False), ("", "ih", "z", False),
            ("s", "ih", "k", True)],
}
RAVDESS_STATEMENTS = ("01", "02")
CREMAD_SENTENCES = ("IEO", "DFA", "ITS", "TSI")

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

# Consonants: kind, noise band (Hz), duration (s at rate 1), noise gain relative to a vowel.
CONSONANTS = {
    "p": ("stop", (400, 1500), 0.070, 0.45), "t": ("stop", (3000, 6500), 0.070, 0.5),
    "k": ("stop", (1500, 3200), 0.075, 0.5), "b": ("vstop", (400, 1500), 0.060, 0.2),
    "d": ("vstop", (2500, 6000), 0.060, 0.2), "g": ("vstop", (1500, 3200), 0.060, 0.2),
    "s": ("fric", (4000, 8500), 0.095, 0.3), "sh": ("fric", (2000, 5000), 0.095, 0.3),
    "f": ("fric", (1500, 7000), 0.080, 0.1), "th": ("fric", (1500, 7000), 0.075, 0.08),
    "h": ("fric", (500, 3000), 0.070, 0.12), "z": ("vfric", (4000, 8500), 0.080, 0.15),
    "v": ("vfric", (1500, 7000), 0.065, 0.06), "dh": ("vfric", (1500, 7000), 0.050, 0.05),
    "jh": ("vfric", (2000, 5000), 0.080, 0.2),
    "m": ("son", (250, 1100, 2300), 0.060, 0.35), "n": ("son", (250, 1600, 2600), 0.060, 0.35),
    "l": ("son", (350, 1100, 2700), 0.055, 0.4), "r": ("son", (350, 1200, 1600), 0.055, 0.4),
    "w": ("son", (300, 700, 2200), 0.055, 0.4),
}
VOWEL_DURATION = {True: 0.16, False: 0.09}
"""Vowel duration (s at rate 1) of stressed (True) and unstressed syllables."""

# ----------------------------------------------------------------------------------------------
# Speakers and emotions
# ----------------------------------------------------------------------------------------------

# Invented demographics of the CREMA-D-style demo actors; sexes are mixed, not odd/even.
CREMAD_ACTORS = {
    1001: (34, "Female", "Caucasian", "Not Hispanic"),
    1002: (27, "Male", "African American", "Not Hispanic"),
    1003: (51, "Male", "Caucasian", "Hispanic"),
    1004: (23, "Female", "Asian", "Not Hispanic"),
    1005: (45, "Female", "African American", "Not Hispanic"),
    1006: (62, "Male", "Caucasian", "Not Hispanic"),
    1007: (30, "Female", "Unknown", "Hispanic"),
    1008: (39, "Male", "Asian", "Not Hispanic"),
}


@dataclass(frozen=True)
class EmotionProfile:
    """Deviation of an emotional voice from neutral at full strength (see the module table)."""

    f0_st: float = 0.0
    range_factor: float = 1.0
    rate_factor: float = 1.0
    level_db: float = 0.0
    tilt_factor: float = 1.0
    breath_factor: float = 1.0
    jitter_factor: float = 1.0
    final_st: float = 0.0
    tremor_st: float = 0.0
    formant_factor: float = 1.0


EMOTION_PROFILES = {
    "neutral": EmotionProfile(),
    "calm": EmotionProfile(-1, 0.7, 0.88, -4, 0.7, 1.6, 1.0, 0, 0),
    "happy": EmotionProfile(4, 1.5, 1.10, 5, 1.4, 0.9, 1.1, 1, 0, 1.06),
    "sad": EmotionProfile(-2.5, 0.5, 0.72, -7, 0.5, 2.5, 1.3, -1, 0),
    "angry": EmotionProfile(4, 1.5, 1.15, 10, 2.2, 0.6, 1.3, -1, 0),
    "fearful": EmotionProfile(7, 1.2, 1.25, 1, 1.0, 2.0, 2.5, 2, 0.5),
    "disgust": EmotionProfile(-3, 1.2, 0.75, -3, 1.0, 0.8, 1.2, -3, 0),
    "surprised": EmotionProfile(6, 1.9, 0.92, 2, 1.2, 1.3, 1.0, 8, 0),
}


@dataclass(frozen=True)
class Speaker:
    """A synthetic speaker's voice: fixed across all of their clips."""

    female: bool
    f0_hz: float
    formant_scale: float
    rate: float
    tilt_hz: float
    breath: float
    jitter: float
    shimmer: float
    level_db: float
    range_st: float
    expressiveness: float
    floor_db: float


@dataclass(frozen=True)
class Voice:
    """Everything that shapes one clip: the speaker's voice moved by an emotion, plus clip noise."""

    female: bool
    f0_hz: float
    range_st: float
    final_st: float
    tremor_st: float
    rate: float
    level_db: float
    tilt_hz: float
    breath: float
    jitter: float
    shimmer: float
    formant_scale: float
    floor_db: float


@dataclass(frozen=True)
class ClipSpec:
    """One file to generate: where it goes and what it says, in which voice."""

    corpus: str
    actor: int
    index: int
    relpath: str
    sentence: str
    emotion: str
    strength: float
    female: bool


@dataclass(frozen=True)
class Segment:
    """One stretch of an utterance: a vowel or a consonant, with its timing in seconds."""

    phone: str
    kind: str
    start: float
    dur: float
    amp: float
    stressed: bool


def make_speaker(seed: int, corpus: str, actor: int, female: bool) -> Speaker:
    """Draw a speaker's voice from the seed, the corpus and the actor number.

    Parameters
    ----------
    seed : int
        Corpus seed.
    corpus : {"ravdess", "cremad"}
    actor : int
        Actor index (1-8), not the CREMA-D ID.
    female : bool

    Returns
    -------
    Speaker
    """
    rng = np.random.default_rng(np.random.SeedSequence([seed, CORPUS_INDEX[corpus], actor, 0]))
    f0 = rng.normal(205, 22) if female else rng.normal(118, 14)
    return Speaker(
        female=female,
        f0_hz=float(np.clip(f0, 165, 260) if female else np.clip(f0, 88, 155)),
        formant_scale=float(np.clip(rng.normal(1.0, 0.04), 0.9, 1.1)),
        rate=float(np.clip(rng.normal(1.0, 0.06), 0.88, 1.12)),
        tilt_hz=float(380 * np.exp(rng.normal(0, 0.12))),
        breath=float(rng.uniform(0.02, 0.06)),
        jitter=float(rng.uniform(0.004, 0.012)),
        shimmer=float(rng.uniform(0.03, 0.07)),
        level_db=float(rng.normal(0, 1.5)),
        range_st=float(rng.uniform(2.0, 4.0)),
        expressiveness=float(np.clip(rng.normal(1.0, 0.15), 0.8, 1.3)),
        floor_db=float(rng.uniform(-76, -70)),
    )


def make_voice(speaker: Speaker, emotion: str, strength: float, rng: np.random.Generator) -> Voice:
    """Move a speaker's neutral voice towards an emotion and add per-clip variation.

    Parameters
    ----------
    speaker : Speaker
    emotion : str
        A key of :data:`EMOTION_PROFILES`.
    strength : float
        Fraction of the full profile (0 neutral, 1 full); scaled by the speaker's expressiveness.
    rng : np.random.Generator
        The clip's generator.

    Returns
    -------
    Voice
    """
    p = EMOTION_PROFILES[emotion]
    k = strength * speaker.expressiveness * max(rng.normal(1.0, 0.1), 0.3)
    return Voice(
        female=speaker.female,
        f0_hz=speaker.f0_hz * 2 ** ((k * p.f0_st + rng.normal(0, 0.6)) / 12),
        range_st=speaker.range_st * p.range_factor**k * np.exp(rng.normal(0, 0.2)),
        final_st=-2.0 + k * p.final_st + rng.normal(0, 1.0),
        tremor_st=k * p.tremor_st,
        rate=speaker.rate * p.rate_factor**k * rng.normal(1.0, 0.06),
        level_db=speaker.level_db + k * p.level_db + rng.normal(0, 1.0),
        tilt_hz=speaker.tilt_hz * p.tilt_factor**k * np.exp(rng.normal(0, 0.1)),
        breath=speaker.breath * p.breath_factor**k * np.exp(rng.normal(0, 0.2)),
        jitter=speaker.jitter * p.jitter_factor**k,
        shimmer=speaker.shimmer * p.jitter_factor**k,
        formant_scale=speaker.formant_scale * p.formant_factor**k * rng.normal(1.0, 0.015),
        floor_db=speaker.floor_db + rng.normal(0, 0.5),
    )


# ----------------------------------------------------------------------------------------------
# Timing and pitch
# ----------------------------------------------------------------------------------------------


def syllable_segments(sentence: str, rate: float, rng: np.random.Generator) -> list:
    """Lay out a sentence's vowels and consonants in time.

    Parameters
    ----------
    sentence : str
        A key of :data:`SENTENCES`.
    rate : float
        Speaking-rate factor (1 is the average speaker's neutral rate).
    rng : np.random.Generator

    Returns
    -------
    list of Segment
        Consecutive segments starting at 0 s.
    """
    syllables = SENTENCES[sentence]
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
        A key of :data:`SENTENCES`.
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


# ----------------------------------------------------------------------------------------------
# The corpus
# ----------------------------------------------------------------------------------------------


def ravdess_plan(actors=DEFAULT_ACTORS) -> list:
    """List the RAVDESS-style clips: every emotion, intensity, statement and repetition per actor.

    Parameters
    ----------
    actors : iterable of int
        Actor numbers (odd male, even female).

    Returns
    -------
    list of ClipSpec
    """
    specs = []
    for actor in actors:
        index = 0
        for code, emotion in RAVDESS_EMOTIONS.items():
            for intensity in ("01",) if emotion == "neutral" else ("01", "02"):
                for statement in RAVDESS_STATEMENTS:
                    for repetition in RAVDESS_REPETITIONS:
                        name = f"03-01-{code}-{intensity}-{statement}-{repetition}-{actor:02d}.wav"
                        specs.append(ClipSpec("ravdess", actor, index, f"{RAVDESS_DIR}/Actor_{actor:02d}/{name}",
                                              statement, emotion, RAVDESS_STRENGTH[intensity], actor % 2 == 0))
                        index += 1
    return specs


def cremad_plan(actors=DEFAULT_ACTORS) -> list:
    """List the CREMA-D-style clips: IEO at LO/MD/HI (NEU at XX), the other sentences at XX.

    Parameters
    ----------
    actors : iterable of int
        Actor indices 1-8, written as IDs 1001-1008.

    Returns
    -------
    list of ClipSpec
    """
    specs = []
    for actor in actors:
        actor_id = 1000 + actor
        female = CREMAD_ACTORS[actor_id][1] == "Female"
        index = 0
        for sentence in CREMAD_SENTENCES:
            for code, emotion in CREMAD_EMOTIONS.items():
                levelled = sentence == CREMAD_LEVELLED_SENTENCE and emotion != "neutral"
                for level in ("LO", "MD", "HI") if levelled else ("XX",):
                    name = f"{actor_id}_{sentence}_{code}_{level}.wav"
                    specs.append(ClipSpec("cremad", actor, index, f"{CREMAD_DIR}/AudioWAV/{name}",
                                          sentence, emotion, CREMAD_STRENGTH[level], female))
                    index += 1
    return specs


def render_clip(spec: ClipSpec, seed: int, root) -> tuple:
    """Generate one clip and write it as 16-bit PCM WAV under ``root``.

    Parameters
    ----------
    spec : ClipSpec
    seed : int
    root : str or Path

    Returns
    -------
    relpath : str
    size : int
        File size in bytes.
    """
    from .audio import write_wav

    speaker = make_speaker(seed, spec.corpus, spec.actor, spec.female)
    rng = np.random.default_rng(np.random.SeedSequence([seed, CORPUS_INDEX[spec.corpus], spec.actor, 1, spec.index]))
    voice = make_voice(speaker, spec.emotion, spec.strength, rng)
    y = synthesize_speech(spec.sentence, voice, SAMPLE_RATES[spec.corpus], spec.corpus, rng)
    path = write_wav(Path(root) / spec.relpath, to_pcm16(y), SAMPLE_RATES[spec.corpus])
    return spec.relpath, path.stat().st_size


def corpus_roots(root) -> dict:
    """The two corpus folders below ``root``.

    Parameters
    ----------
    root : str or Path

    Returns
    -------
    dict
        ``{"ravdess": Path, "cremad": Path}``.
    """
    root = Path(root)
    return {"ravdess": root / RAVDESS_DIR, "cremad": root / CREMAD_DIR}


def write_demographics(path, actors) -> Path:
    """Write ``VideoDemographics.csv`` for the CREMA-D-style demo actors.

    Parameters
    ----------
    path : str or Path
    actors : iterable of int
        Actor indices 1-8.

    Returns
    -------
    Path
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["ActorID", "Age", "Sex", "Race", "Ethnicity"])
        for actor in actors:
            writer.writerow([1000 + actor, *CREMAD_ACTORS[1000 + actor]])
    return path


def write_readme(root, seed: int, n_ravdess: int, n_cremad: int) -> Path:
    """Write ``README.txt``: what the corpus is and, plainly, that it is not real speech.

    Parameters
    ----------
    root : str or Path
    seed : int
    n_ravdess, n_cremad : int
        Number of clips in each part.

    Returns
    -------
    Path
    """
    text = f"""SYNTHETIC DEMO CORPUS - NOT REAL SPEECH

Every file in this folder was generated by a computer program (utils/demo.py of the speech
emotion recognition course, generator version {GENERATOR_VERSION}, seed {seed}).  The sounds are
made by a simple source-filter synthesiser that imitates a few acoustic traits of emotional
speech.  Nobody spoke them.  They exist only so that the course's notebooks and tests can run
offline, without the real RAVDESS and CREMA-D corpora.

Results obtained on this corpus say NOTHING about real emotion recognition.

  {RAVDESS_DIR}/   {n_ravdess} clips named like RAVDESS (48 kHz, 16-bit, mono)
  {CREMAD_DIR}/   {n_cremad} clips named like CREMA-D (16 kHz, 16-bit, mono),
                            with an invented VideoDemographics.csv

manifest.json lists every file and its size.  Regenerate with:
  python -m utils.data.demo --out <this folder> --seed {seed} --force
"""
    path = Path(root) / README
    path.write_text(text, encoding="utf-8")
    return path


def write_manifest(root, seed: int, actors, files: list) -> Path:
    """Write ``manifest.json`` (atomically, so an interrupted build never looks complete).

    Parameters
    ----------
    root : str or Path
    seed : int
    actors : iterable of int
    files : list of (str, int)
        Relative POSIX path and size in bytes of every generated file.

    Returns
    -------
    Path
    """
    manifest = {
        "generator": "utils.data.demo",
        "generator_version": GENERATOR_VERSION,
        "synthetic": True,
        "seed": int(seed),
        "actors": [int(a) for a in actors],
        "n_files": len(files),
        "files": [{"path": p, "bytes": int(b)} for p, b in sorted(files)],
    }
    path = Path(root) / MANIFEST
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return path


def make_demo_corpus(root, seed: int = 0, *, n_jobs: int | None = None, actors=None) -> dict:
    """Generate the synthetic demo corpus under ``root`` (replacing the two corpus folders).

    Parameters
    ----------
    root : str or Path
        Folder to write into; created if missing.  Only ``RAVDESS-demo-synthetic/``,
        ``CREMA-D-demo-synthetic/``, ``README.txt`` and ``manifest.json`` are touched.
    seed : int
        The same seed gives the same bytes.
    n_jobs : int, optional
        Parallel workers (joblib); ``None`` uses all cores.  Does not change the output.
    actors : iterable of int, optional
        Subset of actor indices 1-8 (RAVDESS ``Actor_XX``, CREMA-D ``10XX``), for quick tests.

    Returns
    -------
    dict
        ``{"ravdess": Path, "cremad": Path}``.
    """
    from joblib import Parallel, delayed

    root = Path(root)
    actors = _check_actors(actors)
    roots = corpus_roots(root)
    for folder in roots.values():
        if folder.exists():
            shutil.rmtree(folder)
    root.mkdir(parents=True, exist_ok=True)
    (root / MANIFEST).unlink(missing_ok=True)
    specs = ravdess_plan(actors) + cremad_plan(actors)
    files = Parallel(n_jobs=-1 if n_jobs is None else n_jobs)(
        delayed(render_clip)(spec, seed, root) for spec in specs
    )
    csv_path = write_demographics(roots["cremad"] / DEMOGRAPHICS_FILE, actors)
    readme = write_readme(root, seed, sum(s.corpus == "ravdess" for s in specs),
                          sum(s.corpus == "cremad" for s in specs))
    for extra in (csv_path, readme):
        files.append((extra.relative_to(root).as_posix(), extra.stat().st_size))
    write_manifest(root, seed, actors, files)
    return roots


def _check_actors(actors) -> tuple:
    """Validate an actor subset (indices 1-8) and return it sorted; ``None`` means all."""
    if actors is None:
        return DEFAULT_ACTORS
    actors = tuple(sorted({int(a) for a in actors}))
    if not actors or not set(actors) <= set(DEFAULT_ACTORS):
        raise ValueError(f"actors must be a non-empty subset of {list(DEFAULT_ACTORS)}, not {actors}")
    return actors


def corpus_is_intact(root, seed: int = 0, *, actors=None) -> bool:
    """True if ``root/manifest.json`` matches this generator, seed and actors and all files exist.

    Parameters
    ----------
    root : str or Path
    seed : int
    actors : iterable of int, optional

    Returns
    -------
    bool
    """
    root = Path(root)
    actors = _check_actors(actors)
    try:
        manifest = json.loads((root / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    expected = len(ravdess_plan(actors)) + len(cremad_plan(actors)) + 2  # + CSV and README
    if (manifest.get("generator_version") != GENERATOR_VERSION or manifest.get("seed") != seed
            or manifest.get("actors") != list(actors) or manifest.get("n_files") != expected
            or len(manifest.get("files", [])) != expected):
        return False
    for entry in manifest["files"]:
        path = root / entry["path"]
        if not path.is_file() or path.stat().st_size != entry["bytes"]:
            return False
    return True


def ensure_demo_corpus(root, seed: int = 0, *, n_jobs: int | None = None, actors=None) -> dict:
    """Return the demo corpus under ``root``, generating it only if missing, stale or damaged.

    Parameters
    ----------
    root : str or Path
    seed : int
    n_jobs : int, optional
        Workers used if a build is needed.
    actors : iterable of int, optional
        Actor subset, as in :func:`make_demo_corpus`.

    Returns
    -------
    dict
        ``{"ravdess": Path, "cremad": Path}``.
    """
    if corpus_is_intact(root, seed, actors=actors):
        return corpus_roots(root)
    return make_demo_corpus(root, seed, n_jobs=n_jobs, actors=actors)


# ----------------------------------------------------------------------------------------------
# Command line
# ----------------------------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    """The command-line interface of ``python -m utils.data.demo``."""
    from ..core.paths import demo_dir

    parser = argparse.ArgumentParser(
        prog="python -m utils.data.demo",
        description="Generate the course's SYNTHETIC demo corpus (generated sounds, not real speech) "
                    "in RAVDESS and CREMA-D layout, for running the notebooks offline.",
    )
    parser.add_argument("--out", type=Path, default=demo_dir(),
                        help="folder to write into (default: data/demo in the repository, or "
                             "$SER_DATA_DIR/demo); only its two corpus folders, README.txt and "
                             "manifest.json are replaced")
    parser.add_argument("--seed", type=int, default=0,
                        help="random seed; the same seed always gives the same bytes (default: 0)")
    parser.add_argument("--force", action="store_true",
                        help="regenerate even if an intact corpus with this seed is already there")
    parser.add_argument("--n-jobs", type=int, default=None,
                        help="parallel worker processes (default: all cores)")
    return parser


def main(argv=None) -> int:
    """Run the command line; returns the exit status.

    Parameters
    ----------
    argv : list of str, optional
        Arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    int
    """
    args = _parser().parse_args(argv)
    if args.seed < 0:
        print("--seed must be a non-negative integer", file=sys.stderr)
        return 2
    start = time.perf_counter()
    if not args.force and corpus_is_intact(args.out, args.seed):
        print(f"Demo corpus already present and intact in {args.out} (use --force to rebuild).")
        return 0
    make_demo_corpus(args.out, args.seed, n_jobs=args.n_jobs)
    n = json.loads((Path(args.out) / MANIFEST).read_text(encoding="utf-8"))["n_files"] - 2
    print(f"Generated {n} synthetic clips in {time.perf_counter() - start:.1f} s -> {args.out}")
    return 0


if __name__ == "__main__":
    # Run the copy imported as ``utils.data.demo``, so that joblib's workers find the functions by
    # name instead of receiving them pickled from ``__main__``.
    from utils.data.demo import main as _main

    raise SystemExit(_main())
