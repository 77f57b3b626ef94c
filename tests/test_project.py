"""The project's promises about itself: environments agree, CI runs README's command, notebooks are clean."""

import json
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def requirement_lines(text: str) -> list[str]:
    """Requirement lines of a requirements file, without comments and blank lines."""
    return [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]


def environment_pip_pins(path: Path) -> list[str]:
    """The pip section of a conda environment file."""
    env = yaml.safe_load(path.read_text())
    pip_sections = [d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d]
    assert len(pip_sections) == 1, f"{path}: expected one pip section"
    return [str(p).strip() for p in pip_sections[0]]


def test_environment_files_agree_with_requirements():
    pins = requirement_lines((ROOT / "requirements.txt").read_text())
    assert all("==" in p for p in pins), "every requirement is pinned"
    for path in [ROOT / "environment.yml", ROOT / "binder" / "environment.yml"]:
        env = yaml.safe_load(path.read_text())
        assert env["channels"] == ["conda-forge"]
        assert "python=3.11" in env["dependencies"]
        assert environment_pip_pins(path) == pins, f"{path.relative_to(ROOT)} differs from requirements.txt"


def test_the_optional_baselines_pin_agrees_with_the_extra():
    import tomllib

    pins = requirement_lines((ROOT / "requirements-baselines.txt").read_text())
    extra = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]["baselines"]
    assert pins == extra and all("==" in p for p in pins)
    from utils.evaluation.baselines import OPENSMILE_VERSION

    assert pins == [f"opensmile=={OPENSMILE_VERSION}"]
    assert "requirements-baselines.txt" in (ROOT / "scripts" / "setup.sh").read_text()


def test_the_optional_cluster_pins_agree_with_the_extra():
    import tomllib

    pins = requirement_lines((ROOT / "requirements-cluster.txt").read_text())
    extra = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]["cluster"]
    assert pins == extra and [p.split("==")[0] for p in pins] == ["dask", "distributed"]
    assert "requirements-cluster.txt" in (ROOT / "scripts" / "setup.sh").read_text()


def test_binder_post_build_installs_helpers_and_stops_on_error():
    lines = (ROOT / "binder" / "postBuild").read_text().splitlines()
    body = [line for line in lines if line.strip() and not line.startswith("#!")]
    assert body[0].strip() == "set -e"
    assert any("pip install" in line and "-e ." in line for line in body)


def readme_commands() -> list[str]:
    """The shell commands in README.md's first code block (the two commands it leads with)."""
    text = (ROOT / "README.md").read_text()
    block = re.search(r"```(?:bash|sh)?\n(.*?)```", text, re.S)
    assert block, "README.md has no code block"
    return [line.strip() for line in block.group(1).splitlines() if line.strip() and not line.strip().startswith("#")]


def test_ci_runs_the_readme_test_command():
    commands = readme_commands()
    assert len(commands) == 2, commands
    ci = (ROOT / ".ci" / "run").read_text()
    assert commands[1] in ci
    for command in commands:
        script = ROOT / command.split()[-1]
        assert script.is_file(), f"README command refers to a missing script: {command}"


def number_of(path) -> int:
    return int(path.name[:2])


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_structure(path):
    nb = json.loads(path.read_text())
    markdown = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
    first = "".join(nb["cells"][0]["source"])
    assert re.search(r"^# \d\d · ", first, re.M), "title in the first cell"
    for needle in ["Learning objectives", "Prerequisites", "Estimated time", "Key points", "<details><summary>Solution</summary>"]:
        assert needle in markdown, f"{path.name} lacks {needle!r}"
    if number_of(path) == 0:  # the setup check: its section 3 says which data are used, among the other checks
        assert "get_data_source" in "".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
    else:
        assert "get_data_source" in "".join(nb["cells"][1]["source"]) + "".join(nb["cells"][2]["source"]), "an early cell says which data are used"
    number = number_of(path)
    later = [p for p in NOTEBOOKS if int(p.name[:2]) > number]
    if later:
        assert later[0].name in markdown, f"{path.name} links to the next notebook"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_stores_no_audio(path):
    text = path.read_text()
    nb = json.loads(text)
    assert "widgets" not in nb.get("metadata", {}), "widget state would embed audio"
    for cell in nb["cells"]:
        for output in cell.get("outputs", []):
            for mime in output.get("data", {}):
                assert not mime.startswith("audio/"), f"{path.name}: audio output stored"
    assert "data:audio" not in text
    assert path.stat().st_size < 3_000_000


def test_the_website_gets_binder_buttons_from_the_repository_address():
    import importlib.util

    spec = importlib.util.spec_from_file_location("build_site", ROOT / "scripts" / "build_site.py")
    build_site = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build_site)
    assert build_site._repository("git@github.com:someone/ser-course.git") == "https://github.com/someone/ser-course"
    assert build_site._repository("/a/local/clone") is None
    config = yaml.safe_load(build_site._config("https://github.com/someone/ser-course", "main"))
    assert config["launch_buttons"]["binderhub_url"] == "https://mybinder.org" and config["repository"]["url"].endswith("/ser-course")
    assert "launch_buttons" not in yaml.safe_load(build_site._config(None, "main"))
    toc = yaml.safe_load((ROOT / "scripts" / "site" / "_toc.yml").read_text())
    listed = [c["file"] for part in toc["parts"] for c in part["chapters"]]
    assert listed[:8] == [f"notebooks/{p.stem}" for p in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))]
