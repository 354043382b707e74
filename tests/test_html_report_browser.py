"""report.html as a person sees it, in headless Chromium (Debian's ``chromium`` and ``chromium-driver``, driven
by Selenium): the tables render with the right number of rows, a click on a header sorts them, the zoom control
changes the crop, every picture loads, nothing is logged as an error, no smuggled script runs; a screenshot of
each report is written to its folder."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from conftest import SPECS
from conftest import invoke_upspec
from html_fixtures import HANDLER
from html_fixtures import SCRIPT
from html_fixtures import fake_run

pytest.importorskip("selenium", reason="the browser test needs selenium: pip install 'upspec[browser]'")

#: Chromium without a network: every flag that stops it from reaching out (and hanging on it)
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-dev-shm-usage", "--window-size=1400,1000")
SCREENSHOT = "report_screenshot.png"


def _found(*names: str) -> str | None:
    return next((path for path in map(shutil.which, names) if path), None)


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    binary = _found("chromium", "chromium-browser", "google-chrome")
    driver_path = _found("chromedriver")
    if not binary or not driver_path:
        if os.environ.get("CI") == "true":  # CI installs them (.ci/run): there a missing browser is a failure
            pytest.fail("headless Chromium is not installed, and CI must have it (.ci/run installs it)")
        pytest.skip("headless Chromium is not installed (apt-get install chromium chromium-driver; CI installs them)")
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=driver_path))
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


def open_report(driver, path: Path) -> None:
    driver.get_log("browser")  # what an earlier page logged is not this one's
    driver.get(path.resolve().as_uri())


def console_errors(driver) -> list[str]:
    return [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


def broken_images(driver) -> list[str]:
    return driver.execute_script(
        "return Array.from(document.images).filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.alt);")


def column(driver, table: str, index: int) -> list[str]:
    return driver.execute_script(
        f"return Array.from(document.querySelectorAll('#table-{table} tbody tr')).map(r => r.cells[{index}]"
        ".getAttribute('data-sort'));")


def bounds(driver, element) -> dict[str, float]:
    """Where the element is drawn (transforms included, which WebDriver's own rect leaves out)."""
    return driver.execute_script("var r = arguments[0].getBoundingClientRect(); "
                                 "return {x: r.left, y: r.top, width: r.width};", element)


def header(driver, table: str, title: str):
    from selenium.webdriver.common.by import By

    return next(th for th in driver.find_elements(By.CSS_SELECTOR, f"#table-{table} thead th") if th.text == title)


def test_a_run_report_renders_sorts_and_loads_every_picture(browser, tmp_path):
    from selenium.webdriver.common.by import By

    from upspec.runner.reporting.run_html import write_run_html

    run = fake_run(tmp_path / "run", images=5, epochs=4)
    open_report(browser, write_run_html(run))
    assert len(browser.find_elements(By.CSS_SELECTOR, "#table-images tbody tr")) == 5
    assert len(browser.find_elements(By.CSS_SELECTOR, "#table-history tbody tr")) == 4
    psnr = [float(v) for v in column(browser, "images", 1)]
    by_psnr = header(browser, "images", "model psnr")
    by_psnr.click()
    assert [float(v) for v in column(browser, "images", 1)] == sorted(psnr)
    by_psnr.click()
    assert [float(v) for v in column(browser, "images", 1)] == sorted(psnr, reverse=True)
    assert browser.find_element(By.ID, "samples").size["width"] > 0
    assert broken_images(browser) == []
    assert console_errors(browser) == []
    browser.save_screenshot(str(run / SCREENSHOT))
    assert (run / SCREENSHOT).stat().st_size > 10_000


def test_no_script_from_a_spec_or_a_file_name_runs_and_the_text_is_shown_literally(browser, tmp_path):
    from selenium.common.exceptions import NoAlertPresentException
    from selenium.webdriver.common.by import By

    from upspec.runner.reporting.run_html import write_run_html

    run = fake_run(tmp_path / "run", name=SCRIPT, description=HANDLER)
    (run / f"{HANDLER}.txt").write_text(SCRIPT)
    open_report(browser, write_run_html(run))
    with pytest.raises(NoAlertPresentException):
        browser.switch_to.alert.text  # noqa: B018 - reading it is the check
    assert browser.execute_script("return window.pwned === undefined;")
    assert browser.find_element(By.ID, "title").text == f"Run of {SCRIPT}"
    assert browser.find_element(By.ID, "description").text == HANDLER
    assert f"{HANDLER}.txt" in browser.find_element(By.ID, "table-files").text
    assert console_errors(browser) == []


def test_a_run_that_stopped_half_way_shows_what_is_missing(browser, tmp_path):
    from selenium.webdriver.common.by import By

    from upspec.runner.reporting.run_html import write_run_html

    run = fake_run(tmp_path / "run")
    for name in ("metrics.json", "samples.png", "model.keras"):
        (run / name).unlink()
    open_report(browser, write_run_html(run))
    missing = browser.find_element(By.ID, "missing").text
    assert "metrics.json" in missing and "samples.png" in missing and "model.keras" in missing
    assert len(browser.find_elements(By.CSS_SELECTOR, "#table-history tbody tr")) == 3
    assert broken_images(browser) == [] and console_errors(browser) == []


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    """A real sweep of two strategies and two seeds (tiny budget) on the super-resolution photos."""
    out = tmp_path_factory.mktemp("sweep") / "sweep"
    done = invoke_upspec("sweep", str(SPECS / "espcn.yaml"), "--strategies", "nearest,pixel_shuffle", "--seeds", "2",
                         "--out", str(out), "--epochs", "1", "--steps", "2", "--batch-size", "4",
                         "--set", "data.test_patches=4", "--set", "data.validation_patches=4", cwd=out.parent)
    assert done.returncode == 0, done.stderr
    return out


@pytest.mark.slow
def test_a_sweep_report_renders_its_tables_ties_and_a_zoomable_side_by_side_view(browser, sweep):
    from selenium.webdriver.common.by import By

    from upspec.compare.statistics import compare

    rows = json.loads((sweep / "comparison.json").read_text())["rows"]
    report = sweep / "report.html"
    assert report.stat().st_size < 1_500_000  # thumbnails, not whole images
    open_report(browser, report)
    assert len(browser.find_elements(By.CSS_SELECTOR, "#table-statistics tbody tr")) == 2
    assert len(browser.find_elements(By.CSS_SELECTOR, "#table-means tbody tr")) == 2
    assert len(browser.find_elements(By.CSS_SELECTOR, "#table-runs tbody tr")) == 4
    ties = [s.strategy for s in compare(rows).strategies if s.tie]
    marked = [e.text for e in browser.find_elements(By.CSS_SELECTOR, "#table-statistics .mark.tie")]
    assert marked == ["tie"] * len(ties)
    seeds = column(browser, "runs", 1)
    header(browser, "runs", "seed").click()
    assert column(browser, "runs", 1) == sorted(seeds, key=float) != seeds

    # the viewer: per test image, input, bicubic, the 4 runs, ground truth
    viewer_rows = browser.find_elements(By.CSS_SELECTOR, "#viewer tbody tr")
    assert len(viewer_rows) == 4
    assert all(len(r.find_elements(By.CSS_SELECTOR, ".crop img")) == 7 for r in viewer_rows)
    titles = [th.text for th in browser.find_elements(By.CSS_SELECTOR, "#viewer thead th")]
    assert titles == ["image", "input", "bicubic baseline", "nearest seed 0", "nearest seed 1", "pixel_shuffle seed 0",
                      "pixel_shuffle seed 1", "ground truth"]
    crop = browser.find_element(By.CSS_SELECTOR, "#viewer tbody tr .crop img")
    box = crop.find_element(By.XPATH, "..").size["width"] - 2  # less its 1 px border
    assert bounds(browser, crop)["width"] == pytest.approx(box, abs=1)
    for zoom in (4, 8):
        browser.find_element(By.CSS_SELECTOR, f"#zoom button[data-zoom='{zoom}']").click()
        assert bounds(browser, crop)["width"] == pytest.approx(zoom * box, abs=2)
    before = bounds(browser, crop)["x"]
    frame = bounds(browser, crop.find_element(By.XPATH, ".."))
    browser.execute_script("arguments[0].dispatchEvent(new MouseEvent('click', {clientX: arguments[1], "
                           "clientY: arguments[2], bubbles: true}));", crop, frame["x"] + 10, frame["y"] + 10)
    assert bounds(browser, crop)["x"] > before  # a click near the left edge moves the crop towards it
    browser.find_element(By.CSS_SELECTOR, "#zoom button[data-zoom='4']").click()
    assert broken_images(browser) == []
    assert console_errors(browser) == []
    browser.save_screenshot(str(sweep / SCREENSHOT))
    assert (sweep / SCREENSHOT).stat().st_size > 10_000


@pytest.mark.slow
def test_every_run_of_a_sweep_has_a_report_that_renders(browser, sweep):
    from selenium.webdriver.common.by import By

    run = sweep / "nearest" / "seed-0"
    metrics = json.loads((run / "metrics.json").read_text())
    open_report(browser, run / "report.html")
    assert len(browser.find_elements(By.CSS_SELECTOR, "#table-images tbody tr")) == len(metrics["images"])
    assert browser.find_elements(By.ID, "missing") == []
    assert broken_images(browser) == [] and console_errors(browser) == []
    browser.save_screenshot(str(run / SCREENSHOT))
