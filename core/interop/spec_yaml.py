"""A spec dict as YAML in the shipped specs' layout (what ``upspec import`` writes)."""

from __future__ import annotations

from typing import Any


def spec_yaml(spec: dict[str, Any]) -> str:
    """The spec as YAML: block style, one flow-style line per layer entry (as the shipped specs are)."""
    import yaml

    head = {k: v for k, v in spec.items() if k not in ("layers", "outputs", "compile", "data", "train")}
    text = yaml.safe_dump(head, sort_keys=False, default_flow_style=None, width=120)
    text += "layers:\n"
    for entry in spec["layers"]:
        line = yaml.safe_dump(entry, sort_keys=False, default_flow_style=True, width=10_000).strip()
        text += f"  - {line}\n"
    for key in ("outputs", "compile", "data", "train"):
        if key in spec:
            text += yaml.safe_dump({key: spec[key]}, sort_keys=False, default_flow_style=None, width=120)
    return text
