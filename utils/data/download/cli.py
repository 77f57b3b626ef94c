"""The command ``python -m utils.data.download``: argument parser and :func:`main`.

Exit status: 0 when everything asked for is present and verified, 1 if anything failed, 2 for a
usage error, 130 when interrupted (Ctrl-C).  Warnings and retry notes go to stderr above the
progress bars (:func:`tqdm.contrib.logging.logging_redirect_tqdm`); the summary goes to stdout.
"""

from __future__ import annotations

import argparse
import logging
import re
import sys
import textwrap
from contextlib import contextmanager

from tqdm.auto import tqdm
from tqdm.contrib.logging import logging_redirect_tqdm

from ..corpora import CORPORA, DEMOGRAPHICS_FILE
from .common import STAGING_DIR
from .cremad import CREMAD_MEDIA, CREMAD_RAW, CREMAD_TREE, WORKERS, download_cremad
from .http import BACKOFF, RETRIES, TIMEOUT
from .importing import import_folder
from .ravdess import RAVDESS_SONG, RAVDESS_SPEECH, ZENODO_API, download_ravdess, import_ravdess_zip

log = logging.getLogger(__package__)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``python -m utils.data.download``."""
    parser = argparse.ArgumentParser(
        prog="python -m utils.data.download",
        description=textwrap.fill(
            "Download the real RAVDESS and/or CREMA-D corpora (or import a copy you already have) into "
            "the course's data folder, verifying every file against its published checksum. "
            "Interrupted downloads resume when you run the same command again; files already present "
            "and verified are not downloaded again; existing files are never overwritten without --force.",
            width=88),
        epilog=(
            "examples:\n"
            "  python -m utils.data.download ravdess                 # RAVDESS speech, ~208 MB\n"
            "  python -m utils.data.download ravdess cremad --dest data/\n"
            "  python -m utils.data.download ravdess --from-zip ~/Downloads/Audio_Speech_Actors_01-24.zip\n"
            "  python -m utils.data.download cremad --from-folder /media/usb/CREMA-D\n\n"
            "Exit status: 0 when everything asked for is present and verified, 1 if anything failed, "
            "2 for a usage error. See data/README.md for sizes, licences and citations."),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("corpora", nargs="+", choices=sorted(CORPORA), metavar="CORPUS",
                        help="which corpora: 'ravdess' (Zenodo, ~208 MB zip) and/or 'cremad' (GitHub "
                             "Git LFS, 7,442 WAV files, ~600 MB)")
    parser.add_argument("--dest", metavar="DIR", default=None,
                        help="data folder to fill; the corpora go to DIR/ravdess and DIR/cremad "
                             "(default: the course's data/ folder, or $SER_DATA_DIR)")
    parser.add_argument("--force", action="store_true",
                        help="download or import again and replace files already present "
                             "(without it, existing files are never overwritten)")
    parser.add_argument("--no-progress", action="store_true", help="do not show progress bars")

    what = parser.add_argument_group("RAVDESS")
    what.add_argument("--song", action="store_true",
                      help=f"also download the song recordings ({RAVDESS_SONG}, 1,012 clips, another ~200 MB)")
    what.add_argument("--keep-archive", action="store_true",
                      help=f"keep the verified zip in DIR/{STAGING_DIR}/ after extracting it "
                           "(default: delete it to save disk space)")

    local = parser.add_argument_group("importing a copy you already have (instead of downloading)")
    local.add_argument("--from-zip", metavar="ZIP",
                       help=f"extract a RAVDESS zip already downloaded (e.g. {RAVDESS_SPEECH}); it is "
                            "checked against --md5, else the md5 published on Zenodo, else a warning is printed")
    local.add_argument("--md5", metavar="HEX", help="expected md5 of the --from-zip archive")
    local.add_argument("--from-folder", metavar="DIR",
                       help="copy the audio files of a folder from another mirror (any layout) into the "
                            "course layout, checking their names; give exactly one corpus")
    local.add_argument("--link", action="store_true",
                       help="with --from-folder: hard-link instead of copying where possible (saves space)")

    crema = parser.add_argument_group("CREMA-D")
    crema.add_argument("--names", metavar="FILE",
                       help="file with the CREMA-D WAV names to fetch, one per line (default: all, listed "
                            "with the GitHub API)")
    crema.add_argument("--workers", type=int, default=WORKERS, metavar="N",
                       help=f"parallel downloads (default: {WORKERS})")

    net = parser.add_argument_group("network")
    net.add_argument("--retries", type=int, default=RETRIES, metavar="N",
                     help=f"extra attempts after a transient error (connection error, HTTP 429/5xx, transfer "
                          f"cut short): the first at once, the next after {BACKOFF:g} s, then twice as long "
                          f"each time, or as long as the server asks with Retry-After (default: {RETRIES})")
    net.add_argument("--timeout", type=float, default=TIMEOUT, metavar="SECONDS",
                     help=f"seconds to wait for a server to connect or send data (default: {TIMEOUT:g})")

    urls = parser.add_argument_group("sources (for mirrors and tests)")
    urls.add_argument("--zenodo-api", default=ZENODO_API, metavar="URL",
                      help=f"RAVDESS record metadata (default: {ZENODO_API})")
    urls.add_argument("--cremad-tree", default=CREMAD_TREE, metavar="URL",
                      help=f"GitHub trees API listing of CREMA-D (default: {CREMAD_TREE})")
    urls.add_argument("--cremad-raw", default=CREMAD_RAW, metavar="URL",
                      help=f"base URL of the raw files: LFS pointers and {DEMOGRAPHICS_FILE} "
                           f"(default: {CREMAD_RAW})")
    urls.add_argument("--cremad-media", default=CREMAD_MEDIA, metavar="URL",
                      help=f"base URL of the Git LFS audio (default: {CREMAD_MEDIA})")
    return parser


def _check_args(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Reject option combinations that make no sense (exit status 2)."""
    args.corpora = list(dict.fromkeys(args.corpora))
    if args.from_zip and args.from_folder:
        parser.error("use either --from-zip or --from-folder, not both")
    if args.from_zip and args.corpora != ["ravdess"]:
        parser.error("--from-zip imports a RAVDESS zip: give only the corpus 'ravdess'")
    if args.from_folder and len(args.corpora) != 1:
        parser.error("--from-folder imports one corpus: give either 'ravdess' or 'cremad'")
    if args.md5 and not args.from_zip:
        parser.error("--md5 checks the archive given with --from-zip")
    if args.md5 and not re.fullmatch(r"[0-9a-fA-F]{32}", args.md5):
        parser.error(f"--md5 {args.md5!r}: expected 32 hexadecimal digits")
    if args.song and (args.from_zip or args.from_folder):
        parser.error("--song downloads from Zenodo; to import the song zip, pass it to --from-zip")
    if args.link and not args.from_folder:
        parser.error("--link applies to --from-folder")
    if args.names and "cremad" not in args.corpora:
        parser.error("--names applies to the corpus 'cremad'")
    if args.workers < 1 or args.retries < 0 or args.timeout <= 0:
        parser.error("--workers must be >= 1, --retries >= 0 and --timeout > 0")


