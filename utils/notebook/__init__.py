"""Notebook support: listening without storing audio, figures, plots, running the series.

- :mod:`utils.notebook.display`  audio players that never store audio in the file, saving figures
- :mod:`utils.notebook.plots`    waveforms, spectrograms, counts
- :mod:`utils.notebook.series`   executes every notebook headless, in order (``python -m utils.notebook.series``)
"""
