"""upspec's built-in plugins.

Each module is a plain pluggy plugin, registered through the same code path
as a third-party plugin (see ``upspec.registry.plugins.BUILTIN_PLUGINS``).
"""
