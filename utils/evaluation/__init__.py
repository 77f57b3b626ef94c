"""Stage 4, evaluation: figures beside their chance levels, the leakage experiment, the benchmark.

- :mod:`utils.evaluation.metrics`    accuracy, macro F1, UAR, per class and per group, with chance levels
- :mod:`utils.evaluation.leakage`    one model, three ways of splitting: what leaks invent
- :mod:`utils.evaluation.benchmark`  the six-fold unseen-speaker benchmark of the recipes
- :mod:`utils.evaluation.crosscorpus`  trained on one corpus, tested on another (e.g. RAVDESS -> EmoDB)
"""
