"""``RuntimeDecoder``: the JSON decoder of the runtime wire format. It dispatches on ``__type__``
through the codec table, hands unknown tags back as plain dicts, and turns every malformed payload
into a :class:`~qrt_core.DecodeError`."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from ..exceptions import DecodeError
from .codec_table import current_codec_table
from .limits import decompression_limit, limit_in_force, max_decompressed_bytes
from .safety import decode_settings

__all__ = ["RuntimeDecoder", "InvalidJSONError"]


class InvalidJSONError(DecodeError, json.JSONDecodeError):
    """The text is not JSON at all (both a :class:`DecodeError` and a ``json.JSONDecodeError``)."""


class RuntimeDecoder(json.JSONDecoder):
    """JSON decoder for runtime inputs, interim results and results.

    ``json.loads(text, cls=RuntimeDecoder)``; pass ``max_decompressed_bytes=N`` to lower or raise
    the ceiling on how far one compressed value may expand (default: see
    :func:`qrt_core.serialization.max_decompressed_bytes`).
    """

    def __init__(self, *args: Any, max_decompressed_bytes: int | None = None, **kwargs: Any) -> None:
        kwargs.pop("encoding", None)
        kwargs["object_hook"] = self.object_hook
        super().__init__(*args, **kwargs)
        self.max_decompressed_bytes = max_decompressed_bytes
        self._decoders: dict[str, Callable[[Any], Any]] | None = None

    def decode(self, s: str, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        limit = self.max_decompressed_bytes
        if limit is None:
            if limit_in_force() is not None:  # decoding inside another decode: already set
                return self._decode(s, *args, **kwargs)
            limit = max_decompressed_bytes()  # read the environment once per document
        with decompression_limit(limit):
            return self._decode(s, *args, **kwargs)

    def _decode(self, s: str, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().decode(s, *args, **kwargs)
        except InvalidJSONError:
            raise
        except DecodeError as exc:
            if getattr(exc, "path", None) is not None:
                raise
            raise self._locate(s, exc) from exc.__cause__
        except json.JSONDecodeError as exc:
            raise InvalidJSONError(exc.msg, exc.doc, exc.pos) from None
        except RecursionError:
            raise DecodeError("The JSON document is nested too deeply to decode.") from None

    def decode_parsed(self, value: Any, path: str = "$") -> Any:
        """Decode the tagged objects inside a value already parsed by plain ``json.loads``
        (innermost first, as the parser would have); a failure names its JSON path."""
        if isinstance(value, dict):
            obj = {key: self.decode_parsed(item, f"{path}.{key}") for key, item in value.items()}
            try:
                return self.object_hook(obj)
            except DecodeError as exc:
                if getattr(exc, "path", None) is not None:
                    raise
                located = DecodeError(f"at {path}: {exc}")
                located.path = path  # type: ignore[attr-defined]
                raise located from exc.__cause__
        if isinstance(value, list):
            return [self.decode_parsed(item, f"{path}[{index}]") for index, item in enumerate(value)]
        return value

    def _locate(self, text: str, error: DecodeError) -> DecodeError:
        """The same error, naming where in the document it happened (found by decoding again,
        step by step; only done once decoding has already failed)."""
        try:
            self.decode_parsed(json.loads(text))
        except DecodeError as located:
            if getattr(located, "path", None) is not None:
                return located
        except Exception:  # noqa: BLE001 - the original error is the one to report
            pass
        return error

    def object_hook(self, obj: dict[str, Any]) -> Any:
        """Decode one JSON object: a tagged value becomes its Python object."""
        if "__type__" not in obj:
            return obj
        tag = obj["__type__"]
        if type(tag) is not str or "__value__" not in obj:
            return obj
        if tag == "to_json":  # the seed's contract: the decoder hands back the to_json() text
            return obj["__value__"]
        if tag == "settings":
            return _guarded(tag, decode_settings, obj)
        decoders = self._decoders
        if decoders is None:
            decoders = self._decoders = current_codec_table().decoders
        decode = decoders.get(tag)
        if decode is None:
            return obj
        return _guarded(tag, decode, obj["__value__"])


def _guarded(tag: str, decode: Callable[[Any], Any], value: Any) -> Any:
    try:
        return decode(value)
    except DecodeError:
        raise
    except Exception as exc:
        raise DecodeError(f"Cannot decode a {tag!r} value: {type(exc).__name__}: {exc}") from exc
