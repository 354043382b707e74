"""``validate``, ``show`` and ``build``: look at a spec without training it."""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Any

import click

from .main import report_spec_error
from .options import SpecArgument
from .options import force_option
from .options import output_option
from .options import spec_overrides
from ..errors import NotFoundError
from ..errors import SpecError
from ..files import WouldOverwrite

if TYPE_CHECKING:
    from ..graph.graph import Graph


def _shipped_pattern(text: str) -> list[str]:
    from ..shipped import expand_spec_pattern

    return expand_spec_pattern(text)


def human_bytes(count: Any) -> str:
    from ..graph.estimate import human_bytes as format_bytes

    return format_bytes(count)


def fmt(shape: Any) -> str:
    from ..graph.shapes import fmt as format_shape

    return format_shape(shape)


def load_graph(path: str, strategy: str | None, overrides: tuple[str, ...]) -> Graph:
    from ..graph.graph import build_graph
    from ..modelspec.load import load_spec

    spec = load_spec(path, strategy=strategy, overrides=list(overrides))
    return build_graph(spec)


strict_option = click.option("--strict", is_flag=True, help="Treat warnings as errors (exit status 2).")


def report_warnings(graph: Graph, strict: bool) -> None:
    """Print the graph's warnings and the best-practice lints; with ``strict``, raise them as errors."""
    from ..graph.lint import lint_graph

    for note in graph.spec.notes:
        click.echo(f"{graph.spec.source}: note: {note}", err=True)
    warnings = sorted([*graph.warnings, *lint_graph(graph)], key=lambda d: (d.line, d.column))
    if strict and warnings:
        raise SpecError([dataclasses.replace(w, severity="error") for w in warnings])
    for warning in warnings:
        click.echo(warning.format(), err=True)


@click.command()
@click.argument("specs", nargs=-1, required=True, type=SpecArgument(), callback=lambda ctx, param, value: tuple(
    item for text in value for item in _shipped_pattern(text)))
@spec_overrides
@click.option("--build", "also_build", is_flag=True, help="Also build the Keras model (imports TensorFlow).")
@strict_option
def validate(specs: tuple[str, ...], strategy: str | None, overrides: tuple[str, ...], also_build: bool,
             strict: bool) -> None:
    """Check specs: YAML, structure, parameters, wiring and static shapes.

    Prints one line per spec; warnings (an unused entry, a transpose
    convolution that overlaps unevenly) go to stderr. Without --build,
    TensorFlow is not imported.
    """
    status = 0
    for path in specs:
        try:
            graph = load_graph(path, strategy, overrides)
            check_data(graph, strict)
            report_warnings(graph, strict)
            if also_build:
                from ..builder.builder import build_model

                build_model(graph.spec)
        except SpecError as error:
            report_spec_error(error)
            click.echo(f"{path}: invalid", err=True)
            status = max(status, 2)
            continue
        except NotFoundError as error:
            click.echo(f"{path}: error: {error}", err=True)
            click.echo(f"{path}: invalid", err=True)
            status = max(status, 2)
            continue
        except (KeyboardInterrupt, click.exceptions.Exit):
            raise
        except Exception as error:  # noqa: BLE001 - one file that breaks upspec must not stop the others
            click.echo(f"{path}: error: upspec failed on this spec: {type(error).__name__}: {error}", err=True)
            click.echo(f"{path}: failed (a bug in upspec or a plugin; --debug shows the traceback)", err=True)
            if click.get_current_context().find_root().obj.get("debug"):
                import traceback

                traceback.print_exc()
            status = max(status, 1)
            continue
        ins = ", ".join(fmt(n.shape) for n in graph.inputs)
        outs = ", ".join(fmt(graph.nodes[o].shape) for o in graph.outputs)
        click.echo(f"{path}: ok: {graph.spec.name}: {entry_count(graph)}, {ins} -> {outs}")
    if status:
        raise click.exceptions.Exit(status)


def check_data(graph: Graph, strict: bool) -> None:
    """What ``run`` would refuse about the spec's data before training: the task against the model's output, the
    source's files (all their problems at once). Errors for a spec with a ``data:`` section; for one without
    (a model meant to be built, such as the seed's), warnings, errors with ``--strict``."""
    from ..registry.registry import get_registry
    from ..runner.data.fit_check import data_fit_diagnostics

    found = data_fit_diagnostics(graph.spec, graph, get_registry())
    document = graph.spec.document
    if found and (strict or document is None or "data" in document.data):
        raise SpecError(found)
    for problem in found:
        warning = dataclasses.replace(problem, severity="warning", message=problem.message.replace(
            "the data cannot feed this model", "`upspec run` would refuse the default data (no data: section)"))
        click.echo(warning.format(), err=True)


def entry_count(graph: Graph) -> str:
    """``12 entries``, or ``37 entries (6 written)`` when blocks or bases were expanded."""
    text = f"{len(graph.entries)} entries"
    expansion = graph.spec.expansion
    if expansion is not None and expansion.written != len(graph.entries):
        text += f" ({expansion.written} written)"
    return text


def _parameter_counts(graph: Graph) -> dict[str, int]:
    from ..builder.builder import assemble
    from ..registry.registry import get_registry

    model, layer_names = assemble(graph, get_registry())
    return {node_id: sum(model.get_layer(n).count_params() for n in names) for node_id, names in layer_names.items()}


def _describe(node: Any) -> str:
    if node.entry is None:
        return "input"
    if node.kind == "upsample":
        factor = node.entry.params.get("factor")
        return f"upsample: {node.type_name} x{factor}"
    return node.type_name