def _run(args: argparse.Namespace) -> list:
    """Do what the command line asks; return one :class:`~.common.DownloadResult` per corpus."""
    net = dict(timeout=args.timeout, retries=args.retries, progress=not args.no_progress)
    if args.from_zip:
        return [import_ravdess_zip(args.from_zip, args.dest, md5=args.md5, force=args.force,
                                   zenodo_api=args.zenodo_api, progress=not args.no_progress)]
    if args.from_folder:
        return [import_folder(args.corpora[0], args.from_folder, args.dest, force=args.force, link=args.link,
                              progress=not args.no_progress)]
    results = []
    for corpus in args.corpora:
        print(f"{CORPORA[corpus]}: checking what is needed ...", file=sys.stderr, flush=True)
        if corpus == "ravdess":
            results.append(download_ravdess(args.dest, song=args.song, force=args.force,
                                            keep_archive=args.keep_archive, zenodo_api=args.zenodo_api, **net))
        else:
            results.append(download_cremad(args.dest, names_file=args.names, force=args.force,
                                           workers=args.workers, raw_url=args.cremad_raw,
                                           media_url=args.cremad_media, tree_url=args.cremad_tree, **net))
    return results


@contextmanager
def _console_logging():
    """Show the package's warnings and progress notes on stderr, above the progress bars."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
    level = log.level
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    try:
        with logging_redirect_tqdm([log], tqdm_class=tqdm):
            yield
    finally:
        log.removeHandler(handler)
        log.setLevel(level)


def main(argv=None) -> int:
    """Entry point of ``python -m utils.data.download``; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    _check_args(parser, args)
    try:
        with _console_logging():
            results = _run(args)
    except KeyboardInterrupt:
        print("\ninterrupted: run the same command again to resume; verified files are kept", file=sys.stderr)
        return 130
    print()
    for result in results:
        print(result.summary())
    failed = sum(len(r.failed) for r in results)
    if failed:
        print(f"\n{failed:,} item(s) failed; see the reasons above.")
        return 1
    return 0
