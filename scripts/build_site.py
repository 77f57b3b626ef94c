"""Build the course as a static website: README, the notebooks with their stored outputs, the guide and the glossary.

Usage::

    python scripts/build_site.py                       # -> build/site/_build/html/index.html
    python scripts/build_site.py --remote-url https://github.com/OWNER/REPO
    python -m http.server -d build/site/_build/html 8000 --bind 127.0.0.1   # preview at http://127.0.0.1:8000

Jupyter Book 1 (Sphinx; pinned in ``requirements-site.txt``) runs from its own environment,
``.venv-site/``, created on the first build, so that Sphinx's dependencies never move the
course's pins.  The notebooks are not executed: the pages show the outputs stored in them.  Each
notebook page gets a Binder launch button when the repository's address is known (``--remote-url``,
or the Git remote ``origin``; GitHub and GitLab).  The table of contents is
``scripts/site/_toc.yml``; the configuration is written to ``build/site/_config.yml``.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from utils.notebook.binder import _REMOTE, origin_url  # noqa: E402

VENV = ROOT / ".venv-site"
OUT = ROOT / "build" / "site"
TOC = ROOT / "scripts" / "site" / "_toc.yml"


def _environment() -> Path:
    """The site's own environment, created and filled from requirements-site.txt when missing or stale."""
    python = VENV / "bin" / "python"
    stamp = VENV / ".installed"
    wanted = (ROOT / "requirements-site.txt").read_text(encoding="utf-8")
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    if not stamp.exists() or stamp.read_text(encoding="utf-8") != wanted:
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r", str(ROOT / "requirements-site.txt")], check=True)
        stamp.write_text(wanted, encoding="utf-8")
    return VENV / "bin" / "jupyter-book"


def _repository(remote: str | None) -> str | None:
    """The repository's web address (https://github.com/OWNER/REPO) from a Git address, or None."""
    if remote is None:
        try:
            remote = origin_url()
        except ValueError:
            return None
    m = _REMOTE.match(remote.strip())
    return f"https://{m['host']}/{m['path']}" if m else None


def _config(repository: str | None, branch: str) -> str:
    lines = [
        "# Written by scripts/build_site.py; edit that script, not this file.",
        "title: Speech emotion recognition, end to end",
        "author: the course's authors",
        "only_build_toc_files: true",
        "exclude_patterns: [.venv, .venv-site, build, data, models, benchmarks, tests, utils, binder, '**/.ipynb_checkpoints']",
        "execute:",
        '  execute_notebooks: "off"',
        "sphinx:",
        "  config:",
        "    html_show_copyright: false",
        "    suppress_warnings: [myst.header, myst.xref_missing]",
    ]
    if repository:
        lines += ["repository:", f"  url: {repository}", f"  branch: {branch}",
                  "launch_buttons:", "  binderhub_url: https://mybinder.org", "  notebook_interface: jupyterlab",
                  "html:", "  use_repository_button: true"]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--remote-url", default=None, help="the repository's address, for the Binder buttons (default: the Git remote origin)")
    parser.add_argument("--branch", default="main", help="branch that Binder builds (default main)")
    args = parser.parse_args(argv)
    jupyter_book = _environment()
    repository = _repository(args.remote_url)
    OUT.mkdir(parents=True, exist_ok=True)
    config = OUT / "_config.yml"
    config.write_text(_config(repository, args.branch), encoding="utf-8")
    done = subprocess.run([str(jupyter_book), "build", str(ROOT), "--config", str(config), "--toc", str(TOC), "--path-output", str(OUT), "--quiet"])
    if done.returncode != 0:
        return done.returncode
    index = OUT / "_build" / "html" / "index.html"
    print(f"site: {index.relative_to(ROOT)}" + ("" if repository else " (no Binder buttons: no GitHub or GitLab remote; pass --remote-url)"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
