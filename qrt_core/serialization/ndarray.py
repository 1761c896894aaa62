"""numpy arrays and scipy sparse matrices on the wire: the ``.npy``/``.npz`` bytes numpy writes,
read back without pickle and only after checking that every header matches the bytes present."""

from __future__ import annotations

import io
import warnings
import zipfile
from typing import Any

from ..exceptions import DecodeError
from .limits import b64decode, b64encode, deflate, inflate, max_decompressed_bytes

__all__ = ["encode_ndarray", "decode_ndarray", "read_npy", "encode_sparse", "decode_sparse"]

# IBM's decoder passes these strings through under the "ndarray" tag (extrapolator names that an
# old encoder wrote there); kept so its payloads decode the same here.
_PASSTHROUGH = frozenset(
    {"linear", "exponential", "double_exponential", "fallback"}
    | {f"polynomial_degree_{n}" for n in range(1, 8)}
)


def _private_format() -> Any:
    """numpy's .npy module with its private helpers (moved in numpy 2)."""
    try:
        from numpy.lib import _format_impl as impl
    except ImportError:  # numpy 1.x
        from numpy.lib import format as impl
    return impl


def encode_ndarray(array: Any) -> Any:
    """``np.save`` bytes in a zlib stream, base64-encoded; object arrays as nested lists."""
    import numpy as np
    from numpy.lib import format as npy

    if array.dtype == object:
        return array.tolist()
    if array.dtype.hasobject:
        raise TypeError(f"arrays of dtype {array.dtype} hold Python objects and have no wire form")
    if not (array.flags.c_contiguous or array.flags.f_contiguous):
        array = np.ascontiguousarray(array)
    header_data = npy.header_data_from_array_1_0(array)
    header = io.BytesIO()
    try:
        npy.write_array_header_1_0(header, header_data)
    except UnicodeEncodeError:  # non-Latin-1 field names need format 3.0, as np.save chooses
        header = io.BytesIO()
        with warnings.catch_warnings():  # "only readable by NumPy >= 1.17"
            warnings.simplefilter("ignore", UserWarning)
            _private_format()._write_array_header(header, header_data, (3, 0))
    except ValueError:  # headers over 64 KiB need format 2.0
        header = io.BytesIO()
        npy.write_array_header_2_0(header, header_data)
    body = array.T if header_data["fortran_order"] else array
    # Zero-copy view of the bytes: the array itself feeds zlib, no np.save buffer in between.
    data = memoryview(body.reshape(-1).view(np.uint8)) if body.dtype.itemsize else b""
    return b64encode(deflate([header.getvalue(), data]))


def read_npy(raw: bytes, tag: str = "ndarray") -> Any:
    """Parse ``.npy`` bytes: refuses pickled objects, and any header whose shape does not match
    the number of bytes that follow (no allocation is made from a header alone)."""
    import numpy as np
    from numpy.lib import format as npy

    stream = io.BytesIO(raw)
    try:
        version = npy.read_magic(stream)
        if version == (1, 0):
            shape, fortran_order, dtype = npy.read_array_header_1_0(stream)
        elif version == (2, 0):
            shape, fortran_order, dtype = npy.read_array_header_2_0(stream)
        else:  # 3.0 (UTF-8 field names) has no public reader
            shape, fortran_order, dtype = _private_format()._read_array_header(stream, version)
    except (ValueError, EOFError, OSError, TypeError) as exc:
        raise DecodeError(f"{tag!r} value is not a valid .npy payload: {exc}") from None
    if dtype.hasobject:
        raise DecodeError(f"{tag!r} value holds Python objects (pickle), which is refused.")
    count = 1
    for dim in shape:
        count *= dim
    offset = stream.tell()
    expected = count * dtype.itemsize
    if count < 0 or len(raw) - offset != expected:
        raise DecodeError(
            f"{tag!r} value is malformed: its header describes shape {shape} of {dtype} "
            f"({expected} bytes) but {len(raw) - offset} bytes follow."
        )
    flat = np.frombuffer(raw, dtype=dtype, count=count, offset=offset).copy()  # copy: writable
    if fortran_order:
        return flat.reshape(shape[::-1]).T
    return flat.reshape(shape)


def decode_ndarray(value: Any) -> Any:
    """Inverse of :func:`encode_ndarray`; numbers and lists become arrays, as IBM's decoder does."""
    if isinstance(value, str):
        if value in _PASSTHROUGH:
            return value
        return read_npy(inflate(b64decode(value, "ndarray"), "ndarray"))
    if isinstance(value, (int, float, list)):
        import numpy as np

        return np.array(value)
    raise DecodeError(f"'ndarray' value must be a base64 string or a list, got {type(value).__name__}.")


def encode_sparse(matrix: Any) -> str:
    """``scipy.sparse.save_npz`` bytes (a zip archive, compressed by numpy), base64-encoded."""
    from scipy.sparse import save_npz

    buffer = io.BytesIO()
    save_npz(buffer, matrix)
    return b64encode(buffer.getvalue())


def decode_sparse(value: Any) -> Any:
    """Inverse of :func:`encode_sparse`; each member of the archive is checked before scipy
    reads it, so neither its declared sizes nor its headers can exceed the limit in force."""
    raw = b64decode(value, "spmatrix")
    limit = max_decompressed_bytes()
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            members = archive.infolist()
            total = sum(member.file_size for member in members)
            if total > limit:
                raise DecodeError(f"'spmatrix' value expands beyond the limit of {limit} bytes.")
            for member in members:
                read_npy(archive.read(member), "spmatrix")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError) as exc:
        if isinstance(exc, DecodeError):
            raise
        raise DecodeError(f"'spmatrix' value is not a valid .npz archive: {exc}") from None
    from scipy.sparse import load_npz

    return load_npz(io.BytesIO(raw))
