"""The Binder launch link of this repository, built from its Git remote.

Usage::

    python -m utils.notebook.binder            # the link for the remote "origin", opening notebook 00
    python -m utils.notebook.binder --ref main --notebook 07_detecting_anger.ipynb

mybinder.org builds a repository from its address: ``https://mybinder.org/v2/gh/OWNER/REPO/REF``
for GitHub, ``/v2/gl/`` for GitLab, and ``urlpath=lab/tree/...`` opens a file in JupyterLab.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from urllib.parse import quote

from ..core.paths import PROJECT_ROOT

FIRST_NOTEBOOK = "00_overview_and_setup.ipynb"

_REMOTE = re.compile(
    r"^(?:https?://(?:[^@/]+@)?|ssh://git@|git@)(?P<host>github\.com|gitlab\.com)[:/](?P<path>[^\s]+?)(?:\.git)?/?$"
)
_PROVIDER = {"github.com": "gh", "gitlab.com": "gl"}


def binder_url(remote: str, *, ref: str = "HEAD", notebook: str = FIRST_NOTEBOOK) -> str:
    """The mybinder.org link that builds ``remote`` at ``ref`` and opens ``notebooks/<notebook>`` in JupyterLab.

    Parameters
    ----------
    remote : str
        The repository's address as Git knows it (HTTPS or SSH), on GitHub or GitLab.
    ref : str
        Branch, tag or commit (``HEAD``: the default branch).
    notebook : str
        File in ``notebooks/`` to open.

    Raises
    ------
    ValueError
        The address is not a GitHub or GitLab repository.

    Examples
    --------
    >>> binder_url("git@github.com:someone/ser-course.git")
    'https://mybinder.org/v2/gh/someone/ser-course/HEAD?urlpath=lab/tree/notebooks/00_overview_and_setup.ipynb'
    >>> binder_url("https://gitlab.com/group/sub/ser-course", ref="v1.0", notebook="07_detecting_anger.ipynb")
    'https://mybinder.org/v2/gl/group%2Fsub%2Fser-course/v1.0?urlpath=lab/tree/notebooks/07_detecting_anger.ipynb'
    """
    m = _REMOTE.match(remote.strip())
    if not m:
        raise ValueError(f"{remote!r} is not a GitHub or GitLab repository address; mybinder.org also builds other hosts, see its documentation")
    provider, path = _PROVIDER[m["host"]], m["path"]
    if provider == "gh":
        if path.count("/") != 1:
            raise ValueError(f"{remote!r}: a GitHub address names OWNER/REPO")
        repo = path
    else:
        repo = quote(path, safe="")  # GitLab: the whole project path, encoded as one part
    return f"https://mybinder.org/v2/{provider}/{repo}/{quote(ref, safe='')}?urlpath=lab/tree/notebooks/{quote(notebook)}"


def origin_url(remote: str = "origin") -> str:
    """The address of a Git remote of this repository (``git remote get-url``)."""
    done = subprocess.run(["git", "remote", "get-url", remote], cwd=PROJECT_ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        raise ValueError(f"this repository has no Git remote {remote!r} ({done.stderr.strip() or 'git failed'}); pass the address with --remote-url")
    return done.stdout.strip()


def main(argv=None) -> int:
    """Command-line entry point; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m utils.notebook.binder", description="Print the Binder launch link of this repository.")
    parser.add_argument("--remote", default="origin", help="Git remote to read the address from (default: origin)")
    parser.add_argument("--remote-url", help="the repository's address, instead of reading a remote")
    parser.add_argument("--ref", default="HEAD", help="branch, tag or commit (default: HEAD, the default branch)")
    parser.add_argument("--notebook", default=FIRST_NOTEBOOK, help=f"notebook to open (default: {FIRST_NOTEBOOK})")
    args = parser.parse_args(argv)
    try:
        print(binder_url(args.remote_url or origin_url(args.remote), ref=args.ref, notebook=args.notebook))
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
