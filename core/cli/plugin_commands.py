"""``plugins``, ``schema`` and ``specs``: what the registry and the package hold. None imports TensorFlow."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Any

import click

from .options import force_option
from .options import output_option

if TYPE_CHECKING:
    from ..registry.registry import Registry


def get_registry() -> Registry:
    from ..registry.registry import get_registry as registry

    return registry()


def _hooks_of(registry: Registry, name: str) -> list[str]:
    plugin = registry.pm.get_plugin(name)
    return sorted(impl.name for impl in registry.pm.get_hookcallers(plugin) or ()) if plugin is not None else []


def plugins_report(registry: Registry) -> list[dict[str, Any]]:
    report = []
    for name, info in registry.plugins.items():
        strategies, guides = {}, {}
        for sname, provided in registry.strategies.items():
            if provided.plugin.name != name:
                continue
            if getattr(provided.value, "takes_guide", None):
                guides[sname] = provided.value.takes_guide
            strategies[sname] = {
                p.name: {"type": p.type_text, **({"required": True} if p.required else {"default": p.default})}
                for p in registry.parameters(sname).values()
            }
        layers = sorted(l for l, provided in registry.layers.items() if provided.plugin.name == name)
        report.append({
            "name": name, "distribution": info.distribution, "version": info.version, "builtin": info.builtin,
            "module": info.module, "hooks": _hooks_of(registry, name), "strategies": strategies,
            "guides": guides, "layers": layers,
        })
    return report


def _parameter_text(name: str, details: dict[str, Any]) -> str:
    if details.get("required"):
        return f"{name}: {details['type']}"
    return f"{name}: {details['type']} = {details['default']!r}"


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--capabilities", "capabilities_of", metavar="STRATEGY",
              help="Measure and print STRATEGY's rows of the capability matrix (backends, XLA, exports, determinism).")
def plugins(as_json: bool, capabilities_of: str | None) -> None:
    """List each plugin with its distribution, version, hooks and what it provides."""
    registry = get_registry()
    if capabilities_of:
        from ..capabilities.matrix import capability_matrix
        from ..capabilities.matrix import text_rows

        registry.strategy(capabilities_of)  # an unknown name: the error lists the available ones
        click.echo(text_rows(capability_matrix(registry, [capabilities_of])))
        return
    report = plugins_report(registry)
    problems = [{"plugin": p.plugin.name, "distribution": p.plugin.distribution, "message": p.message}
                for p in registry.problems]
    conflicts = {name: [i.label for i in infos] for name, infos in
                 {**registry.strategy_conflicts, **registry.layer_conflicts}.items()}
    if as_json:
        click.echo(json.dumps({"plugins": report, "problems": problems, "conflicts": conflicts}, indent=2, default=repr))
        return
    for item in report:
        click.echo(f"{item['name']} ({item['distribution']} {item['version']}){' [built-in]' if item['builtin'] else ''}")
        click.echo(f"  hooks: {', '.join(item['hooks']) or '-'}")
        for sname, params in item["strategies"].items():
            guide = f"; guide: {item['guides'][sname]}" if sname in item["guides"] else ""
            click.echo(f"  strategy {sname}({', '.join(_parameter_text(n, d) for n, d in params.items())}){guide}")
        if item["layers"]:
            shown = ", ".join(item["layers"][:8]) + (f", ... ({len(item['layers'])} in all)" if len(item["layers"]) > 8 else "")
            click.echo(f"  layers: {shown}")
    for name, labels in conflicts.items():
        click.echo(f"conflict: {name!r} is provided by {' and '.join(labels)}; it cannot be used until one is removed "
                   "or disabled with UPSPEC_DISABLE_PLUGINS")
    for problem in registry.problems:
        click.echo(f"problem: {problem.format()}")


@click.command()
@output_option(dir_okay=False, help="Write to this file instead of stdout.")
@force_option
def schema(output: str | None, force: bool) -> None:
    """Print the JSON Schema of a spec, including every registered strategy's parameters."""
    from ..files import write_text
    from ..modelspec.schema import spec_schema

    text = json.dumps(spec_schema(get_registry()), indent=2, default=repr)
    if output:
        write_text(output, text + "\n", overwrite=force)
        click.echo(f"wrote {output}")
    else:
        click.echo(text)


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def specs(as_json: bool) -> None:
    """List the specs shipped with upspec; any command taking a SPEC accepts these names."""
    import yaml

    from ..shipped import shipped_specs

    found = []
    for name, path in shipped_specs().items():
        try:
            description = str((yaml.safe_load(path.read_text()) or {}).get("description", "")).strip()
        except (OSError, yaml.YAMLError, AttributeError):
            description = ""
        found.append({"name": name, "description": description, "path": str(path)})
    if as_json:
        click.echo(json.dumps(found, indent=2))
        return
    width = max((len(item["name"]) for item in found), default=0)
    for item in found:
        click.echo(f"{item['name']:<{width}}  {item['description']}")
    click.echo(f"run one with: upspec run NAME   (files in {shipped_specs_folder(found)})")


