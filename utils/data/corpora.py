"""What the course knows about RAVDESS and CREMA-D: their codes, file names and label sets, once.

Both corpora encode their labels in the file name:

RAVDESS  ``03-01-05-02-01-01-16.wav``
    modality (01 audio-video, 02 video-only, 03 audio-only) - vocal channel (01 speech, 02 song)
    - emotion (01-08) - intensity (01 normal, 02 strong) - statement (01, 02) - repetition
    (01, 02) - actor (01-24).  Odd-numbered actors are male, even-numbered actors female.
    Neutral clips have no strong intensity.
CREMA-D  ``1001_DFA_ANG_XX.wav``
    actor (1001-1091) _ sentence (12 codes) _ emotion (ANG DIS FEA HAP NEU SAD) _ level (LO,
    MD, HI, XX unspecified).  Sex comes from the corpus's ``VideoDemographics.csv``.

EmoDB ``03a01Fa.wav`` (German, for cross-corpus tests only)
    speaker (10 actors) - text - emotion (German initials, :data:`EMODB_EMOTIONS`) - version.

The scanner (:mod:`utils.data.scan`), the demo generator (:mod:`utils.data.demo`) and the
downloads (:mod:`utils.data.download`) all read the codes and check names here, so the three can
never disagree about what a valid name is.

Examples
--------
>>> parse_name("03-01-05-02-01-01-16.wav")["emotion"]
'angry'
>>> ravdess_stem(emotion="angry", intensity="strong", statement=1, repetition=1, actor=16)
'03-01-05-02-01-01-16'
>>> parse_ravdess_name("03-01-09-01-01-01-16")
Traceback (most recent call last):
...
ValueError: RAVDESS emotion code 09 is not one of 01-08
"""

from __future__ import annotations

import re
from pathlib import Path

# --------------------------------------------------------------------------------------------
# RAVDESS
# --------------------------------------------------------------------------------------------

RAVDESS_MODALITIES = {"01": "audio-video", "02": "video-only", "03": "audio-only"}
RAVDESS_CHANNELS = {"01": "speech", "02": "song"}
RAVDESS_EMOTIONS = {
    "01": "neutral", "02": "calm", "03": "happy", "04": "sad",
    "05": "angry", "06": "fearful", "07": "disgust", "08": "surprised",
}
RAVDESS_INTENSITIES = {"01": "normal", "02": "strong"}
RAVDESS_STATEMENTS = {"01": "Kids are talking by the door", "02": "Dogs are sitting by the door"}
RAVDESS_REPETITIONS = {"01": 1, "02": 2}
RAVDESS_ACTORS = range(1, 25)
"""Actor numbers of the real corpus (names with other two-digit numbers are still accepted)."""

RAVDESS_PATTERN = re.compile(r"^(\d{2})-(\d{2})-(\d{2})-(\d{2})-(\d{2})-(\d{2})-(\d{2})$")
"""Shape of a RAVDESS file stem: seven two-digit fields (codes checked by :func:`parse_ravdess_name`)."""

_RAVDESS_FIELDS = (
    ("modality", RAVDESS_MODALITIES),
    ("vocal channel", RAVDESS_CHANNELS),
    ("emotion", RAVDESS_EMOTIONS),
    ("intensity", RAVDESS_INTENSITIES),
    ("statement", RAVDESS_STATEMENTS),
    ("repetition", RAVDESS_REPETITIONS),
)

# --------------------------------------------------------------------------------------------
# CREMA-D
# --------------------------------------------------------------------------------------------

CREMAD_EMOTIONS = {"ANG": "angry", "DIS": "disgust", "FEA": "fearful", "HAP": "happy", "NEU": "neutral", "SAD": "sad"}
CREMAD_LEVELS = {"LO": "low", "MD": "medium", "HI": "high", "XX": "unspecified"}
CREMAD_SENTENCES = {
    "IEO": "It's eleven o'clock",
    "TIE": "That is exactly what happened",
    "IOM": "I'm on my way to the meeting",
    "IWW": "I wonder what this is about",
    "TAI": "The airplane is almost full",
    "MTI": "Maybe tomorrow it will be cold",
    "IWL": "I would like a new alarm clock",
    "ITH": "I think I have a doctor's appointment",
    "DFA": "Don't forget a jacket",
    "ITS": "I think I've seen this before",
    "TSI": "The surface is slick",
    "WSI": "We'll stop in a couple of minutes",
}
CREMAD_ACTORS = range(1001, 1092)
"""Actor numbers of the real corpus (91 actors)."""

CREMAD_PATTERN = re.compile(r"^(\d{4})_([A-Z]{3})_([A-Z]{3})_([A-Z]{2})$")
"""Shape of a CREMA-D file stem (codes checked by :func:`parse_cremad_name`)."""

DEMOGRAPHICS_FILE = "VideoDemographics.csv"

# --------------------------------------------------------------------------------------------
# EmoDB (Berlin Database of Emotional Speech): for cross-corpus tests only
# --------------------------------------------------------------------------------------------

