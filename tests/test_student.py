"""Student copies (utils.notebook.student): no solution survives, the lesson's code is untouched, a copy runs."""

import nbformat
import pytest

from utils.core.paths import PROJECT_ROOT
from utils.notebook.student import PLACEHOLDER, main, student_copy, write_student_copies

NOTEBOOKS = sorted((PROJECT_ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name[:2])
def test_no_solution_survives_and_the_code_is_untouched(path):
    original = nbformat.read(path, as_version=4)
    copy = student_copy(original)
    text = "\n".join(c.source for c in copy.cells)
    assert "<details>" not in text and "Solution</summary>" not in text
    n_solutions = sum(c.source.count("<summary>Solution</summary>") for c in original.cells if c.cell_type == "markdown")
    assert n_solutions >= 1, "every notebook has exercises with solutions"
    placeholders = [c.source for c in copy.cells if c.cell_type == "code" and c.source.startswith(PLACEHOLDER.format(""))]
    assert placeholders == [PLACEHOLDER.format(n) for n in range(1, n_solutions + 1)], "one numbered cell per solution, in order"
    lesson = [c.source for c in copy.cells if c.cell_type == "code" and c.source not in placeholders]
    assert lesson == [c.source for c in original.cells if c.cell_type == "code"], "the lesson's code cells are kept exactly"
    assert all(not c.outputs and c.execution_count is None for c in copy.cells if c.cell_type == "code")
    assert original.cells[0].source == nbformat.read(path, as_version=4).cells[0].source   # the original is not changed


def test_the_command_writes_copies_and_refuses_to_overwrite_the_sources(tmp_path, capsys):
    assert main(["--out", str(tmp_path / "student"), "--only", "01", "02"]) == 0
    assert sorted(p.name[:2] for p in (tmp_path / "student").glob("*.ipynb")) == ["01", "02"]
    assert (tmp_path / "student" / "GLOSSARY.md").read_text() == (PROJECT_ROOT / "notebooks" / "GLOSSARY.md").read_text(), "the glossary the notebooks link to"
    assert main(["--out", str(PROJECT_ROOT / "notebooks")]) == 2
    assert "must not overwrite" in capsys.readouterr().err


@pytest.mark.slow
def test_student_copies_run_top_to_bottom_on_the_demo_corpus(tmp_path, monkeypatch):
    """Notebooks 01 and 02 as students get them, in order, on the demo corpus, with a data folder of their own."""
    from nbclient import NotebookClient

    from utils.core.paths import demo_dir
    from utils.data.demo.corpus import ensure_demo_corpus

    ensure_demo_corpus(demo_dir())                     # the course's demo corpus, generated if this is a fresh clone
    data = tmp_path / "data"
    data.mkdir()
    (data / "demo").symlink_to(demo_dir(), target_is_directory=True)
    monkeypatch.setenv("SER_DATA_DIR", str(data))      # derived files go to tmp_path, not to the course's data/
    monkeypatch.setenv("SER_DATA_SOURCE", "demo")
    folder = tmp_path / "student"
    for path in [p for p in write_student_copies(folder, only=["01", "02"]) if p.suffix == ".ipynb"]:
        nb = nbformat.read(path, as_version=4)
        NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(folder)}},
                       extra_arguments=["--IPKernelApp.log_level=ERROR"]).execute()
        assert all(o.get("output_type") != "error" for c in nb.cells if c.cell_type == "code" for o in c.outputs), path.name
    assert (data / "derived" / "metadata.csv").is_file()   # notebook 01's table, read by 02
