"""Stage 5, using a trained model: the bundle on disk, predictions for clips, folders and recordings.

- :mod:`utils.predict.bundle`    a model with its feature configuration, scaler and labels, checked when loaded
- :mod:`utils.predict.clips`     one clip, or the files of folders
- :mod:`utils.predict.timeline`  emotion over time in a long recording, streamed
- :mod:`utils.predict.cli`       the command line, ``python -m utils.predict``
"""
