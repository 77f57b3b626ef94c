"""Stage 5, using a trained model: the bundle on disk, predictions for clips, folders and recordings.

- :mod:`utils.predict.bundle`    a model with its feature configuration, scaler and labels, checked when loaded
- :mod:`utils.predict.clips`     one clip, many clips (and the command line, ``python -m utils.predict``)
"""
