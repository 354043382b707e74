"""report.html without a browser: what it holds, what it escapes, what it says of a run that stopped half-way."""

from __future__ import annotations

import re

from html_fixtures import HANDLER
from html_fixtures import SCRIPT
from html_fixtures import fake_run


def test_a_run_report_holds_its_summary_tables_and_pictures_in_one_file(tmp_path):
    from upspec.runner.reporting.run_html import write_run_html

    html = write_run_html(fake_run(tmp_path / "run")).read_text()
    assert "<h1 id=\"title\">Run of espcn</h1>" in html
    assert "<code>up</code>: <strong>pixel_shuffle</strong> (factor 2, filters 1)" in html
    assert "Convention:</strong> whole held-out images, Y channel." in html
    assert len(re.findall(r"<tr><td data-sort=\"image-\d\">", html)) == 4  # one row per test image
    assert html.count('src="data:image/png;base64,') == 2  # curves and samples, embedded
    assert "http://" not in html and "https://" not in html  # nothing fetched
    assert "id=\"missing\"" not in html


def test_text_from_specs_and_file_names_is_escaped_and_no_foreign_script_may_run(tmp_path):
    from upspec.runner.reporting.run_html import write_run_html

    run = fake_run(tmp_path / "run", name=SCRIPT, description=HANDLER)
    (run / f"{HANDLER}.txt").write_text(SCRIPT)
    html = write_run_html(run).read_text()
    assert SCRIPT not in html and HANDLER not in html
    assert "&lt;script&gt;window.pwned = 1; alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=&#34;window.pwned = 2&#34;&gt;" in html
    # the one script that runs is the report's own, by its nonce
    policy = re.search(r"script-src 'nonce-([^']+)'", html)
    assert policy and html.count("<script") == 1 and f'<script nonce="{policy.group(1)}">' in html


def test_a_run_that_stopped_half_way_renders_what_exists_and_says_what_is_missing(tmp_path):
    from upspec.runner.reporting.run_html import write_run_html

    run = fake_run(tmp_path / "run")
    for name in ("model.keras", "metrics.json", "samples.png"):
        (run / name).unlink()
    (run / "divergence.md").write_text("loss became NaN at epoch 2, step 1")
    html = write_run_html(run).read_text()
    missing = html[html.index('id="missing"'):html.index("</div>", html.index('id="missing"'))]
    assert "<code>model.keras</code>: the trained model: training did not finish" in missing
    assert "<code>metrics.json</code>: the test metrics" in missing and "<code>samples.png</code>" in missing
    assert "<code>history.csv</code>" not in missing
    assert "No sample grid (<code>samples.png</code> is missing)." in html
    assert 'id="table-history"' in html and "loss became NaN at epoch 2, step 1" in html


def test_a_folder_with_nothing_in_it_still_gets_a_report(tmp_path):
    from upspec.runner.reporting.run_html import write_run_html

    (tmp_path / "run").mkdir()
    html = write_run_html(tmp_path / "run").read_text()
    assert "Run of run" in html and "<code>spec.yaml</code>: the resolved spec: the run never started" in html


def test_the_report_command_writes_a_run_folder_report(tmp_path):
    from conftest import invoke_upspec

    run = fake_run(tmp_path / "run")
    done = invoke_upspec("report", str(run), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"wrote {run / 'report.html'}"
