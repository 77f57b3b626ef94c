"""The workshop material: the setup check's helpers, the Binder link, the glossary and its links, the instructor guide."""

import importlib.util
import json
import re
from pathlib import Path

import pytest

from utils.notebook import binder, setup_check

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = ROOT / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb"))
GLOSSARY = NOTEBOOK_DIR / "GLOSSARY.md"
GUIDE = NOTEBOOK_DIR / "INSTRUCTORS.md"


def _linker():
    spec = importlib.util.spec_from_file_location("link_glossary", ROOT / "scripts" / "link_glossary.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ----------------------------------------------------------------------------------------------
# setup check


def test_pins_are_read_from_requirements(tmp_path):
    req = tmp_path / "requirements.txt"
    req.write_text('# comment\nfoo==1.2.3\nbar==4.0; sys_platform == "nonexistent"\nbaz>=2\nqux==0.1  # note\n')
    assert setup_check.pinned_requirements(req) == {"foo": "1.2.3", "qux": "0.1"}
    pins = setup_check.pinned_requirements()
    assert pins["keras"] and pins["librosa"] and ("tensorflow-cpu" in pins or "tensorflow" in pins)


def test_package_table_reports_missing_and_other_versions():
    installed = setup_check.package_table({"numpy": __import__("numpy").__version__})
    assert installed["ok"].all()
    table = setup_check.package_table({"numpy": "0.0.1", "no-such-package-xyz": "1.0"}).set_index("package")
    assert not table["ok"].any()
    assert table.loc["no-such-package-xyz", "installed"] == "missing"
    assert table.loc["numpy", "installed"] != "0.0.1"


def test_the_environment_here_matches_the_pins():
    table = setup_check.package_table()
    assert table["ok"].all(), table[~table["ok"]]
    assert setup_check.python_check()["supported"]


def test_expected_seconds_scale_with_the_task():
    ref = setup_check.REFERENCE
    same = setup_check.expected_seconds(ref["task_seconds"])
    assert same.to_dict() == pytest.approx(ref["notebook_seconds"])
    half = setup_check.expected_seconds(ref["task_seconds"] / 2)
    assert half.sum() == pytest.approx(sum(ref["notebook_seconds"].values()) / 2)
    with pytest.raises(ValueError, match="positive"):
        setup_check.expected_seconds(0)


def test_reference_covers_every_notebook():
    assert sorted(setup_check.REFERENCE["notebook_seconds"]) == [p.name[:2] for p in NOTEBOOKS]


def test_keras_check_runs_a_network():
    found = setup_check.keras_check()
    assert found["runs"] and found["backend"] == "tensorflow" and "CPU" in found["devices"]


@pytest.mark.slow
def test_speed_task_measures_seconds():
    seconds = setup_check.speed_task()
    assert 0 < seconds < 600


# ----------------------------------------------------------------------------------------------
# Binder link


@pytest.mark.parametrize(
    "remote, expected",
    [
        ("https://github.com/someone/ser-course.git", "gh/someone/ser-course/HEAD"),
        ("https://github.com/someone/ser-course", "gh/someone/ser-course/HEAD"),
        ("git@github.com:someone/ser-course.git", "gh/someone/ser-course/HEAD"),
        ("ssh://git@github.com/someone/ser-course.git", "gh/someone/ser-course/HEAD"),
        ("https://token@github.com/someone/ser-course.git", "gh/someone/ser-course/HEAD"),
        ("https://gitlab.com/group/sub/ser-course.git", "gl/group%2Fsub%2Fser-course/HEAD"),
    ],
)
def test_binder_url_from_remote(remote, expected):
    url = binder.binder_url(remote)
    assert url == f"https://mybinder.org/v2/{expected}?urlpath=lab/tree/notebooks/00_overview_and_setup.ipynb"
    assert (NOTEBOOK_DIR / binder.FIRST_NOTEBOOK).is_file()


@pytest.mark.parametrize("remote", ["/work/main", "https://example.org/x/y.git", "https://github.com/only-owner", "git@github.com:a/b/c.git"])
def test_binder_url_refuses_what_binder_cannot_build_from_it(remote):
    with pytest.raises(ValueError, match="GitHub"):
        binder.binder_url(remote)


def test_binder_command(capsys):
    assert binder.main(["--remote-url", "git@github.com:a/b.git", "--ref", "main", "--notebook", "07_detecting_anger.ipynb"]) == 0
    assert capsys.readouterr().out.strip() == "https://mybinder.org/v2/gh/a/b/main?urlpath=lab/tree/notebooks/07_detecting_anger.ipynb"
    assert binder.main(["--remote-url", "not a url"]) == 2
    assert "error:" in capsys.readouterr().err


# ----------------------------------------------------------------------------------------------
# glossary


def glossary_links() -> dict:
    """``{anchor: [notebooks linking to it]}`` over the notebooks' Markdown."""
    found = {}
    for path in NOTEBOOKS:
        nb = json.loads(path.read_text())
        for cell in nb["cells"]:
            if cell["cell_type"] == "markdown":
                for anchor in re.findall(r"\]\(GLOSSARY\.md#([^)\s]+)\)", "".join(cell["source"])):
                    found.setdefault(anchor, []).append(path.name)
    return found


def test_every_glossary_link_resolves():
    linker = _linker()
    anchors = {linker.slug(h) for h in linker.glossary_headings()}
    links = glossary_links()
    assert links, "the notebooks link the glossary"
    broken = {a: where for a, where in links.items() if a not in anchors}
    assert not broken, f"links to no heading of GLOSSARY.md: {broken}"
    inner = set(re.findall(r"\]\(#([^)\s]+)\)", GLOSSARY.read_text()))
    assert inner and inner <= anchors, f"glossary cross-references without a heading: {inner - anchors}"


def test_every_glossary_term_is_linked_from_a_notebook():
    linker = _linker()
    links = glossary_links()
    unlinked = [h for h in linker.glossary_headings() if linker.slug(h) not in links and h in linker.TERMS]
    assert not unlinked, f"glossary terms that no notebook links: {unlinked}"
    not_in_linker = [h for h in linker.glossary_headings() if h not in linker.TERMS and linker.slug(h) not in links]
    assert not not_in_linker, f"glossary terms neither linked nor known to scripts/link_glossary.py: {not_in_linker}"


def test_glossary_is_sorted_and_the_linker_has_nothing_left_to_do(capsys):
    linker = _linker()
    headings = linker.glossary_headings()
    assert headings == sorted(headings, key=str.lower)
    assert linker.main(["--check"]) == 0, capsys.readouterr().out


def test_the_linker_links_first_free_uses_only():
    linker = _linker()
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# title with SNR"),
        nbformat.v4.new_markdown_cell("## SNR heading\nThe `SNR` in code, a [SNR link](x.md), then SNR here and SNR again."),
    ]
    assert "SNR" in linker.link_notebook(nb, "02")
    assert nb.cells[1].source == "## SNR heading\nThe `SNR` in code, a [SNR link](x.md), then [SNR](GLOSSARY.md#snr) here and SNR again."
    assert "SNR" not in linker.link_notebook(nb, "02"), "a second run changes nothing"


# ----------------------------------------------------------------------------------------------
# instructor guide and README doors


def test_instructor_guide_covers_the_day_and_is_linked():
    guide = GUIDE.read_text()
    for path in NOTEBOOKS:
        assert path.name in guide, f"the guide does not mention {path.name}"
    for needle in ["schedule", "half-day", "Binder", "checklist", "student", "live-code"]:
        assert needle.lower() in guide.lower(), f"the guide lacks {needle!r}"
    readme = (ROOT / "README.md").read_text()
    assert "notebooks/INSTRUCTORS.md" in readme and "notebooks/GLOSSARY.md" in readme
    assert "python -m utils.notebook.binder" in readme


def test_guide_execution_times_are_the_reference_times():
    """The guide's table of measured execution times states the setup check's reference figures."""
    guide = GUIDE.read_text()
    rows = dict(re.findall(r"^\| (\d\d) \|[^|]*\| (\d[\d,]*) s \|", guide, re.M))
    assert rows, "the guide has a table of execution seconds"
    measured = {k: int(v.replace(",", "")) for k, v in rows.items()}
    assert measured == {k: round(v) for k, v in setup_check.REFERENCE["notebook_seconds"].items()}
