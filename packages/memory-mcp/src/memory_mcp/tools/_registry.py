"""Collecting tools with strict argument models: unknown argument names are rejected.

The SDK's argument models accept (and drop) keys they do not know, so a misspelt
optional argument would be silently ignored. Each tool here gets a subclass of
its generated model that forbids extra keys, and its published input schema says
``"additionalProperties": false``.
"""

from collections.abc import Callable
from typing import Any, TypeVar

from mcp.server.mcpserver.tools import Tool
from mcp.server.mcpserver.utilities.func_metadata import ArgModelBase
from mcp_types import ToolAnnotations
from pydantic import ConfigDict

__all__ = ["ToolSet"]

F = TypeVar("F", bound=Callable[..., Any])


class ToolSet:
    """The tools of a server, built from annotated functions; pass ``.tools`` to ``MCPServer``."""

    def __init__(self) -> None:
        self.tools: list[Tool] = []

    def add(self, annotations: ToolAnnotations) -> Callable[[F], F]:
        """Decorator registering ``fn`` as a tool with structured output and strict arguments."""

        def register(fn: F) -> F:
            tool = Tool.from_function(fn, annotations=annotations, structured_output=True)
            generated = tool.fn_metadata.arg_model
            strict: type[ArgModelBase] = type(
                generated.__name__,
                (generated,),
                {
                    "model_config": ConfigDict(extra="forbid", arbitrary_types_allowed=True),
                    "__module__": generated.__module__,
                },
            )
            tool.fn_metadata.arg_model = strict
            tool.parameters = strict.model_json_schema(by_alias=True)
            self.tools.append(tool)
            return fn

        return register
