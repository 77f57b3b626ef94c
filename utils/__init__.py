"""Helper package of the speech emotion recognition course.

One module per stage of the data flow:

- :mod:`utils.sources`  which corpora to use (real when present, synthetic demo otherwise)
- :mod:`utils.demo`     the generated synthetic demo corpus
- :mod:`utils.download` fetching and verifying the real RAVDESS and CREMA-D corpora
- :mod:`utils.audio`    decoding audio files with clear errors
- :mod:`utils.corpus`   scanning a corpus folder into one tidy table of clips and labels
- :mod:`utils.augment`  noise at a chosen SNR, pitch shift, time stretch
- :mod:`utils.features` the shared feature configuration and cached, parallel extraction
- :mod:`utils.splits`   label encoding, speaker-independent splits and scaling
- :mod:`utils.leakage`  the leakage experiment (same model, three ways of splitting)
- :mod:`utils.model`    the Conv1D models and reproducible training
- :mod:`utils.evaluate` accuracy, macro F1, UAR, confusion matrices, chance levels
- :mod:`utils.bundle`   saving and loading a trained model with its configuration
- :mod:`utils.predict`  predictions for clips, folders and long recordings (also a command)

Notebook support: :mod:`utils.plots`, :mod:`utils.notebook` and :mod:`utils.series` (runs the
whole series headless).

Submodules are imported on demand so that ``import utils`` stays light.
"""

__version__ = "0.1.0"
