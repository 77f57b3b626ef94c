"""Numeric tests of utils.features.prosody: YIN against librosa, pitch accuracy, voicing, settings, statistics.

All audio is generated here (sine and sawtooth tones, white noise) or is the synthetic demo corpus
built into pytest's tmp_path; nothing reads the real corpora or the repository's data/ folder.
"""

from __future__ import annotations

import warnings

import librosa
import numpy as np
import pytest
from scipy import signal

from utils.features.config import FeatureConfig
from utils.features.prosody import (
    PROSODY_STATISTICS,
    pitch_frame_length,
    prosody_frames,
    prosody_statistics,
    yin,
)

CONFIG = FeatureConfig()
SR = CONFIG.sr
AMP = 0.3


def seconds(n: float, sr: int = SR) -> np.ndarray:
    return np.arange(int(round(n * sr))) / sr


def tone(f0: float, dur: float = 1.0, sr: int = SR, kind: str = "sine", amp: float = AMP) -> np.ndarray:
    """A steady tone: a sine or a (harmonic-rich) sawtooth."""
    phase = 2 * np.pi * f0 * seconds(dur, sr)
    y = np.sin(phase) if kind == "sine" else signal.sawtooth(phase)
    return (amp * y).astype(np.float32)


def glide(f_start: float, st_per_s: float, dur: float, sr: int = SR, kind: str = "sawtooth", amp: float = AMP) -> np.ndarray:
    """A tone whose pitch rises linearly in semitones: f(t) = f_start * 2**(st_per_s * t / 12)."""
    t = seconds(dur, sr)
    k = st_per_s * np.log(2) / 12
    phase = 2 * np.pi * f_start * np.expm1(k * t) / k  # integral of f(t)
    y = np.sin(phase) if kind == "sine" else signal.sawtooth(phase)
    return (amp * y).astype(np.float32)


def white_noise(dur: float = 1.0, sr: int = SR, rms: float = AMP / np.sqrt(2), seed: int = 0) -> np.ndarray:
    return (rms * np.random.default_rng(seed).standard_normal(int(round(dur * sr)))).astype(np.float32)


def to_hz(semitones) -> np.ndarray:
    """Inverse of the f0_semitones column: 55 Hz * 2**(st / 12)."""
    return 55.0 * 2 ** (np.asarray(semitones, dtype=np.float64) / 12)


def voiced_median_hz(p: np.ndarray) -> float:
    voiced = p[:, 1] > 0.5
    assert voiced.any(), "no voiced frame at all"
    return float(to_hz(np.median(p[voiced, 0])))


# ----------------------------------------------------------------------------------------------
# yin() is librosa.yin
# ----------------------------------------------------------------------------------------------


def _yin_signals(sr: int) -> dict:
    return {
        "pure tone": tone(187.0, 0.7, sr, "sine"),
        "gliding sawtooth": glide(110.0, 14.0, 0.9, sr, "sawtooth"),
        "harmonic sum": (sum(np.sin(2 * np.pi * 140 * h * seconds(0.6, sr) * (1 + 0.05 * seconds(0.6, sr))) / h for h in range(1, 9)) * 0.1).astype(np.float32),
        "white noise": white_noise(0.6, sr, seed=3),
    }


