"""Bounded, strict primitives for the wire's binary payloads: base64 and zlib with a ceiling on how
far a payload may expand, so a small document can never inflate into gigabytes."""

from __future__ import annotations

import binascii
import contextvars
import os
import zlib
from collections.abc import Iterator
from contextlib import contextmanager

from ..exceptions import DecodeError

__all__ = [
    "DEFAULT_MAX_DECOMPRESSED_BYTES",
    "MAX_DECOMPRESSED_ENV",
    "max_decompressed_bytes",
    "decompression_limit",
    "Base64Text",
    "b64encode",
    "b64decode",
    "deflate",
    "inflate",
]

#: Ceiling on the bytes one compressed payload may expand to, unless configured otherwise.
DEFAULT_MAX_DECOMPRESSED_BYTES = 1 << 30
#: Environment variable that sets the ceiling (in bytes) for every process that reads it.
MAX_DECOMPRESSED_ENV = "QRT_MAX_DECOMPRESSED_BYTES"

_LIMIT: contextvars.ContextVar[int | None] = contextvars.ContextVar("qrt_max_decompressed", default=None)

try:  # SIMD base64 is ~20x faster than binascii on large arrays; the stdlib is the fallback
    import pybase64 as _b64
except ImportError:  # pragma: no cover - depends on the environment
    _b64 = None  # type: ignore[assignment]


def max_decompressed_bytes() -> int:
    """The ceiling in force: the innermost :func:`decompression_limit`, else the environment
    variable ``QRT_MAX_DECOMPRESSED_BYTES``, else 1 GiB."""
    limit = _LIMIT.get()
    if limit is not None:
        return limit
    raw = os.environ.get(MAX_DECOMPRESSED_ENV)
    if raw:
        try:
            return int(raw)
        except ValueError:
            raise DecodeError(
                f"{MAX_DECOMPRESSED_ENV}={raw!r} is not an integer number of bytes."
            ) from None
    return DEFAULT_MAX_DECOMPRESSED_BYTES


def limit_in_force() -> int | None:
    """The ceiling set by the innermost :func:`decompression_limit`, if any."""
    return _LIMIT.get()


@contextmanager
def decompression_limit(limit: int | None) -> Iterator[None]:
    """Within the block, decoding refuses payloads that expand beyond ``limit`` bytes
    (``None`` keeps the ceiling already in force)."""
    if limit is None:
        yield
        return
    if limit < 0:
        raise ValueError(f"decompression limit must be >= 0 bytes, got {limit}")
    token = _LIMIT.set(int(limit))
    try:
        yield
    finally:
        _LIMIT.reset(token)


class Base64Text(str):
    """Base64 text: it never needs escaping in JSON, which lets the encoder splice large values
    into its output instead of having ``json`` scan them character by character."""

    __slots__ = ()


def b64encode(data: bytes | bytearray | memoryview) -> Base64Text:
    """Standard base64 (with padding) of ``data``, as text."""
    if _b64 is not None:
        return Base64Text(_b64.b64encode(data), "ascii")
    return Base64Text(binascii.b2a_base64(data, newline=False), "ascii")


def b64decode(text: object, tag: str) -> bytes:
    """Decode standard base64; anything else is a :class:`DecodeError` naming ``tag``."""
    if not isinstance(text, str):
        raise DecodeError(f"{tag!r} value must be a base64 string, got {type(text).__name__}.")
    try:
        if _b64 is not None:
            return _b64.b64decode(text, validate=True)
        return binascii.a2b_base64(text.encode("ascii"), strict_mode=True)
    except (binascii.Error, ValueError, UnicodeEncodeError) as exc:
        raise DecodeError(f"{tag!r} value is not valid base64: {exc}.") from None


# Incompressible data (random floats, most amplitudes) costs level 1 ~50x the time of a stored
# block and saves nothing; a probe of the first bytes decides which of the two is worth it.
# Small payloads (circuits) skip the probe: level 1 is twice as fast as zlib's default there.
_PROBE = 1 << 16
_SMALL = 1 << 18
_MAX_RATIO = 1040


def deflate(chunks: list[bytes | memoryview]) -> bytes:
    """A zlib stream of the concatenated ``chunks`` (what ``zlib.decompress`` reads): level 1,
    except for large data whose probe does not compress, which goes in stored blocks."""
    if sum(len(chunk) for chunk in chunks) <= _SMALL:
        return zlib.compress(b"".join(chunks), 1)
    head = bytes(chunks[-1][:_PROBE])
    level = 1 if len(zlib.compress(head, 1)) < 0.9 * len(head) else 0
    comp = zlib.compressobj(level)
    parts = [comp.compress(chunk) for chunk in chunks]
    parts.append(comp.flush())
    return b"".join(parts)


def inflate(data: bytes, tag: str, limit: int | None = None) -> bytes:
    """Decompress one zlib stream, refusing to produce more than the ceiling in force."""
    if limit is None:
        limit = max_decompressed_bytes()
    if len(data) * _MAX_RATIO <= limit:
        # deflate cannot expand beyond ~1032:1, so this stream cannot pass the ceiling
        try:
            return zlib.decompress(data)
        except zlib.error as exc:
            if "incomplete" in str(exc):
                raise DecodeError(f"{tag!r} value is a truncated zlib stream.") from None
            raise DecodeError(f"{tag!r} value is not a valid zlib stream: {exc}.") from None
    inflater = zlib.decompressobj()
    try:
        # max_length 0 means "no limit" to zlib, so a zero ceiling still asks for one byte
        out = inflater.decompress(data, limit + 1 if limit >= 0 else 1)
    except zlib.error as exc:
        raise DecodeError(f"{tag!r} value is not a valid zlib stream: {exc}.") from None
    if len(out) > limit:
        raise DecodeError(
            f"{tag!r} value expands beyond the limit of {limit} bytes; raise it with "
            f"{MAX_DECOMPRESSED_ENV} or qrt_core.serialization.decompression_limit()."
        )
    if not inflater.eof:
        raise DecodeError(f"{tag!r} value is a truncated zlib stream.")
    return out
