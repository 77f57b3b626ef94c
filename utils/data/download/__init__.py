"""Fetching and verifying the real RAVDESS and CREMA-D corpora, resumably and safely.

The course finds real corpora under the data folder (:func:`utils.core.paths.data_dir`), in the
layouts their publishers use::

    <dest>/ravdess/Actor_01/03-01-01-01-01-01-01.wav      (Zenodo zip layout, Actor_01 ... Actor_24)
    <dest>/cremad/AudioWAV/1001_DFA_ANG_XX.wav            (GitHub repository layout)
    <dest>/cremad/VideoDemographics.csv

This package puts them there.  From a terminal::

    python -m utils.data.download ravdess cremad             # both corpora into data/
    python -m utils.data.download ravdess --from-zip ~/Downloads/Audio_Speech_Actors_01-24.zip

From Python, import each function from the module that defines it::

    from utils.data.download.ravdess import download_ravdess, import_ravdess_zip
    from utils.data.download.cremad import download_cremad
    from utils.data.download.importing import import_folder

Modules, each using only those listed before it:

:mod:`~utils.data.download.common`
    Errors (:class:`DownloadError`, :class:`ChecksumError`, :class:`UnsafeArchiveError`), the
    :class:`DownloadResult` of a batch, temporary names and the ``.downloads`` staging folder.
:mod:`~utils.data.download.http`
    Sessions that retry transient errors (urllib3's ``Retry``), JSON and text documents, and
    transfers that resume with HTTP ``Range`` requests (:func:`download_resumable`).
:mod:`~utils.data.download.archive`
    Zip member safety checks and extraction of the RAVDESS ``Actor_XX/`` layout.
:mod:`~utils.data.download.ravdess`
    The Zenodo listing, :func:`download_ravdess` and :func:`import_ravdess_zip`.
:mod:`~utils.data.download.cremad`
    The GitHub tree listing, Git LFS pointers and :func:`download_cremad`.
:mod:`~utils.data.download.importing`
    :func:`import_folder`: a folder from another mirror into the course layout.
:mod:`~utils.data.download.cli`
    The command line (``python -m utils.data.download``, see :mod:`~utils.data.download.__main__`).

Safety rules shared by everything here: files are written under a temporary name and moved into
place only when complete and verified; nothing already on disk is replaced unless ``force=True``
(``--force``); file names are checked with :mod:`utils.data.corpora`, the same checks the corpus
scanner applies; every error names the file or URL and the problem.  Single-file functions raise
:class:`DownloadError`; batch functions return a :class:`DownloadResult` listing what was done,
what was already present and what failed, with reasons.

All URLs are parameters (module constants, function arguments, command-line options), so the
tests can point everything at a local server, and you can point it at a mirror.
"""
