"""Who a plugin is (:class:`PluginInfo`) and what went wrong with one (:class:`PluginProblem`)."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field


@dataclass(frozen=True)
class PluginInfo:
    """Where a plugin came from."""

    name: str
    module: str
    distribution: str
    version: str
    builtin: bool = False
    #: seconds its import took (0 for a plugin not imported here)
    import_s: float = field(default=0.0, compare=False)

    @property
    def label(self) -> str:
        return f'plugin "{self.name}" (distribution {self.distribution} {self.version})'


@dataclass(frozen=True)
class PluginProblem:
    """A plugin that could not be used, and why; the other plugins keep working."""

    plugin: PluginInfo
    message: str

    def format(self) -> str:
        return f"{self.plugin.label}: {self.message}"


#: the plugin named for a result that a hook wrapper added
WRAPPER = PluginInfo("<hook wrapper>", "-", "-", "-")
