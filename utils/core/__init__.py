"""The bottom layer: facts about the repository and the machine, no knowledge of audio or emotions.

- :mod:`utils.core.paths`     where the repository, the data, the derived files and the figures live
- :mod:`utils.core.files`     the one file-hashing helper
- :mod:`utils.core.arrays`    arrays kept in memory, or on disk when too large for it
- :mod:`utils.core.parallel`  the one policy for how many processes and threads to use
"""
