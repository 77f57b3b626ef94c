"""Stage 3, learning: labels, honest splits, scaling, the Keras networks, training and the recipes.

- :mod:`utils.learn.labels`    emotion names to class indices, in the course's fixed order
- :mod:`utils.learn.splits`    speaker-independent splits and folds (and the leaky random split)
- :mod:`utils.learn.scaling`   the scaler fitted on training rows only; per-speaker normalisation
- :mod:`utils.learn.networks`  the Conv1D models and the dense model on statistics (Keras 3)
- :mod:`utils.learn.training`  reproducible training with early stopping, mixup, fixed schedules
- :mod:`utils.learn.recipes`   the seed recipe and the course recipe as frozen objects, and their training
"""
