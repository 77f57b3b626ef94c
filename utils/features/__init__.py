"""Stage 2, the features: one configuration shared by training and inference, and the extraction.

- :mod:`utils.features.config`    :class:`~utils.features.config.FeatureConfig`, every setting that changes a value
- :mod:`utils.features.spectral`  one STFT per clip: mel, MFCC and chroma
- :mod:`utils.features.prosody`   pitch (YIN), voicing, periodicity and energy per frame, and their statistics
- :mod:`utils.features.clip`      one signal: reading and trimming a clip, its vector and frame sequence
- :mod:`utils.features.inputs`    what a model takes: input kinds, shapes, pooled frame statistics
- :mod:`utils.features.cache`     the content-keyed cache on disk
- :mod:`utils.features.extract`   many files on all cores: :func:`~utils.features.extract.extract_corpus`
"""