def shipped_specs_folder(found: list[dict[str, Any]]) -> str:
    from pathlib import Path

    return str(Path(found[0]["path"]).parent) if found else "-"


@click.command("new-plugin")
@click.argument("name")
@click.option("--dir", "parent", default=".", type=click.Path(file_okay=False),
              help="Where to create upspec-NAME/ (default: here).")
def new_plugin(name: str, parent: str) -> None:
    """Write a ready plugin package upspec-NAME/: setup.cfg with the entry point, a strategy, tests, a README."""
    from ..scaffold.new_plugin import ScaffoldError
    from ..scaffold.new_plugin import new_plugin as scaffold

    try:
        target = scaffold(name, parent)
    except ScaffoldError as error:
        raise click.BadParameter(str(error), param_hint="NAME") from None
    click.echo(f"wrote {target}/")
    click.echo(f"next: pip install -e '{target}[test]' && python -m pytest {target}/tests")


@click.command("help")
@click.argument("topic", required=False)
@click.pass_context
def help_command(ctx: click.Context, topic: str | None) -> None:
    """Short reference on a TOPIC (data, export, runs); without one, the list of topics and commands."""
    from ..errors import available
    from ..help_topics import TOPICS

    if topic is None:
        click.echo(ctx.find_root().get_help())
        click.echo(f"\nTopics: upspec help {{{','.join(sorted(TOPICS))}}}")
        return
    if topic not in TOPICS:
        raise click.BadParameter(f"no help topic {topic!r}; {available(TOPICS, topic)}", param_hint="TOPIC")
    click.echo(TOPICS[topic], nl=False)



@click.command()
@click.option("-o", "--output", default="docs/capabilities.md", show_default=True, type=click.Path(dir_okay=False),
              help="The Markdown file to write.")
@force_option
@click.option("--strategies", help="Comma-separated strategy names (default: every installed one).")
@click.option("--backends", default="tensorflow,jax,torch", show_default=True,
              help="Comma-separated Keras backends to measure (the others' cells say 'not checked').")
def capabilities(output: str, force: bool, strategies: str | None, backends: str) -> None:
    """Measure every installed strategy's capability matrix and write it as Markdown (docs/capabilities.md)."""
    from ..capabilities.matrix import capability_matrix
    from ..capabilities.matrix import markdown
    from ..files import WouldOverwrite
    from ..files import write_text

    if os.path.exists(output) and not force:  # refused before minutes of measuring, not after
        raise WouldOverwrite(Path(output))

    registry = get_registry()
    names = [s.strip() for s in strategies.split(",")] if strategies else None
    for name in names or []:
        registry.strategy(name)
    rows = capability_matrix(registry, names, backends=[b.strip() for b in backends.split(",")])
    write_text(output, markdown(rows), overwrite=force)
    click.echo(f"wrote {output} ({len(rows)} rows)")


def register(cli: click.Group) -> None:
    for command in (plugins, schema, specs, new_plugin, help_command, capabilities):
        cli.add_command(command)