EMODB_EMOTIONS = {"W": "angry", "L": "boredom", "E": "disgust", "A": "fearful", "F": "happy", "T": "sad", "N": "neutral"}
"""EmoDB's emotion codes (German initials: Wut, Langeweile, Ekel, Angst, Freude, Trauer, Neutral).
Boredom has no counterpart in RAVDESS or CREMA-D."""

EMODB_SPEAKERS = {3: "male", 8: "female", 9: "female", 10: "male", 11: "male", 12: "male", 13: "female", 14: "female", 15: "male", 16: "female"}
"""EmoDB's ten speakers and their sex."""

EMODB_PATTERN = re.compile(r"^(\d{2})([ab]\d{2})([A-Z])([a-z])$")
"""Shape of an EmoDB file stem ``SSTTTEV``, e.g. ``03a01Fa``: speaker, text, emotion, version."""
"""CREMA-D's table of actors (``ActorID``, ``Age``, ``Sex``, ``Race``, ``Ethnicity``)."""

# --------------------------------------------------------------------------------------------
# Label sets
# --------------------------------------------------------------------------------------------

EMOTION_ORDER = tuple(RAVDESS_EMOTIONS.values())
"""The course's order of emotion classes: RAVDESS's code order (01 neutral ... 08 surprised)."""

EMOTIONS_SHARED = ("neutral", "happy", "sad", "angry", "fearful", "disgust")
"""The six emotions both corpora share: the label set used when they are combined."""

CORPORA = {"ravdess": "RAVDESS", "cremad": "CREMA-D", "emodb": "EmoDB"}
"""Corpus keys (as in the ``corpus`` column and speaker keys) and their display names."""


def label_order(labels) -> list[str]:
    """The labels present, in :data:`EMOTION_ORDER`; labels outside it follow alphabetically.

    Examples
    --------
    >>> label_order(["sad", "angry", "neutral", "boredom"])
    ['neutral', 'sad', 'angry', 'boredom']
    """
    present = {str(label) for label in labels}
    return [e for e in EMOTION_ORDER if e in present] + sorted(present - set(EMOTION_ORDER))


def speaker_key(corpus: str, actor: int) -> str:
    """The course's speaker key, e.g. ``ravdess:01`` or ``cremad:1001``.

    Two corpora that both number an actor 1 never share a speaker.
    """
    return f"{corpus}:{int(actor):02d}"


def ravdess_gender(actor: int) -> str:
    """RAVDESS's rule: odd-numbered actors are male, even-numbered female."""
    return "male" if int(actor) % 2 else "female"


# --------------------------------------------------------------------------------------------
# Parsing and building names
# --------------------------------------------------------------------------------------------


def _code_range(codes: dict) -> str:
    keys = list(codes)
    return f"{keys[0]}-{keys[-1]}" if len(keys) > 2 else " or ".join(keys)


def parse_ravdess_name(stem: str) -> dict:
    """Parse a RAVDESS file name (without extension) into labels.

    Raises
    ------
    ValueError
        If the name does not have the shape ``MM-VV-EE-II-SS-RR-AA``, or a code is not one of the
        corpus's; the message names the field and the code.

    Examples
    --------
    >>> parse_ravdess_name("03-01-05-02-01-01-16")["gender"]
    'female'
    """
    match = RAVDESS_PATTERN.match(stem)
    if not match:
        raise ValueError("name does not follow the RAVDESS scheme MM-VV-EE-II-SS-RR-AA (seven two-digit codes)")
    *codes, actor = match.groups()
    values = {}
    for (field, known), code in zip(_RAVDESS_FIELDS, codes):
        if code not in known:
            raise ValueError(f"RAVDESS {field} code {code} is not one of {_code_range(known)}")
        values[field] = known[code]
    if int(actor) < 1:
        raise ValueError(f"RAVDESS actor number {actor} is out of range (01-99)")
    if codes[2] == "01" and codes[3] == "02":
        raise ValueError("RAVDESS neutral clips have no strong intensity (emotion 01 with intensity 02)")
    return {
        "corpus": "ravdess",
        "actor": int(actor),
        "gender": ravdess_gender(int(actor)),
        "emotion": values["emotion"],
        "intensity": values["intensity"],
        "statement": values["statement"],
        "repetition": values["repetition"],
        "channel": values["vocal channel"],
    }


