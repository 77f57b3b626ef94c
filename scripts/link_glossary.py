"""Link the first use of each glossary term in each notebook to notebooks/GLOSSARY.md.

Usage::

    python scripts/link_glossary.py            # edit the notebooks' Markdown cells in place
    python scripts/link_glossary.py --check    # only report what would change (exit 1 if anything)

Only Markdown is touched (outputs and code stay as they are, so no re-execution is needed).
Headings, code, links, HTML tags and the solutions inside ``<details>`` are left alone. A term
is linked once per notebook, at its first use in a notebook listed for it, and a term already
linked in a notebook is not linked again, so running this twice changes nothing.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
GLOSSARY = NOTEBOOKS / "GLOSSARY.md"

ALL = None
# heading in GLOSSARY.md -> (pattern of its uses, notebooks whose first use is linked; None: all)
TERMS = {
    "Batch normalisation": (r"\bbatch normali[sz]ation\b", ALL),
    "Average precision": (r"\baverage precision\b", ALL),
    "Temperature scaling": (r"\btemperature scaling\b", ALL),
    "Speaker adaptation": (r"\bspeaker adaptation\b", ALL),
    "Cohen's kappa": (r"\bCohen's kappa\b", ALL),
    "Confidence interval": (r"\bconfidence intervals?\b", ALL),
    "Confusion matrix": (r"\bconfusion matri(?:x|ces)\b", ALL),
    "Early stopping": (r"\bearly stopping\b", ALL),
    "Feature vector": (r"\bfeature vectors?\b", ALL),
    "Learning rate": (r"\blearning rate\b", ALL),
    "Chance level": (r"\bchance level\b", ALL),
    "Sample rate": (r"\bsample rates?\b", ALL),
    "Macro F1": (r"\bmacro F1\b", ALL),
    "Speaker-independent": (r"\bspeaker-independent\b", ALL),
    "Out-of-fold": (r"\bout-of-fold\b", ALL),
    "Cross-corpus": (r"\bcross-corpus\b", ALL),
    "Cross-entropy": (r"\bcross-entropy\b", ALL),
    "False-alarm rate": (r"\bfalse-alarm rate\b", ALL),
    "Cross-fitting": (r"\bcross-fitt(?:ed|ing)\b", ALL),
    "ROC curve": (r"\bROC curve\b", ALL),
    "F1 score": (r"\bF1\b", ALL),
    "Z-score": (r"\bz-scor(?:e|es|ed|ing)\b", ALL),
    "Validation set": (r"\bvalidation (?:set|speakers)\b", {"04", "05"}),
    "Test set": (r"\btest (?:set|speakers)\b", {"04", "05"}),
    "Accuracy": (r"\baccuracy\b", {"05"}),
    "Adam": (r"\bAdam\b", ALL),
    "Augmentation": (r"\baugmentation\b", ALL),
    "Batch": (r"\bbatch(?:es)?\b", {"05"}),
    "Bundle": (r"\bbundle\b", ALL),
    "Calibration": (r"\bcalibrat(?:ion|ed)\b", ALL),
    "Chroma": (r"\bchroma\b", ALL),
    "Conv1D": (r"\bConv1Ds?\b", ALL),
    "Delta": (r"\bdeltas?\b", ALL),
    "Dropout": (r"\bdropout\b", ALL),
    "ECE": (r"\bECE\b", ALL),
    "Ensemble": (r"\bensembles?\b", ALL),
    "Epoch": (r"\bepochs?\b", ALL),
    "Frame": (r"\bframes?\b", {"03"}),
    "Leakage": (r"\bleakage\b", ALL),
    "Loss": (r"\bloss\b", {"05"}),
    "Mel": (r"\bmel\b", ALL),
    "MFCC": (r"\bMFCCs?\b", ALL),
    "Mixup": (r"\bmixup\b", ALL),
    "Overfitting": (r"\boverfit(?:ting|s)?\b", ALL),
    "Pooling": (r"\bpooling\b", ALL),
    "Precision": (r"\bprecision\b", {"07"}),
    "Recall": (r"\brecall\b", {"05", "07"}),
    "Scaler": (r"\bscaler\b", ALL),
    "Softmax": (r"\bsoftmax\b", ALL),
    "SNR": (r"\bSNRs?\b", ALL),
    "SpecAugment": (r"\bSpecAugment\b", ALL),
    "Spectrogram": (r"\bspectrograms?\b", ALL),
    "STFT": (r"\bSTFT\b", ALL),
    "Threshold": (r"\bthreshold\b", {"07"}),
    "Timeline": (r"\btimeline\b", {"06", "07"}),
    "UAR": (r"\bUAR\b", ALL),
}

_PROTECTED = re.compile(
    r"```.*?```"                 # fenced code
    r"|<details>.*?</details>"   # folded solutions
    r"|`[^`\n]*`"                # inline code
    r"|!?\[[^\]\n]*\]\([^)\n]*\)"  # links and images
    r"|<[^>\n]+>"                # HTML tags
    r"|https?://\S+"             # bare addresses
    r"|^#[^\n]*",                 # headings
    re.DOTALL | re.MULTILINE,
)


def slug(heading: str) -> str:
    """The anchor GitHub (and MyST with heading anchors) gives a heading.

    >>> slug("Cohen's kappa"), slug("Speaker-independent"), slug("Macro F1")
    ('cohens-kappa', 'speaker-independent', 'macro-f1')
    """
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def glossary_headings(path: Path = GLOSSARY) -> list:
    """The terms of the glossary (its ``###`` headings), in order."""
    return [line[4:].strip() for line in path.read_text(encoding="utf-8").splitlines() if line.startswith("### ")]


def _first_free_match(text: str, pattern: re.Pattern):
    protected = [m.span() for m in _PROTECTED.finditer(text)]
    for m in pattern.finditer(text):
        if not any(a <= m.start() < b or a < m.end() <= b for a, b in protected):
            return m
    return None


def link_notebook(nb, number: str) -> list:
    """Link the first free use of every term in ``nb``'s Markdown cells; return the terms linked."""
    linked = []
    markdown = [c for c in nb.cells if c.cell_type == "markdown"]
    for term, (pattern, where) in TERMS.items():
        if where is not None and number not in where:
            continue
        target = f"GLOSSARY.md#{slug(term)}"
        if any(f"]({target})" in c.source for c in markdown):
            continue
        regex = re.compile(pattern) if term in {"Adam", "ECE", "UAR", "STFT", "SNR", "MFCC", "Conv1D", "SpecAugment", "ROC curve", "F1 score"} else re.compile(pattern, re.IGNORECASE)
        for cell in markdown[1:]:  # the first cell is the title and objectives; terms are linked where they are taught
            m = _first_free_match(cell.source, regex)
            if m:
                cell.source = f"{cell.source[:m.start()]}[{m.group(0)}]({target}){cell.source[m.end():]}"
                linked.append(term)
                break
    return linked


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="report only; exit 1 if a link is missing")
    args = parser.parse_args(argv)
    headings = set(glossary_headings())
    unknown = set(TERMS) - headings
    if unknown:
        print(f"terms without a heading in {GLOSSARY.name}: {sorted(unknown)}", file=sys.stderr)
        return 2
    changed = False
    for path in sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        linked = link_notebook(nb, path.name[:2])
        if linked:
            changed = True
            print(f"{path.name}: {', '.join(linked)}")
            if not args.check:
                nbformat.write(nb, path)
    return 1 if (changed and args.check) else 0


if __name__ == "__main__":
    sys.exit(main())
