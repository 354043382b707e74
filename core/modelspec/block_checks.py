"""``blocks:`` checked before any is expanded: their shape, their entries' ids, and cycles of blocks using blocks."""

from __future__ import annotations

from typing import Any

from ..errors import available
from .blocks import BLOCK_KEYS
from .blocks import Expander
from .blocks import LOCAL_ID
from .yaml_source import Path


def check_blocks(expander: Expander, blocks: Any) -> None:
    """``blocks:`` well formed, every block's uses known and acyclic; sets ``expander.blocks`` / ``broken``."""
    if blocks is None:
        return
    src: Path = ("blocks",)
    if not isinstance(blocks, dict):
        expander.error(src, (), "blocks: must be a mapping of block names to {params, inputs, layers}")
        return
    for name, block in blocks.items():
        path = src + (name,)
        before = len(expander.errors)
        if not isinstance(name, str) or not LOCAL_ID.match(name):
            expander.error(path, (), f"invalid block name {name!r}", "use letters, digits, '_' and '-'", key=True)
        elif not isinstance(block, dict):
            expander.error(path, (), f"block {name!r} must be a mapping with 'layers:' (and 'params:', 'inputs:')")
        else:
            _check_block(expander, name, block, path)
        if len(expander.errors) > before:
            expander.broken.add(name)
        else:
            expander.blocks[name] = block
    for cycle, path in _cycles(expander.blocks):
        expander.error(path + ("block",), (), "blocks use each other in a cycle: " + " -> ".join(cycle),
                       "a block may use other blocks, never itself, directly or not")
        expander.broken.update(cycle)
        for name in cycle:
            expander.blocks.pop(name, None)


def _check_block(expander: Expander, name: str, block: dict, path: Path) -> None:
    for key in block:
        if key not in BLOCK_KEYS:
            expander.error(path + (key,), (), f"block {name!r} has no key {key!r}", available(BLOCK_KEYS, key), key=True)
    inputs = block.get("inputs", ["in"])
    names = [inputs] if isinstance(inputs, str) else inputs
    if not isinstance(names, list) or not names or not all(isinstance(n, str) and LOCAL_ID.match(n) for n in names):
        expander.error(path + ("inputs",), (), f"block {name!r}: inputs: must name the block's inputs",
                       "for example: inputs: [x, skip] (default: one input named 'in')")
    elif len(set(names)) != len(names):
        expander.error(path + ("inputs",), (), f"block {name!r} names an input twice")
    layers = block.get("layers")
    if not isinstance(layers, list) or not layers:
        expander.error(path + ("layers",) if "layers" in block else path, (),
                       f"block {name!r} needs 'layers:', a non-empty list of entries")
        return
    seen: dict[str, int] = {}
    for j, entry in enumerate(layers):
        if not isinstance(entry, dict):
            expander.error(path + ("layers", j), (), "an entry must be a mapping with 'layer:', 'upsample:' or 'block:'")
            continue
        local = entry.get("id")
        if isinstance(local, str) and "${" not in local:
            if not LOCAL_ID.match(local):
                expander.error(path + ("layers", j, "id"), (), f"invalid id {local!r} in block {name!r}",
                               "use letters, digits, '_' and '-' (the block's instances add the dots)")
            elif local in seen or (isinstance(names, list) and local in names):
                expander.error(path + ("layers", j, "id"), (), f"duplicate id {local!r} in block {name!r}",
                               "an entry's id must differ from the other entries' and the block's inputs")
            seen[local] = j


def _cycles(blocks: dict[str, dict]) -> list[tuple[list[str], Path]]:
    """Each cycle of blocks using blocks, with the place of the use that closes it."""
    uses = {name: [(e["block"], ("blocks", name, "layers", j)) for j, e in enumerate(block["layers"])
                   if isinstance(e, dict) and isinstance(e.get("block"), str) and e["block"] in blocks]
            for name, block in blocks.items()}
    found: list[tuple[list[str], Path]] = []
    state: dict[str, int] = {}  # 1 on the stack, 2 done
    for start in uses:
        if state.get(start):
            continue
        stack: list[tuple[str, int]] = [(start, 0)]
        state[start] = 1
        while stack:
            name, at = stack[-1]
            if at >= len(uses[name]):
                state[name] = 2
                stack.pop()
                continue
            stack[-1] = (name, at + 1)
            target, path = uses[name][at]
            if state.get(target) == 1:
                names = [n for n, _ in stack]
                found.append((names[names.index(target):] + [target], path))
            elif not state.get(target):
                state[target] = 1
                stack.append((target, 0))
    return found
