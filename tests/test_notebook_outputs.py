"""What the committed notebooks show a learner: clean outputs, and citations that resolve."""

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
TEXTS = [ROOT / "README.md", ROOT / "data" / "README.md"]

ABSOLUTE_PATH = re.compile(r"(?<![\w.])/(?:tmp|work|home|root|Users|var|private|mnt)/")
ANSI = "\x1b["
CITED = re.compile(r"`([a-z][a-z-]*\d{4}[a-z0-9]+)`")
BIB_KEY = re.compile(r"^@\w+\{([^,\s]+),", re.M)


def output_texts(cell) -> list:
    """Every text a cell's outputs show (streams, plain text, HTML, error tracebacks)."""
    texts = []
    for output in cell.get("outputs", []):
        texts.append("".join(output.get("text", "")))
        for mime, value in output.get("data", {}).items():
            if mime.startswith("text/"):
                texts.append("".join(value) if isinstance(value, list) else str(value))
        texts.extend(output.get("traceback", []))
    return texts


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_stored_outputs_are_what_a_learner_sees(path):
    nb = json.loads(path.read_text())
    for i, cell in enumerate(nb["cells"]):
        where = f"{path.name} cell {i}"
        assert "execution" not in cell.get("metadata", {}), f"{where}: execution timestamps stored"
        for output in cell.get("outputs", []):
            assert output.get("name") != "stderr", f"{where}: stderr output stored: {''.join(output.get('text', ''))[:200]!r}"
            assert output.get("output_type") != "error", f"{where}: an error is stored"
        for text in output_texts(cell):
            assert ANSI not in text, f"{where}: terminal colour codes in the output"
            match = ABSOLUTE_PATH.search(text)
            assert match is None, f"{where}: machine-specific path in the output: {text[max(0, match.start() - 40):match.end() + 40]!r}"


def bib_keys() -> set:
    return set(BIB_KEY.findall((ROOT / "references.bib").read_text()))


def cited_keys() -> dict:
    """``{key: [where it is cited]}`` over the notebooks (all cells) and the READMEs."""
    found = {}
    for path in NOTEBOOKS:
        nb = json.loads(path.read_text())
        for cell in nb["cells"]:
            for key in CITED.findall("".join(cell["source"])):
                found.setdefault(key, []).append(path.name)
    for path in TEXTS:
        for key in CITED.findall(path.read_text()):
            found.setdefault(key, []).append(path.relative_to(ROOT).as_posix())
    return found


def test_every_cited_key_is_in_the_bibliography():
    missing = {k: v for k, v in cited_keys().items() if k not in bib_keys()}
    assert not missing, f"cited but not in references.bib: {missing}"


def test_every_reference_is_cited():
    uncited = sorted(bib_keys() - set(cited_keys()))
    assert not uncited, f"references.bib entries cited nowhere in the notebooks or READMEs: {uncited}"


def test_the_checks_can_fail():
    """The patterns find what they are meant to find."""
    assert ABSOLUTE_PATH.search("wrote /tmp/abc/x.csv") and not ABSOLUTE_PATH.search("figures/05_x.png")
    assert CITED.findall("mixup (Zhang et al. 2018, `zhang2018mixup`)") == ["zhang2018mixup"]
    assert "zhang2018mixup" in bib_keys()


def code_of(name: str) -> str:
    nb = json.loads((ROOT / "notebooks" / name).read_text())
    return "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")


def test_notebooks_show_the_code_that_is_the_lesson():
    """The Keras networks, the speaker split, the scaler and the name parser are written out."""
    training = code_of("05_training.ipynb")
    assert "layers.Conv1D(" in training and ".compile(" in training and ".fit(" in training
    assert "EarlyStopping(" in training and "ReduceLROnPlateau(" in training
    splitting = code_of("04_scaling_and_splitting.ipynb")
    assert "GroupShuffleSplit(" in splitting and "StratifiedGroupKFold(" in splitting and "StandardScaler()" in splitting
    organization = code_of("01_data_organization.ipynb")
    assert '.split("-")' in organization and '.split("_")' in organization
    noise = code_of("02_noise_augmentation.ipynb")
    assert "standard_normal(" in noise and "np.array_equal(" in noise
