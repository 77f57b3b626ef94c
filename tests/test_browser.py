"""The widgets in a real browser: JupyterLab on 127.0.0.1, notebooks 02 and 06 run in headless Chromium.

The test serves copies of the two notebooks (outputs cleared, so that nothing is written back into
``notebooks/`` and every output is produced by this run) from a temporary folder, opens each in
JupyterLab, runs all cells and checks what a learner sees: no cell error and no browser console
error; audio players that are HTML ``<audio>`` elements holding sound; in 02, the SNR slider
rendered as a widget whose caption and player follow it; in 06, the upload box, which answers a
WAV with a prediction and a text file named ``.wav`` with the clear message.  Screenshots go to
``build/browser/``.  It needs Debian's Chromium (``/usr/bin/chromium``; ``.ci/run`` installs it)
and Playwright (``requirements-browser.txt``), and skips without them.  Everything it starts is
stopped at the end.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SHOTS = ROOT / "build" / "browser"

pytestmark = pytest.mark.slow
sync_api = pytest.importorskip("playwright.sync_api")
if not Path(CHROMIUM).exists():
    pytest.skip("no Chromium installed (Debian: apt-get install chromium)", allow_module_level=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """JupyterLab serving cleared copies of notebooks 02 and 06, on 127.0.0.1 with a token; stopped afterwards."""
    import nbformat

    if not (ROOT / "models" / "demo" / "bundle.json").exists():
        pytest.skip("notebook 06 needs the demo bundle that notebook 05 saves (run the series first)")
    served = tmp_path_factory.mktemp("served")
    for name in ("02_noise_augmentation.ipynb", "06_inference.ipynb"):
        nb = nbformat.read(ROOT / "notebooks" / name, as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "code":
                cell.outputs, cell.execution_count = [], None
        nbformat.write(nb, served / name)
    settings = served / "settings" / "@jupyterlab" / "notebook-extension"
    settings.mkdir(parents=True)
    (settings / "tracker.jupyterlab-settings").write_text('{"windowingMode": "none"}')   # every cell in the page, not only those in view
    port, token = _free_port(), secrets.token_hex(16)
    env = {k: v for k, v in os.environ.items() if k != "SER_HEADLESS"} | {"SER_DATA_SOURCE": "demo"}
    command = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
               f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={served}", f"--LabApp.user_settings_dir={served / 'settings'}",
               f"--LabApp.workspaces_dir={served / 'workspaces'}", "--LabApp.news_url=", "--allow-root"]
    log = open(served / "lab.log", "w")
    server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(240):
            try:
                urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2)
                break
            except OSError:
                if server.poll() is not None:
                    pytest.fail(f"JupyterLab stopped: {(served / 'lab.log').read_text()[-2000:]}")
                time.sleep(0.5)
        else:
            pytest.fail("JupyterLab did not answer within 2 minutes")
        yield base, token, served
    finally:
        os.killpg(server.pid, 15)
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, 9)
        log.close()


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield chromium
        chromium.close()


def _run_all(browser, lab, name):
    """Open a notebook, run all its cells, wait until every code cell has run; return the page and console errors."""
    base, token, _ = lab
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{base}/lab/tree/{name}?token={token}&reset")   # a fresh workspace: only this notebook open
    page.wait_for_selector(".jp-NotebookPanel .jp-CodeCell", timeout=120_000)
    kernel_choice = page.locator(".jp-Dialog button:has-text('Select')")
    try:
        kernel_choice.click(timeout=10_000)   # JupyterLab may ask which kernel to start
    except sync_api.TimeoutError:
        pass
    page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle'] >> visible=true", timeout=120_000)
    page.click("div.lm-MenuBar-itemLabel:text-is('Run')")
    page.click("li.lm-Menu-item:has-text('Run All Cells')")
    page.wait_for_function(
        "() => { const p = Array.from(document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell .jp-InputPrompt'));"
        " return p.length > 0 && p.every(e => /\\[\\d+\\]/.test(e.textContent)); }",
        timeout=300_000,
    )
    page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle'] >> visible=true", timeout=120_000)
    return page, errors


def _no_cell_error(page):
    assert page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.error']").count() == 0, "a cell raised an error"


def _audio_sources(page) -> list:
    """The ``src`` of every audio element that holds sound (a loaded WAV with a duration)."""
    return page.evaluate(
        "() => Promise.all(Array.from(document.querySelectorAll('audio')).map(a => new Promise(done => {"
        " const ready = () => done({src: a.currentSrc || a.src, duration: a.duration});"
        " if (a.readyState >= 1) ready(); else { a.addEventListener('loadedmetadata', ready); a.load(); setTimeout(ready, 5000); } })))"
    )


def test_the_snr_slider_and_players_work_in_a_browser(browser, lab):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page, errors = _run_all(browser, lab, "02_noise_augmentation.ipynb")
    _no_cell_error(page)
    players = _audio_sources(page)
    assert len(players) >= 9 and all(p["src"] and p["duration"] > 0.5 for p in players), players
    slider = page.locator(".widget-hslider .noUi-handle")
    assert slider.count() == 1 and slider.get_attribute("aria-valuenow") == "20.0"
    area = page.locator(".widget-interact").first
    caption = area.locator(".widget-label", has_text="measured")
    before_caption, before_src = caption.text_content(), area.locator("audio").get_attribute("src")
    assert before_caption.startswith("SNR 20 dB (measured 20.0 dB)"), before_caption
    area.scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "02_slider_before.png"))
    slider.focus()
    page.keyboard.press("ArrowRight")   # one step of 5 dB
    page.wait_for_function("() => Array.from(document.querySelectorAll('.widget-interact .widget-label')).some(e => e.textContent.startsWith('SNR 25 dB'))", timeout=60_000)
    assert area.locator(".widget-label", has_text="measured").text_content().startswith("SNR 25 dB (measured 25.0 dB)")
    after_src = area.locator("audio").get_attribute("src")
    assert after_src and after_src != before_src, "the player plays the new version"
    page.screenshot(path=str(SHOTS / "02_slider_after.png"))
    assert not errors, errors
    page.close()


def test_the_upload_box_predicts_and_explains_a_bad_file(browser, lab, tmp_path):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page, errors = _run_all(browser, lab, "06_inference.ipynb")
    _no_cell_error(page)
    assert all(p["duration"] > 0.5 for p in _audio_sources(page))
    clip = next((ROOT / "data" / "demo").rglob("*.wav"))
    button = page.locator("button.widget-upload")
    assert button.count() == 1 and "Upload audio" in button.text_content()

    def upload(path):
        with page.expect_file_chooser() as chosen:   # the widget opens the browser's file dialog
            button.click()
        chosen.value.set_files(str(path))

    wav = tmp_path / "my_clip.wav"
    shutil.copy(clip, wav)
    upload(wav)
    answer = page.locator(".widget-output").filter(has_text="my_clip.wav:")
    answer.wait_for(timeout=120_000)
    text = answer.text_content()
    assert "%" in text and any(e in text for e in ("neutral", "happy", "sad", "angry", "fearful", "disgust")), text
    page.locator(".widget-upload").scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "06_upload_wav.png"))
    fake = tmp_path / "notes.wav"
    fake.write_text("not audio")
    upload(fake)
    page.locator(".widget-output").filter(has_text="notes.wav: not readable as audio").wait_for(timeout=120_000)
    page.screenshot(path=str(SHOTS / "06_upload_text.png"))
    assert not errors, errors
    page.close()


SITE = ROOT / "build" / "site" / "_build" / "html"


@pytest.fixture(scope="module")
def site():
    """The course's website, built by ``python scripts/build_site.py`` (the test command builds it first)."""
    if not (SITE / "index.html").exists():
        pytest.skip("no website built (python scripts/build_site.py)")
    return SITE


