"""A validation error as the person who wrote the file reads it: pydantic's message, and
for an unknown key the known key it most resembles ("did you mean …?"), found in the very
model the key was written in."""

from __future__ import annotations

import difflib
from typing import Any, get_args

from pydantic import BaseModel
from pydantic_core import ErrorDetails


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in get_args(annotation) for m in _models_in(arg)]


def _keys_at(model: type[BaseModel], loc: tuple[int | str, ...]) -> list[str]:
    """The keys the model accepts at `loc` (a list index or a union's tag is passed over)."""
    models = [model]
    for part in loc:
        if not isinstance(part, str):
            continue
        found = [m for current in models if part in current.model_fields
                 for m in _models_in(current.model_fields[part].annotation)]
        if found:
            models = found
    return sorted({k for m in models for k in m.model_fields})


def said(err: ErrorDetails, model: type[BaseModel]) -> str:
    message = err["msg"].removeprefix("Value error, ")
    if err["type"] != "extra_forbidden" or not err["loc"]:
        return message
    key = str(err["loc"][-1])
    close = difflib.get_close_matches(key, _keys_at(model, tuple(err["loc"][:-1])), n=1,
                                      cutoff=0.75)
    return f"unknown key {key!r}" + (f" (did you mean {close[0]!r}?)" if close else "")