@pytest.mark.parametrize("sr", [16000, 22050])
@pytest.mark.parametrize("name", ["pure tone", "gliding sawtooth", "harmonic sum", "white noise"])
@pytest.mark.parametrize("threshold, hop", [(0.1, 160), (0.35, 256)])
def test_yin_equals_librosa_yin(sr, name, threshold, hop):
    y = _yin_signals(sr)[name]
    fmin, fmax = 60.0, min(600.0, sr / 4)
    frame_length = pitch_frame_length(sr, fmin)
    f0, aperiodicity = yin(y, sr, fmin=fmin, fmax=fmax, frame_length=frame_length, hop_length=hop, threshold=threshold)
    expected = librosa.yin(y, fmin=fmin, fmax=fmax, sr=sr, frame_length=frame_length, hop_length=hop,
                           trough_threshold=threshold, center=True, pad_mode="constant")
    assert f0.shape == expected.shape == (1 + len(y) // hop,)
    np.testing.assert_allclose(f0, expected, rtol=1e-6)
    assert aperiodicity.shape == f0.shape and np.all(np.isfinite(aperiodicity)) and np.all(aperiodicity >= -1e-6)


def test_yin_equals_librosa_yin_with_a_longer_window_and_float64_input():
    sr = 22050
    y = glide(80.0, 20.0, 0.8, sr, "sine").astype(np.float64) + 0.01 * white_noise(0.8, sr, seed=1)
    f0, _ = yin(y, sr, fmin=50.0, fmax=1000.0, frame_length=4096, hop_length=300, threshold=0.2)
    expected = librosa.yin(y, fmin=50.0, fmax=1000.0, sr=sr, frame_length=4096, hop_length=300,
                           trough_threshold=0.2, center=True, pad_mode="constant")
    np.testing.assert_allclose(f0, expected, rtol=1e-6)


def test_yin_aperiodicity_separates_periodic_from_noise():
    kw = dict(fmin=60.0, fmax=600.0, frame_length=1024, hop_length=160, threshold=0.35)
    _, ap_tone = yin(tone(200.0, kind="sawtooth"), SR, **kw)
    _, ap_noise = yin(white_noise(), SR, **kw)
    assert np.median(ap_tone[5:-5]) < 0.15
    assert np.median(ap_noise) > 0.6


def test_pitch_frame_length_holds_two_periods_of_fmin():
    for sr, fmin in [(16000, 60.0), (22050, 60.0), (16000, 30.0), (48000, 75.0)]:
        n = pitch_frame_length(sr, fmin)
        assert n >= 2 * sr / fmin and n < 4 * sr / fmin and n & (n - 1) == 0
    assert pitch_frame_length(16000, 60.0) == 1024


# ----------------------------------------------------------------------------------------------
# Pitch accuracy and voicing of prosody_frames
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["sine", "sawtooth"])
@pytest.mark.parametrize("f0", [100.0, 150.0, 220.0, 300.0])
def test_tone_pitch_within_one_percent(f0, kind):
    y = tone(f0, 1.0, kind=kind)
    p = prosody_frames(y, CONFIG)
    assert p.shape == (1 + len(y) // CONFIG.hop_length, 4) and p.dtype == np.float32
    assert voiced_median_hz(p) == pytest.approx(f0, rel=0.01)
    interior = p[5:-5]
    assert np.all(interior[:, 1] == 1.0), "an interior frame of a steady tone is unvoiced"
    # every interior frame, not only the median, is on the right pitch
    np.testing.assert_allclose(to_hz(interior[:, 0]), f0, rtol=0.02)
    assert np.all(interior[:, 2] > 0.8)  # periodicity


def test_tone_at_22050_hz_is_tracked():
    config = FeatureConfig(sr=22050, hop_length=220, n_fft=1024)
    p = prosody_frames(tone(175.0, 1.0, 22050, "sawtooth"), config)
    assert voiced_median_hz(p) == pytest.approx(175.0, rel=0.01)
    assert p[5:-5, 1].min() == 1.0


def test_white_noise_is_mostly_unvoiced():
    for seed in range(3):
        p = prosody_frames(white_noise(1.0, seed=seed), CONFIG)
        assert p[:, 1].mean() < 0.2
        assert np.all(p[p[:, 1] == 0, 0] == 0.0), "unvoiced frames must have f0_semitones 0"
        assert np.median(p[:, 2]) < 0.4  # low periodicity


def test_silence_around_a_tone_is_unvoiced():
    pad = 0.5
    y = np.concatenate([np.zeros(int(pad * SR)), tone(200.0, 1.0), np.zeros(int(pad * SR))]).astype(np.float32)
    p = prosody_frames(y, CONFIG)
    hop = CONFIG.hop_length
    reach = pitch_frame_length(SR, CONFIG.pitch_fmin) // 2  # YIN window half-width
    centre = np.arange(len(p)) * hop
    start, stop = int(pad * SR), int((pad + 1.0) * SR)
    silent = (centre + reach < start) | (centre - reach >= stop)
    inside = (centre - reach >= start) & (centre + reach < stop)
    assert silent.sum() > 60 and inside.sum() > 80
    assert np.all(p[silent, 1] == 0.0) and np.all(p[silent, 0] == 0.0)
    assert np.all(p[inside, 1] == 1.0)
    assert voiced_median_hz(p) == pytest.approx(200.0, rel=0.01)


def test_quiet_noise_floor_around_a_tone_is_unvoiced():
    """A -80 dB hiss (not digital zeros) before and after the tone is still unvoiced."""
    rng = np.random.default_rng(5)
    hiss = lambda n: 1e-4 * rng.standard_normal(n)  # noqa: E731
    y = np.concatenate([hiss(SR // 2), tone(150.0, 1.0, kind="sawtooth"), hiss(SR // 2)]).astype(np.float32)
    p = prosody_frames(y, CONFIG)
    assert p[:40, 1].max() == 0.0 and p[-40:, 1].max() == 0.0
    assert p[60:140, 1].min() == 1.0


def test_energy_column_is_frame_power_in_db():
    y = tone(200.0, 1.0, kind="sine", amp=0.5) + 0.01 * white_noise(1.0, seed=2)
    p = prosody_frames(y, CONFIG)
    power = np.abs(librosa.stft(y, n_fft=CONFIG.n_fft, hop_length=CONFIG.hop_length, window="hann", center=True, pad_mode="constant")) ** 2
    np.testing.assert_allclose(p[:, 3], 10 * np.log10(power.mean(axis=0) + 1e-10), atol=1e-3)
    q = prosody_frames(0.5 * y, CONFIG)  # half the amplitude: 6 dB less in every frame
    np.testing.assert_allclose(p[:, 3] - q[:, 3], 20 * np.log10(2), atol=1e-3)


# ----------------------------------------------------------------------------------------------
# The settings of FeatureConfig are used
# ----------------------------------------------------------------------------------------------


def test_pitch_fmin_limits_the_search():
    y = tone(45.0, 1.0, kind="sawtooth")
    default = prosody_frames(y, CONFIG)  # pitch_fmin = 60 Hz
    lowered = prosody_frames(y, FeatureConfig(pitch_fmin=30.0))
    assert default[:, 1].mean() < 0.2 or abs(12 * np.log2(voiced_median_hz(default) / 45.0)) > 1
    assert lowered[5:-5, 1].min() == 1.0
    assert voiced_median_hz(lowered) == pytest.approx(45.0, rel=0.01)


def test_pitch_fmax_limits_the_search():
    y = tone(400.0, 1.0, kind="sawtooth")
    default = prosody_frames(y, CONFIG)  # pitch_fmax = 600 Hz
    assert voiced_median_hz(default) == pytest.approx(400.0, rel=0.01)
    capped = prosody_frames(y, FeatureConfig(pitch_fmax=300.0))
    voiced = capped[:, 1] > 0.5
    if voiced.any():
        assert to_hz(capped[voiced, 0]).max() < 300.0 * 1.02
        assert abs(12 * np.log2(voiced_median_hz(capped) / 400.0)) > 1  # badly tracked


def noisy_tone() -> np.ndarray:
    """A 200 Hz sawtooth whose white-noise level rises from nothing to well above the tone."""
    t = seconds(2.0)
    noise = white_noise(2.0, seed=7) / (AMP / np.sqrt(2)) * (0.6 * t / t[-1]) * AMP
    return (tone(200.0, 2.0, kind="sawtooth") + noise).astype(np.float32)


def test_stricter_voicing_threshold_gives_fewer_voiced_frames():
    y = noisy_tone()
    fractions = [prosody_frames(y, FeatureConfig(voicing_threshold=th))[:, 1].mean() for th in (0.1, 0.2, 0.35, 0.6)]
    assert all(a <= b for a, b in zip(fractions, fractions[1:])), fractions
    assert fractions[0] < fractions[-1] - 0.2, fractions
    assert 0.05 < fractions[2] < 0.95, fractions  # the default is neither all nor nothing here


def test_voicing_follows_aperiodicity_threshold_exactly():
    """voiced == (1 - periodicity < voicing_threshold) on frames loud enough (the tone is constant-level)."""
    y = noisy_tone()
    for th in (0.2, 0.5):
        p = prosody_frames(y, FeatureConfig(voicing_threshold=th, voicing_top_db=80.0))
        aperiodic = 1 - p[:, 2]
        clear = np.abs(aperiodic - th) > 1e-4  # leave out frames on the boundary (float32 rounding)
        np.testing.assert_array_equal(p[clear, 1] == 1.0, aperiodic[clear] < th)


def test_voicing_top_db_drops_quiet_frames():
    t = seconds(2.0)
    y = (0.5 * np.sin(2 * np.pi * 200 * t) * 10 ** (-30 * t / 20)).astype(np.float32)  # fades by 60 dB
    fractions = []
    for top_db in (10.0, 20.0, 40.0, 80.0):
        p = prosody_frames(y, FeatureConfig(voicing_top_db=top_db))
        voiced = p[:, 1] > 0.5
        assert np.all(p[voiced, 3] > p[:, 3].max() - top_db)
        fractions.append(voiced.mean())
        if top_db < 60:
            assert voiced.mean() == pytest.approx(top_db / 60, abs=0.05)
    assert fractions == sorted(fractions) and fractions[-1] > 0.95, fractions


# ----------------------------------------------------------------------------------------------
# prosody_statistics
# ----------------------------------------------------------------------------------------------


def stats(p: np.ndarray, config: FeatureConfig = CONFIG) -> dict:
    values = prosody_statistics(p, config)
    assert values.shape == (len(PROSODY_STATISTICS),) and np.all(np.isfinite(values))
    return dict(zip(PROSODY_STATISTICS, values))


@pytest.mark.parametrize("st_per_s, f_start", [(8.0, 120.0), (-6.0, 300.0), (3.0, 180.0)])
def test_statistics_of_a_linear_glide(st_per_s, f_start):
    dur = 1.5
    y = glide(f_start, st_per_s, dur)
    p = prosody_frames(y, CONFIG)
    s = stats(p)
    assert s["f0_slope"] == pytest.approx(st_per_s, rel=0.10)
    assert s["voiced_fraction"] > 0.95
    analysed = len(p) * CONFIG.hop_length / CONFIG.sr
    assert s["log_duration"] == pytest.approx(np.log(analysed), abs=1e-9)
    assert s["log_duration"] == pytest.approx(np.log(dur), abs=CONFIG.hop_length / CONFIG.sr / dur + 1e-9)
    start_st = 12 * np.log2(f_start / 55)
    assert s["f0_p50"] == pytest.approx(start_st + st_per_s * dur / 2, abs=0.3)
    assert s["f0_range"] == pytest.approx(0.8 * abs(st_per_s) * dur, rel=0.1)  # p90 - p10 of a uniform ramp
    assert s["f0_jitter"] == pytest.approx(abs(st_per_s) * CONFIG.hop_length / CONFIG.sr, abs=0.05)
    assert s["voiced_onsets_per_s"] == pytest.approx(1 / analysed, rel=1e-6)  # one voiced stretch


def test_statistics_of_a_steady_tone_and_of_noise():
    steady = stats(prosody_frames(tone(220.0, 1.0, kind="sawtooth"), CONFIG))
    assert steady["f0_mean"] == pytest.approx(24.0, abs=0.1)  # 220 Hz is 24 semitones above 55
    assert steady["f0_std"] < 0.05 and abs(steady["f0_slope"]) < 0.1 and steady["f0_jitter"] < 0.05
    assert steady["periodicity_mean"] > 0.8
    noise = stats(prosody_frames(white_noise(1.0), CONFIG))
    assert noise["voiced_fraction"] < 0.2
    assert noise["periodicity_mean"] < steady["periodicity_mean"] - 0.4


def test_statistics_without_voiced_frames_have_zero_pitch_values():
    p = prosody_frames(white_noise(0.5), CONFIG)
    p[:, 1] = 0.0
    p[:, 0] = 0.0
    s = stats(p)
    assert all(s[name] == 0.0 for name in PROSODY_STATISTICS[:8])
    assert s["voiced_fraction"] == 0.0 and s["voiced_onsets_per_s"] == 0.0
    assert s["energy_voiced_mean"] == pytest.approx(s["energy_mean"])


def test_statistics_count_voiced_onsets():
    gap = np.zeros(int(0.3 * SR), dtype=np.float32)
    y = np.concatenate([tone(150.0, 0.4, kind="sawtooth"), gap, tone(150.0, 0.4, kind="sawtooth"), gap, tone(150.0, 0.4, kind="sawtooth")])
    p = prosody_frames(y, CONFIG)
    s = stats(p)
    analysed = len(p) * CONFIG.hop_length / CONFIG.sr
    assert s["voiced_onsets_per_s"] * analysed == pytest.approx(3.0)


# ----------------------------------------------------------------------------------------------
# The demo voices
# ----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    from utils.data.demo.corpus import make_demo_corpus

    root = tmp_path_factory.mktemp("demo")
    return make_demo_corpus(root, seed=0, n_jobs=1, actors=(1, 2))


def demo_path(roots, name: str):
    if name.startswith("03-"):
        return roots["ravdess"] / f"Actor_{int(name[-6:-4]):02d}" / name
    return roots["cremad"] / "AudioWAV" / name


def demo_medians(roots, name: str) -> tuple:
    """Median f0 (semitones above 55 Hz) of the voiced frames: prosody_frames, then librosa.pyin."""
    from utils.features.clip import load_clip

    y = load_clip(demo_path(roots, name), CONFIG)
    p = prosody_frames(y, CONFIG)
    voiced = p[:, 1] > 0.5
    assert voiced.mean() > 0.2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        f0, voiced_flag, _ = librosa.pyin(y, fmin=60, fmax=600, sr=CONFIG.sr,
                                          frame_length=pitch_frame_length(CONFIG.sr, 60), hop_length=CONFIG.hop_length)
    assert voiced_flag.mean() > 0.2
    return float(np.median(p[voiced, 0])), float(12 * np.log2(np.median(f0[voiced_flag]) / 55))


# calm-voiced clips of a male (actor 1) and a female (actor 2) RAVDESS voice and of two CREMA-D
# voices; the expressive clips where the two trackers disagree are in the xfail test below
AGREEING_CLIPS = ["03-01-01-01-01-01-01.wav", "03-01-04-01-02-01-02.wav", "1002_TSI_NEU_XX.wav", "1001_IEO_SAD_MD.wav"]


def test_demo_voices_median_pitch_agrees_with_pyin(demo):
    for name in AGREEING_CLIPS:
        ours, ref = demo_medians(demo, name)
        assert abs(ours - ref) < 1.0, f"{name}: prosody_frames median {ours:.2f} st, pyin {ref:.2f} st"


@pytest.mark.xfail(strict=True, reason=(
    "BUG (see report): prosody_frames uses voicing_threshold=0.35 also as YIN's trough threshold, "
    "so on breathy/jittery demo voices the first trough below 0.35 is often at half the period "
    "and the median f0 comes out about an octave too high"))
def test_demo_voices_median_pitch_agrees_with_pyin_on_expressive_clips(demo):
    for name in ("03-01-06-01-01-01-01.wav", "1001_TSI_HAP_XX.wav"):
        ours, ref = demo_medians(demo, name)
        assert abs(ours - ref) < 1.0, f"{name}: prosody_frames median {ours:.2f} st, pyin {ref:.2f} st"


EMOTION_CODES = {"01": "neutral", "02": "calm", "03": "happy", "04": "sad", "05": "angry", "06": "fearful", "07": "disgust", "08": "surprised"}


@pytest.mark.parametrize("code", [
    pytest.param(code, marks=pytest.mark.xfail(strict=True, reason="octave error of the male fearful clip (see the test above)"))
    if code == "06" else code
    for code in EMOTION_CODES
])
def test_demo_male_voice_is_lower_than_female_voice(demo, code):
    from utils.features.clip import load_clip

    medians = {}
    for actor in (1, 2):  # RAVDESS: odd actors male, even female
        y = load_clip(demo_path(demo, f"03-01-{code}-01-01-01-{actor:02d}.wav"), CONFIG)
        medians[actor] = voiced_median_hz(prosody_frames(y, CONFIG))
    assert medians[1] < medians[2], f"{EMOTION_CODES[code]}: male {medians[1]:.0f} Hz, female {medians[2]:.0f} Hz"
