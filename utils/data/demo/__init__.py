"""The course's built-in SYNTHETIC demo corpus: generated speech-like sounds, not real speech.

The real corpora (RAVDESS, CREMA-D) must be downloaded, which is not possible everywhere (CI,
offline classrooms).  This package generates a small corpus that imitates both: the same folder
layout, file names, sample rates and label sets, so that every notebook runs end to end.  The
sounds are made by a simple source-filter synthesiser; **results on them say nothing about real
emotion recognition**.  They only show that the code works.

Modules
-------
- :mod:`utils.data.demo.voices`  speakers, emotion profiles, the voice of one clip, and the seed
  streams every speaker and clip draws its random numbers from
- :mod:`utils.data.demo.synth`   the synthesiser: syllables and timing, pitch contour, glottal
  source, formant filters, consonants, loudness, silence and noise floor
- :mod:`utils.data.demo.corpus`  which clips the corpus holds, rendering them to WAV files,
  ``README.txt``, ``manifest.json`` and ``VideoDemographics.csv``; ``make_demo_corpus``,
  ``corpus_is_intact``, ``ensure_demo_corpus`` and ``corpus_roots``
- :mod:`utils.data.demo.cli`     the command ``python -m utils.data.demo``

Each module imports only from the ones above it, from :mod:`utils.core`,
:mod:`utils.data.corpora` (every code and file-name scheme of the two corpora) and
:mod:`utils.data.audio`.  Import names from the module that defines them, e.g.
``from utils.data.demo.corpus import ensure_demo_corpus``.

Two sizes (:data:`~utils.data.demo.corpus.SIZES`): ``"small"`` (the default: 8 actors per part,
512 clips, seconds to build) and ``"full"`` (the real corpora's 24 x 60 RAVDESS and 91 x 82
CREMA-D clips, 8,902 in all), for measuring time and memory at the real corpora's size.

Layout written by :func:`~utils.data.demo.corpus.make_demo_corpus` under ``root``::

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
Deviations from the speaker's neutral voice at full strength (RAVDESS intensity 02, CREMA-D HI),
as :data:`utils.data.demo.voices.EMOTION_PROFILES`.  Weaker levels scale every deviation by
:data:`~utils.data.demo.corpus.RAVDESS_STRENGTH` / :data:`~utils.data.demo.corpus.CREMAD_STRENGTH`
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
and every speaker's from ``[seed, corpus, actor, 0]`` (:mod:`utils.data.demo.voices`), so the
bytes depend on the seed only, not on ``n_jobs`` or on which actors are built.

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
>>> from utils.data.demo.corpus import ensure_demo_corpus
>>> roots = ensure_demo_corpus("data/demo")        # doctest: +SKIP
>>> sorted(roots)                                  # doctest: +SKIP
['cremad', 'ravdess']

From a shell::

    python -m utils.data.demo --out data/demo --seed 0 --force
    python -m utils.data.demo --size full         # into data/demo-full
"""
