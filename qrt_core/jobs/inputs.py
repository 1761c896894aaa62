"""Checking a job's inputs before it is queued: the encode/decode round trip of the wire format
and the program's parameter schema, applied to the encoded form (what the program will receive)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ..exceptions import InputValidationError
from ..metadata import json_path
from ..program import ParameterNamespace
from .wire import runtime_decoder, runtime_encoder

__all__ = ["encode_inputs"]


def encode_inputs(program: Any, inputs: Any) -> str:
    """``inputs`` (a dict, a ``ParameterNamespace`` or ``None``) JSON-encoded as the job stores
    them, after checking that they survive the encode/decode round trip and that their encoded
    form matches ``program``'s parameter schema. Raises :class:`InputValidationError` listing every
    problem with its JSON path."""
    if inputs is None:
        data: dict[Any, Any] = {}
    elif isinstance(inputs, ParameterNamespace):
        data = inputs.to_inputs()
    elif isinstance(inputs, Mapping):
        data = dict(inputs)
    else:
        raise InputValidationError(
            program.name, [("$", f"inputs must be a dict or a ParameterNamespace, got {type(inputs).__name__}")]
        )
    bad_keys = [key for key in data if not isinstance(key, str)]
    if bad_keys:
        raise InputValidationError(program.name, [("$", f"input names must be strings, got {key!r}") for key in bad_keys])
    encoder = runtime_encoder()
    try:
        text = json.dumps(data, cls=encoder)
    except Exception as exc:  # noqa: BLE001 - a codec may raise anything; it is the input's problem
        errors = []
        for key, value in data.items():
            try:
                json.dumps(value, cls=encoder)
            except Exception as item_exc:  # noqa: BLE001
                errors.append((json_path([key]), f"cannot be encoded: {item_exc}"))
        raise InputValidationError(program.name, errors or [("$", f"cannot be encoded: {exc}")]) from None
    try:
        json.loads(text, cls=runtime_decoder())
    except Exception as exc:  # noqa: BLE001 - any decode failure is the input's problem
        raise InputValidationError(program.name, [("$", f"does not decode back after encoding: {exc}")]) from None
    program.validate_inputs(json.loads(text))
    return text
