"""From a :class:`Spec` to a checked graph: ids, edges, order, static shapes."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from dataclasses import field
from typing import Any
from typing import Callable

from ..errors import Diagnostic
from ..errors import NotFoundError
from ..errors import ParameterError
from ..errors import SpecError
from ..errors import available
from .estimate import Estimate
from .guides import check_guide_shape
from .guides import guide_reference_problem
from .pair import check_pair
from .estimate import activation_bytes
from .estimate import estimate
from .estimate import human_bytes
from .shapes import Inferred
from .shapes import Shape
from .shapes import ShapeProblem
from .shapes import fmt
from .shapes import infer_layer
from .shapes import infer_upsample
from .shapes import per_axis
from ..registry.registry import Registry
from ..registry.registry import get_registry
from ..registry.strategy import Strategy
from ..modelspec.model import Entry
from ..modelspec.model import LayerEntry
from ..modelspec.model import UpsampleEntry
from ..modelspec.model import Spec


@dataclass
class Node:
    """An input or a ``layers:`` entry."""

    id: str
    inputs: list[str]
    entry: Entry | None = None
    index: int | None = None  # position in ``layers:``; None for inputs
    shape: Shape | None = None
    notes: tuple[str, ...] = ()
    #: static parameter count and activation bytes per example (``upspec.graph.estimate``)
    estimate: Estimate | None = None
    #: the node whose output guides this upsample entry (``guide:``): a second edge, of kind "guide"
    guide: str | None = None
    #: the guide's static shape, once shapes are inferred
    guide_shape: Shape | None = None

    @property
    def sources(self) -> list[str]:
        """Every node this one reads: its inputs, then its guide."""
        return self.inputs + ([self.guide] if self.guide is not None else [])

    @property
    def kind(self) -> str:
        return "input" if self.entry is None else self.entry.kind

    @property
    def type_name(self) -> str:
        return "Input" if self.entry is None else self.entry.type_name

    @property
    def label(self) -> str:
        """How messages name this node: ``entry 'up'``, ``layers[3] (Conv2D)`` or ``an input``."""
        return "an input" if self.entry is None or self.index is None else self.entry.label(self.index)

    @property
    def path(self) -> tuple:
        return ("inputs", self.id) if self.index is None else ("layers", self.index)


@dataclass
class Graph:
    spec: Spec
    nodes: dict[str, Node]  # inputs first, then entries in topological order
    outputs: list[str]
    warnings: list[Diagnostic] = field(default_factory=list)

    @property
    def inputs(self) -> list[Node]:
        return [n for n in self.nodes.values() if n.entry is None]

    @property
    def entries(self) -> list[Node]:
        return [n for n in self.nodes.values() if n.entry is not None]

    def consumers(self, node_id: str) -> list[str]:
        return [n.id for n in self.nodes.values() if node_id in n.sources]


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


class _GraphBuilder:
    def __init__(self, spec: Spec, registry: Registry) -> None:
        self.spec = spec
        self.registry = registry
        self.errors: list[Diagnostic] = []
        self.warnings: list[Diagnostic] = []
        self._nodes: dict[str, Node] = {}
        self.shaped: dict[str, Node] = {}

    def error(self, path: tuple, message: str, hint: str = "", key: bool = False) -> None:
        self.errors.append(self._diagnostic(path, message, hint, key))

    def _diagnostic(self, path: tuple, message: str, hint: str = "", key: bool = False) -> Diagnostic:
        return self.spec.diagnostic(path, message, hint, key=key)

    # -- wiring --------------------------------------------------------------

    def nodes(self) -> dict[str, Node]:
        nodes: dict[str, Node] = {name: Node(name, []) for name in self.spec.inputs}
        explicit = {e.id for e in self.spec.layers if e.id}
        previous: str | None = None
        for index, entry in enumerate(self.spec.layers):
            node_id = entry.id or self._auto_id(entry, index, explicit | set(nodes))
            if node_id in nodes:
                first = nodes[node_id]
                where = "an input" if first.index is None else f"layers[{first.index}]"
                self.error(("layers", index, "id"), f"duplicate id {node_id!r}", f"already used by {where}")
                continue
            if entry.inputs is not None:
                inputs = list(entry.inputs)
            elif previous is not None:
                inputs = [previous]
            elif len(self.spec.inputs) == 1:
                inputs = list(self.spec.inputs)
            else:
                self.error(("layers", index), f"{entry.label(index)} has no 'inputs:' and the spec has several inputs",
                           "say which: " + ", ".join(self.spec.inputs))
                inputs = []
            nodes[node_id] = Node(node_id, inputs, entry, index, guide=getattr(entry, "guide", None))
            previous = node_id
        for node in nodes.values():
            for position, name in enumerate(node.inputs):
                if name not in nodes:
                    self.error(node.path + ("inputs", position) if node.entry and node.entry.inputs else node.path,
                               f"{node.label} takes input {name!r}, which is not defined",
                               available(nodes.keys() - {node.id}, name))
                elif name == node.id:
                    self.error(node.path + ("inputs",), f"{node.label} takes its own output as input")
            if node.guide is not None:
                problem = guide_reference_problem(node, nodes)
                if problem is not None:
                    self.error(node.path + ("guide",), *problem)
        return nodes

    @staticmethod
    def _auto_id(entry: Entry, index: int, taken: set[str]) -> str:
        base = f"{_snake(entry.type_name)}_{index}"
        candidate, n = base, 1
        while candidate in taken:
            candidate, n = f"{base}_{n}", n + 1
        return candidate

    def order(self, nodes: dict[str, Node]) -> list[str] | None:
        """Kahn's topological order, inputs first; None after reporting a cycle."""
        pending = {n.id: {i for i in n.sources if i in nodes} for n in nodes.values()}
        ordered = [name for name in nodes if not pending[name]]
        done = set(ordered)
        progress = True
        while progress:
            progress = False
            for name, needs in pending.items():
                if name not in done and needs <= done:
                    ordered.append(name)
                    done.add(name)
                    progress = True
        if len(ordered) == len(nodes):
            return ordered
        stuck = [name for name in nodes if name not in done]
        cycle = self._cycle(stuck, pending)
        first = nodes[cycle[0]]
        self.error(first.path, "the layers form a cycle: " + " -> ".join(cycle + [cycle[0]]),
                   "a graph must flow from the inputs to the outputs; check the 'inputs:' of these entries")
        return None

    @staticmethod
    def _cycle(stuck: list[str], pending: dict[str, set[str]]) -> list[str]:
        path: list[str] = []
        current = stuck[0]
        while current not in path:
            path.append(current)
            current = next(i for i in pending[current] if i in stuck)
        return path[path.index(current):][::-1]

    def outputs(self, nodes: dict[str, Node]) -> list[str]:
        if self.spec.outputs is None:
            return [next(reversed(nodes))] if len(nodes) > len(self.spec.inputs) else []
        for position, name in enumerate(self.spec.outputs):
            if name not in nodes:
                self.error(("outputs", position), f"output {name!r} is not defined", available(nodes, name))
        return list(self.spec.outputs)

    def reachability(self, nodes: dict[str, Node], outputs: list[str]) -> None:
        used: set[str] = set()
        stack = [o for o in outputs if o in nodes]
        while stack:
            name = stack.pop()
            if name not in used:
                used.add(name)
                stack.extend(i for i in nodes[name].sources if i in nodes)
        for node in nodes.values():
            if node.id in used:
                continue
            if node.entry is None:
                self.error(node.path, f"input {node.id!r} is not used by any output",
                           "remove it, or feed it to an entry with 'inputs:'", key=True)
            else:
                self.warnings.append(Diagnostic(**{
                    **self._diagnostic(node.path, f"{node.label} is not used by any output",
                                       "remove it, or list it under 'outputs:'").__dict__,
                    "severity": "warning",
                }))

    # -- shapes --------------------------------------------------------------

    def shapes(self, nodes: dict[str, Node], order: list[str]) -> None:
        self.shaped = nodes
        for name in order:
            node = nodes[name]
            if node.entry is None:
                node.shape = tuple(self.spec.inputs[name])
                node.estimate = Estimate(0, activation_bytes(node.shape))
                continue
            parents = [nodes[i] for i in node.inputs]
            notes = tuple(dict.fromkeys(note for p in parents for note in p.notes))
            try:
                inferred = self._infer(node, parents, notes)
            except ShapeProblem as problem:
                key = problem.key if problem.key and (problem.key in node.entry.params
                                                      or problem.key in ("inputs", "upsample", "guide")) else None
                path = node.path + ((key,) if key else ())
                self.error(path, f"{node.label}: {problem.message}", problem.hint)
                continue
            except Exception:  # noqa: BLE001 - a parameter of an odd form: the rules never crash, Keras will say more
                inferred = Inferred(None, notes)
            node.shape, node.notes = inferred.shape, inferred.notes
            node.estimate = estimate(node.kind, node.type_name,
                                     node.entry.params if isinstance(node.entry, UpsampleEntry) else self._with_defaults(node.entry),
                                     [p.shape for p in parents], node.shape)

    def _infer(self, node: Node, parents: list[Node], notes: tuple[str, ...]) -> Inferred:
        entry = node.entry
        assert entry is not None
        label = node.label
        if isinstance(entry, UpsampleEntry):
            if len(parents) != 1:
                raise ShapeProblem(f"an upsample entry takes one input; it got {len(parents)}", "inputs")
            strategy = self.registry.strategy(entry.upsample)
            inferred = infer_upsample(entry.upsample, strategy.ranks, entry.params, parents[0].shape, notes)
            if node.guide is not None:
                node.guide_shape = self._nodes[node.guide].shape
                check_guide_shape(node, self._nodes[node.guide], parents[0], inferred)
            self._strategy_check(node, strategy, parents[0].shape)
            return inferred
        params = self._with_defaults(entry)
        return infer_layer(entry.layer, params, [p.shape for p in parents], [p.id for p in parents], notes, label)

    def _strategy_check(self, node: Node, strategy: Any, shape: Shape | None) -> None:
        """The strategy's own static checks (``Strategy.check``), as a problem at the key it names."""
        if shape is None or type(strategy).check is Strategy.check:
            return
        assert isinstance(node.entry, UpsampleEntry)
        params = {name: node.entry.params[name] if name in node.entry.params else p.default
                  for name, p in self.registry.parameters(node.entry.upsample).items()
                  if name in node.entry.params or not p.required}
        params["factor"] = per_axis(params["factor"], len(shape) - 1, "factor")
        guide = self._nodes.get(node.guide) if node.guide is not None else None
        try:
            strategy.check(tuple(shape), guide_shape=None if guide is None or guide.shape is None else tuple(guide.shape),
                           **params)
        except ParameterError as problem:
            raise ShapeProblem(problem.message, problem.key, problem.hint) from None

    # -- budgets -------------------------------------------------------------

    def budget(self, nodes: list[Node]) -> None:
        """The static estimates against ``limits:``; over budget is an error at the entry that costs most."""
        limits = self.spec.limits
        checks: tuple[tuple[str, int, str, str], ...] = (
            ("params", limits.max_params, "--max-params", "max_params"),
            ("memory", int(limits.max_memory), "--max-memory", "max_memory"))  # a size string is parsed to bytes
        for what, budget, option, key in checks:
            costs = [(getattr(n.estimate, what) or 0, n) for n in nodes if n.estimate is not None]
            total = sum(cost for cost, _ in costs)
            if total <= budget:
                continue
            cost, worst = max(costs, key=lambda item: item[0])
            if what == "params":
                message = f"the model would have about {total:,} parameters, over the budget of {budget:,}"
            else:
                message = (f"the model's activations would take about {human_bytes(total)} per example, "
                           f"over the budget of {human_bytes(budget)}")
            share = f"{cost:,} parameters" if what == "params" else human_bytes(cost)
            where = worst.path
            if worst.entry is not None:
                driver = [k for k in [self._params_driver(worst) if what == "params" else self._memory_driver(worst)] if k]
                where += (driver[0],) if driver else ()
                label = worst.label
            else:
                label = f"input {worst.id!r}"
            self.error(where, f"{message}; {label} alone takes {share}",
                       f"if this is intended, raise the budget with {option} or 'limits: {{{key}: ...}}' in the spec")

    def _params_driver(self, node: Node) -> str | None:
        """The value of ``node``'s entry that makes its parameter count big: the one whose reset to 1 shrinks
        the estimate most (``filters: 1000000000`` rather than the ``factor: 2`` beside it)."""
        entry = node.entry
        assert entry is not None
        params = entry.params if isinstance(entry, UpsampleEntry) else self._with_defaults(entry)
        parents = [self.shaped[name].shape for name in node.inputs]
        best, best_cost = None, None
        for key in ("filters", "units", "kernel_size", "factor", "size"):
            if key not in entry.params or entry.params[key] is None:
                continue
            cost = estimate(node.kind, node.type_name, {**params, key: 1}, parents, node.shape).params
            if cost is not None and (best_cost is None or cost < best_cost):
                best, best_cost = key, cost
        return best

    def _memory_driver(self, node: Node) -> str | None:
        """The value that makes ``node``'s activations big: the upsample factor, or the filters when they widen
        the channels more than the factor enlarges the spatial size."""
        params = node.entry.params if node.entry is not None else {}
        if isinstance(node.entry, UpsampleEntry) and params.get("filters") and node.inputs:
            parent = self.shaped[node.inputs[0]].shape
            try:
                growth = math.prod(per_axis(params["factor"], len(parent) - 1, "factor")) if parent else 1
                widening = int(params["filters"]) / int(parent[-1]) if parent and parent[-1] else 1
            except (TypeError, ValueError, ShapeProblem):
                growth, widening = 1, 0
            if widening > growth:
                return "filters"
        return next((k for k in ("factor", "size", "filters", "units", "kernel_size") if k in params), None)

    def _with_defaults(self, entry: LayerEntry) -> dict[str, Any]:
        try:
            signature = self.registry.layer_signature(entry.layer)
        except NotFoundError:
            return dict(entry.params)
        defaults = {k: signature.default(k) for k in signature.parameters}
        return {**defaults, **entry.params}

    def build(self) -> Graph:
        nodes = self.nodes()
        self._nodes = nodes
        outputs = self.outputs(nodes)
        order = self.order(nodes) if not self.errors else None
        if order is not None:
            self.reachability(nodes, outputs)
            self.shapes(nodes, order)
            if not self.errors:
                self.budget([nodes[name] for name in order])
        if self.errors:
            raise SpecError(sorted(self.errors, key=lambda d: (d.line, d.column)))
        assert order is not None  # no order means a cycle, which is an error
        ordered = {name: nodes[name] for name in order}
        return Graph(self.spec, ordered, outputs, self.warnings)


def build_graph(spec: Spec, registry: Registry | None = None) -> Graph:
    """Wire the spec's entries, order them and infer static shapes.

    Raises :class:`SpecError` for duplicate ids, undefined references,
    cycles, unused inputs and shape mistakes, each at the entry that causes
    it. Unused entries are warnings (``Graph.warnings``).
    """
    registry = registry or get_registry()
    graph = _GraphBuilder(spec, registry).build()
    check = KIND_CHECKS.get(spec.kind)
    if check is not None:
        check(graph, registry, build_graph)
    return graph


#: checks of a whole graph by spec kind (a GAN's: the discriminator takes what the generator makes); a plugin
#: that registers a kind may add its own: ``KIND_CHECKS[name] = check(graph, registry, build_graph)``
KIND_CHECKS: dict[str, Callable[[Graph, Registry, Callable[..., Graph]], Any]] = {"gan": check_pair}


__all__ = ["Graph", "Node", "build_graph", "fmt"]
