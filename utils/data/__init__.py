"""Stage 1, the data: which corpora, their facts, reading audio, scanning folders, augmenting.

- :mod:`utils.data.corpora`   RAVDESS and CREMA-D codes, file-name schemes and label sets, stated once
- :mod:`utils.data.audio`     decoding audio files (whole or streamed) with clear errors
- :mod:`utils.data.scan`      a corpus folder into one table of clips and labels, with skipped files
- :mod:`utils.data.augment`   noise at a chosen SNR, pitch shift, time stretch
- :mod:`utils.data.demo`      the generated synthetic demo corpus (``python -m utils.data.demo``)
- :mod:`utils.data.download`  fetching and verifying the real corpora (``python -m utils.data.download``)
- :mod:`utils.data.sources`   which corpora a notebook uses: real when present, demo otherwise
"""
