"""new-plugin writes a plugin that imports no pydantic, refuses a taken strategy name and ignores build output;
a sweep says what it will run and --dry-run stops there (issue #27, item 8)."""

from __future__ import annotations

import ast

from conftest import SPECS
from conftest import invoke_upspec


def test_the_scaffolded_strategy_imports_no_pydantic_at_module_level(tmp_path):
    done = invoke_upspec("new-plugin", "soft_up", "--dir", str(tmp_path))
    assert done.returncode == 0, done.stderr
    package = tmp_path / "upspec-soft-up"
    tree = ast.parse((package / "upspec_soft_up" / "strategy.py").read_text())
    modules = [n.module for n in tree.body if isinstance(n, ast.ImportFrom)] + \
              [a.name for n in tree.body if isinstance(n, ast.Import) for a in n.names]
    assert not any(m and m.split(".")[0] == "pydantic" for m in modules)
    ignored = (package / ".gitignore").read_text().split()
    assert {"__pycache__/", "*.egg-info/", "build/", "dist/"} <= set(ignored)


def test_a_name_a_built_in_strategy_has_is_refused(tmp_path):
    done = invoke_upspec("new-plugin", "nearest", "--dir", str(tmp_path))
    assert done.returncode == 2
    assert "a strategy called 'nearest' exists already" in done.stderr and "built-in" in done.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_sweep_prints_its_plan_and_dry_run_trains_nothing(tmp_path):
    done = invoke_upspec("sweep", str(SPECS / "fsrcnn.yaml"), "--strategies", "nearest,transpose", "--seeds", "3",
                         "--dry-run", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("plan: 2 strategies x 3 seeds = 6 runs (nearest, transpose), each 8 epochs x 150 "
                                  "steps, batch 16: 7,200 training steps in all")
    assert not (tmp_path / "runs").exists()


def test_a_sweep_plan_with_train_until_states_the_rule_and_the_cap(tmp_path):
    done = invoke_upspec("sweep", str(SPECS / "fsrcnn.yaml"), "--strategies", "nearest", "--seeds", "2",
                         "--steps", "100", "--set", "train.until.patience=2", "--set", "train.until.max_steps=450",
                         "--dry-run", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    # train.epochs (8) is ignored: the cap is 450 steps in whole epochs of 100, 5 epochs
    assert done.stdout.startswith("plan: 1 strategy x 2 seeds = 2 runs (nearest), each until val_loss stops "
                                  "improving for 2 epochs, at most 5 epochs x 100 steps, batch 16: at most 1,000 "
                                  "training steps in all")
