"""Helper package of the speech emotion recognition course.

One subpackage per stage of the data flow; imports only go downward (a module imports from its
own stage or the stages above it in this list, never from a later one):

- :mod:`utils.core`        paths, file hashing, how many processes to use (no audio knowledge)
- :mod:`utils.data`        corpora facts, reading audio, scanning folders, augmentation, demo corpus, downloads
- :mod:`utils.features`    the shared feature configuration and cached, parallel extraction
- :mod:`utils.learn`       labels, speaker-independent splits, scaling, networks, training, recipes
- :mod:`utils.evaluation`  metrics with chance levels, the leakage experiment, the benchmark
- :mod:`utils.predict`     model bundles and predictions for clips, folders and long recordings
- :mod:`utils.notebook`    players, figures and plots for the notebooks, and the series runner

Every name is imported from the module that defines it, e.g.
``from utils.features.extract import extract_corpus``.  Subpackages import nothing on their own,
so ``import utils`` stays light.
"""

__version__ = "0.1.0"