def _estimated(node: Any) -> tuple[str, str]:
    """(estimated parameters, activation memory per example) as table cells."""
    est = node.estimate
    if est is None:
        return "?", "?"
    params = "?" if est.params is None else (f"<={est.params:,}" if not est.exact and est.params else f"{est.params:,}")
    return params, human_bytes(est.memory)


def _table(graph: Graph, counts: dict[str, int] | None) -> str:
    rows = [("id", "type", "inputs", "output shape", "params", "est. params", "activations")]
    for node in graph.nodes.values():
        count = "" if counts is None or node.entry is None else f"{counts.get(node.id, 0):,}"
        sources = ", ".join(node.inputs + ([f"guide: {node.guide}"] if node.guide else [])) or "-"
        rows.append((node.id, _describe(node), sources, fmt(node.shape), count, *_estimated(node)))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    if counts is not None:
        lines.append(f"total parameters: {sum(counts.values()):,}")
    estimates = [n.estimate for n in graph.nodes.values() if n.estimate is not None]
    bound = "at most " if any(not e.exact or e.params is None for e in estimates) else ""
    lines.append(f"estimated: {bound}{sum(e.params or 0 for e in estimates):,} parameters, "
                 f"{human_bytes(sum(e.memory or 0 for e in estimates))} of activations per example (float32); "
                 f"budgets {graph.spec.limits.max_params:,} and {human_bytes(int(graph.spec.limits.max_memory))}")
    lines.append("outputs: " + ", ".join(graph.outputs))
    lines.append(entry_count(graph))
    return "\n".join(lines)


def _mermaid(graph: Graph) -> str:
    lines = ["flowchart TD"]
    for node in graph.nodes.values():
        lines.append(f'    {node.id}["{node.id}<br/>{_describe(node)}<br/>{fmt(node.shape)}"]')
    for node in graph.nodes.values():
        lines.extend(f"    {source} --> {node.id}" for source in node.inputs)
        if node.guide:
            lines.append(f"    {node.guide} -. guide .-> {node.id}")
    return "\n".join(lines)


def _dot(graph: Graph) -> str:
    lines = [f'digraph "{graph.spec.name}" {{', "    rankdir=TB;", "    node [shape=box];"]
    for node in graph.nodes.values():
        lines.append(f'    "{node.id}" [label="{node.id}\\n{_describe(node)}\\n{fmt(node.shape)}"];')
    for node in graph.nodes.values():
        lines.extend(f'    "{source}" -> "{node.id}";' for source in node.inputs)
        if node.guide:
            lines.append(f'    "{node.guide}" -> "{node.id}" [style=dashed, label="guide"];')
    lines.append("}")
    return "\n".join(lines)


@click.command()
@click.argument("spec", type=SpecArgument())
@spec_overrides
@click.option("--format", "output_format", type=click.Choice(["table", "mermaid", "dot", "json"]), default="table",
              show_default=True)
@click.option("--exact-params", is_flag=True,
              help="Also build the model for exact parameter counts per entry (imports TensorFlow: seconds).")
@click.option("--no-params", is_flag=True, hidden=True, help="Old flag: exact counts are off unless --exact-params.")
@click.option("--resolved", is_flag=True,
              help="Print the expanded flat spec as YAML (bases merged, parameters and blocks expanded), "
                   "each entry with where it was written.")
@strict_option
def show(spec: str, strategy: str | None, overrides: tuple[str, ...], output_format: str, exact_params: bool,
         no_params: bool, resolved: bool, strict: bool) -> None:
    """Show the graph: each entry with its inputs, static output shape and parameter count.

    Warnings go to stderr (errors with --strict)."""
    graph = load_graph(spec, strategy, overrides)
    report_warnings(graph, strict)
    if resolved:
        click.echo(graph.spec.expanded_yaml(), nl=False)
        click.echo(f"# {entry_count(graph)}")
    elif output_format == "mermaid":
        click.echo(_mermaid(graph))
    elif output_format == "dot":
        click.echo(_dot(graph))
    else:
        counts = _parameter_counts(graph) if exact_params and not no_params else None
        if output_format == "json":
            click.echo(json.dumps([
                {"id": n.id, "type": _describe(n), "inputs": n.inputs, **({"guide": n.guide} if n.guide else {}),
                 "shape": n.shape,
                 "params": None if counts is None or n.entry is None else counts.get(n.id, 0),
                 "estimated_params": n.estimate.params if n.estimate else None,
                 "activation_bytes": n.estimate.memory if n.estimate else None}
                for n in graph.nodes.values()
            ], indent=2))
        else:
            click.echo(_table(graph, counts))


@click.command()
@click.argument("spec", type=SpecArgument())
@spec_overrides
@output_option(dir_okay=False, help="Save the compiled model (.keras).")
@force_option
def build(spec: str, strategy: str | None, overrides: tuple[str, ...], output: str | None, force: bool) -> None:
    """Build and compile the Keras model; print its summary; optionally save it."""
    from ..builder.builder import build_model
    from ..files import atomic_path

    if output and not output.endswith(".keras"):
        raise click.BadParameter("the file name must end in .keras", param_hint="--output")
    if output and os.path.exists(output) and not force:  # before seconds of building, not after
        raise WouldOverwrite(Path(output))
    model = build_model(spec, strategy=strategy, overrides=list(overrides))
    model.summary(print_fn=lambda line, **_: click.echo(line))
    if output:
        with atomic_path(output, overwrite=force) as tmp:
            model.save(tmp)
        click.echo(f"saved {output}")


def register(cli: click.Group) -> None:
    for command in (validate, show, build):
        cli.add_command(command)
