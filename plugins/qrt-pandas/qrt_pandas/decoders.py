"""``DataFrameDecoder``: a result decoder that hands a program's tabular result back as a DataFrame."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from qrt_core import DecodeError, ResultDecoder

__all__ = ["DataFrameDecoder", "to_dataframe"]


def to_dataframe(value: Any) -> Any:
    """A DataFrame from a decoded result.

    Accepted: a DataFrame (returned as is), a Series (one column), a list of records (dicts, or
    lists for positional columns), a dict of columns (every value a list), or a single record
    (a dict of scalars, giving one row).
    """
    import pandas as pd

    if isinstance(value, pd.DataFrame):
        return value
    if isinstance(value, pd.Series):
        return value.to_frame()
    if isinstance(value, list):
        if not value:
            return pd.DataFrame()
        if all(isinstance(row, Mapping) for row in value):
            return pd.DataFrame.from_records(value)
        if all(isinstance(row, (list, tuple)) for row in value):
            return pd.DataFrame(value)
    if isinstance(value, Mapping):
        if value and all(isinstance(column, list) for column in value.values()):
            return pd.DataFrame(dict(value))
        return pd.DataFrame([dict(value)])
    raise DecodeError(
        f"The 'dataframe' decoder cannot make a DataFrame from {type(value).__name__} "
        f"{_short(value)}; it accepts a list of records (dicts or lists), a dict of columns, "
        "one record (a dict), a Series or a DataFrame."
    )


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


class DataFrameDecoder(ResultDecoder):
    """``job.result(decoder="dataframe")``: a list-of-records result as a ``pandas.DataFrame``."""

    @classmethod
    def decode(cls, data: Any) -> Any:
        return to_dataframe(super().decode(data))