def _images_loaded(page) -> list:
    """Natural widths of the images in the page's main content (0 for one that did not load)."""
    return page.evaluate("() => Array.from(document.querySelectorAll('main img, article img')).map(i => i.complete ? i.naturalWidth : 0)")


def test_the_website_shows_its_pages_figures_and_navigation(browser, site):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto((site / "index.html").as_uri())
    page.wait_for_url("**/README.html", timeout=30_000)   # the home page is the README
    page.wait_for_load_state("load")
    assert "Speech emotion recognition" in page.title()
    nav = page.locator("nav.bd-links a, .bd-sidebar a")
    targets = [nav.nth(i).get_attribute("href") or "" for i in range(nav.count())]
    for n in ("00_overview_and_setup", "05_training", "07_detecting_anger", "INSTRUCTORS", "GLOSSARY"):
        assert any(n in t for t in targets), (n, targets)
    page.screenshot(path=str(SHOTS / "site_home.png"))
    page.locator(".bd-sidebar a", has_text="Training").first.click()
    page.wait_for_load_state("load")
    assert page.url.endswith("notebooks/05_training.html")
    page.wait_for_function("() => Array.from(document.querySelectorAll('article img')).every(i => i.complete)", timeout=30_000)
    widths = _images_loaded(page)
    assert len(widths) >= 3 and all(w > 100 for w in widths), widths   # the stored figures (learning curves, confusion matrix)
    assert page.locator("article h1").first.text_content().strip().startswith("05")
    launch = page.locator("a[href*='mybinder.org']")
    if (site.parent.parent / "_config.yml").read_text().count("binderhub_url"):
        assert launch.count() >= 1 and "05_training.ipynb" in launch.first.get_attribute("href")
    page.screenshot(path=str(SHOTS / "site_notebook_05.png"), full_page=False)
    # The theme declares its (unused) Thebe script twice, which browsers report; nothing else may fail.
    assert not [e for e in errors if "THEBE_JS_URL" not in e], errors
    page.close()