def parse_cremad_name(stem: str) -> dict:
    """Parse a CREMA-D file name (without extension) into labels.

    Raises
    ------
    ValueError
        If the name does not have the shape ``AAAA_SSS_EMO_LV`` or a code is unknown; the message
        names the field and the code.

    Examples
    --------
    >>> parse_cremad_name("1001_DFA_ANG_XX")["statement"]
    "Don't forget a jacket"
    """
    match = CREMAD_PATTERN.match(stem)
    if not match:
        raise ValueError("name does not follow the CREMA-D scheme AAAA_SSS_EMO_LV")
    actor, sentence, emotion, level = match.groups()
    for code, known, what in ((sentence, CREMAD_SENTENCES, "sentence"), (emotion, CREMAD_EMOTIONS, "emotion"), (level, CREMAD_LEVELS, "level")):
        if code not in known:
            raise ValueError(f"unknown CREMA-D {what} code {code!r} (known: {', '.join(known)})")
    return {
        "corpus": "cremad",
        "actor": int(actor),
        "gender": "unknown",
        "emotion": CREMAD_EMOTIONS[emotion],
        "intensity": CREMAD_LEVELS[level],
        "statement": CREMAD_SENTENCES[sentence],
        "repetition": 1,
        "channel": "speech",
    }


def parse_emodb_name(stem: str) -> dict:
    """Parse an EmoDB file name (without extension) into labels.

    Raises
    ------
    ValueError
        If the name does not have the shape ``SSTTTEV`` or the speaker or emotion code is unknown.

    Examples
    --------
    >>> parse_emodb_name("03a01Fa")["emotion"], parse_emodb_name("03a01Fa")["gender"]
    ('happy', 'male')
    """
    match = EMODB_PATTERN.match(stem)
    if not match:
        raise ValueError("name does not follow the EmoDB scheme SSTTTEV (e.g. 03a01Fa)")
    speaker, text, emotion, version = match.groups()
    if int(speaker) not in EMODB_SPEAKERS:
        raise ValueError(f"EmoDB speaker {speaker} is not one of {sorted(EMODB_SPEAKERS)}")
    if emotion not in EMODB_EMOTIONS:
        raise ValueError(f"unknown EmoDB emotion code {emotion!r} (known: {', '.join(EMODB_EMOTIONS)})")
    return {
        "corpus": "emodb",
        "actor": int(speaker),
        "gender": EMODB_SPEAKERS[int(speaker)],
        "emotion": EMODB_EMOTIONS[emotion],
        "intensity": "unspecified",
        "statement": text,
        "repetition": ord(version) - ord("a") + 1,
        "channel": "speech",
    }


def parse_name(path) -> dict:
    """Parse a clip's labels from its file name, trying both naming schemes.

    Raises
    ------
    ValueError
        If the name follows neither scheme (the message shows both expected forms), or follows
        one with an invalid code (the message names the code).
    """
    stem = Path(path).stem
    if RAVDESS_PATTERN.match(stem) or ("-" in stem and stem[:2].isdigit()):
        return parse_ravdess_name(stem)
    if CREMAD_PATTERN.match(stem) or ("_" in stem and stem[:4].isdigit()):
        return parse_cremad_name(stem)
    if EMODB_PATTERN.match(stem):
        return parse_emodb_name(stem)
    raise ValueError(
        "name follows neither the RAVDESS scheme (e.g. 03-01-05-02-01-01-16.wav) "
        "nor the CREMA-D scheme (e.g. 1001_DFA_ANG_XX.wav)"
    )


def corpus_of_name(name: str) -> str | None:
    """``"ravdess"`` or ``"cremad"`` for a valid file name of that corpus (any suffix), else ``None``."""
    try:
        return parse_name(name)["corpus"]
    except ValueError:
        return None


def _code(codes: dict, value, what: str) -> str:
    """The code of ``value``: a code itself, a label (``"angry"``) or a number (1 -> ``"01"``)."""
    text = f"{value:02d}" if isinstance(value, int) and not isinstance(value, bool) else str(value)
    if text in codes:
        return text
    for code, label in codes.items():
        if label == value:
            return code
    raise ValueError(f"unknown {what} {value!r}; known: {list(codes)} or {list(codes.values())}")


def ravdess_stem(*, emotion, intensity="normal", statement=1, repetition=1, actor: int, modality="03", channel="01") -> str:
    """Build a RAVDESS file stem from codes or labels (checked by :func:`parse_ravdess_name`)."""
    stem = "-".join([
        _code(RAVDESS_MODALITIES, modality, "modality"),
        _code(RAVDESS_CHANNELS, channel, "vocal channel"),
        _code(RAVDESS_EMOTIONS, emotion, "emotion"),
        _code(RAVDESS_INTENSITIES, intensity, "intensity"),
        _code(RAVDESS_STATEMENTS, statement, "statement"),
        _code(RAVDESS_REPETITIONS, repetition, "repetition"),
        f"{int(actor):02d}",
    ])
    parse_ravdess_name(stem)
    return stem


def cremad_stem(*, actor: int, sentence: str, emotion, level: str = "XX") -> str:
    """Build a CREMA-D file stem from codes or labels (checked by :func:`parse_cremad_name`)."""
    stem = f"{int(actor):04d}_{_code(CREMAD_SENTENCES, sentence, 'sentence')}_{_code(CREMAD_EMOTIONS, emotion, 'emotion')}_{_code(CREMAD_LEVELS, level, 'level')}"
    parse_cremad_name(stem)
    return stem
