"""The application layer: one handler per command, the cross-stream facts, the command bus."""

from sco_registry.application.bus import HANDLERS, handle
from sco_registry.application.context import CommandContext, CommandResult

__all__ = ["HANDLERS", "CommandContext", "CommandResult", "handle"]
