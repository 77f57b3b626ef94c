"""Student copies of the notebooks: solutions removed, outputs cleared, from the same sources.

Every exercise of the course is a paragraph "**Exercise N.** ..." of a Markdown cell, followed by
its solution in a folded ``<details><summary>Solution</summary> ... </details>`` block.
:func:`student_copy` drops those blocks, puts after the cell one code cell
``# your solution to Exercise N`` per removed solution, and clears every output and execution count.  The code cells of the lesson are left exactly as they are, so a
student copy runs as the tested notebook does.

Usage::

    python -m utils.notebook.student --out student/         # every notebook of notebooks/
    python -m utils.notebook.student --out student/ --only 05

Examples
--------
>>> import nbformat
>>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(
...     "**Exercise 1.** Why?\\n\\n<details><summary>Solution</summary>\\n\\nBecause.\\n</details>")])
>>> copy = student_copy(nb)
>>> copy.cells[0].source, copy.cells[1].cell_type, copy.cells[1].source
('**Exercise 1.** Why?', 'code', '# your solution to Exercise 1')
"""

from __future__ import annotations

import argparse
import copy as _copy
import re
import shutil
import sys
from pathlib import Path

from ..core.paths import PROJECT_ROOT

SOLUTION = re.compile(r"\s*<details>\s*<summary>\s*Solution\s*</summary>.*?</details>", re.DOTALL | re.IGNORECASE)
"""A folded solution block of an exercise cell."""

PLACEHOLDER = "# your solution to Exercise {}"
"""Source of the code cell put in place of each removed solution (the exercise's number)."""

EXERCISE = re.compile(r"\*\*Exercise (\d+)\.?\*\*")
"""The start of an exercise in a Markdown cell."""


def student_copy(nb):
    """A copy of notebook ``nb`` (nbformat) without solutions or outputs; ``nb`` is not changed."""
    import nbformat

    out = _copy.deepcopy(nb)
    cells = []
    for cell in out.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
            cell.metadata.pop("execution", None)
            cells.append(cell)
            continue
        numbers = [_number_before(cell.source, m.start()) for m in SOLUTION.finditer(cell.source)]
        cell.source = SOLUTION.sub("", cell.source).rstrip()
        cells.append(cell)
        cells += [nbformat.v4.new_code_cell(PLACEHOLDER.format(n)) for n in numbers]
    out.cells = cells
    out.metadata.pop("widgets", None)
    return out


def _number_before(text: str, position: int) -> str:
    """The number of the last exercise started before ``position`` ("?" if none)."""
    found = EXERCISE.findall(text[:position])
    return found[-1] if found else "?"


def write_student_copies(out_dir, *, only=None, source_dir=None) -> list:
    """Write the student copy of every notebook of ``source_dir`` (default ``notebooks/``) to ``out_dir``.

    The Markdown files beside the notebooks (the glossary and the instructor guide, which the
    notebooks link to) are copied as they are.  Returns the written paths.  ``only``: notebook
    numbers (``["05"]``) to copy, default all.
    """
    import nbformat

    source_dir = Path(source_dir) if source_dir else PROJECT_ROOT / "notebooks"
    out_dir = Path(out_dir)
    if out_dir.resolve() == source_dir.resolve():
        raise ValueError(f"{out_dir}: the student copies must not overwrite the notebooks they are made from")
    paths = sorted(source_dir.glob("[0-9][0-9]_*.ipynb"))
    if only:
        paths = [p for p in paths if p.name[:2] in set(only)]
    if not paths:
        raise FileNotFoundError(f"no notebooks to copy in {source_dir}" + (f" among {sorted(only)}" if only else ""))
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for path in paths:
        target = out_dir / path.name
        nbformat.write(student_copy(nbformat.read(path, as_version=4)), target)
        written.append(target)
    for guide in sorted(source_dir.glob("*.md")):  # the glossary and guide the notebooks link to
        shutil.copyfile(guide, out_dir / guide.name)
        written.append(out_dir / guide.name)
    return written


def main(argv=None) -> int:
    """Command-line entry point; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m utils.notebook.student", description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="folder for the student copies (e.g. student/)")
    parser.add_argument("--only", nargs="+", metavar="NN", help="only these notebook numbers, e.g. --only 02 05")
    args = parser.parse_args(argv)
    try:
        written = write_student_copies(args.out, only=args.only)
    except (ValueError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for path in written:
        print(f"wrote {path}")
    print("The copies read their data from the course's data/ folder: put the folder in the repository (e.g. student/ at its root) before opening them.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
