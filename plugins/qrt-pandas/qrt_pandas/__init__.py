"""qrt-pandas: pandas ``DataFrame``, ``Series`` and ``Index`` through qrt's JSON wire format, and a
``"dataframe"`` result decoder.

The plugin is :mod:`qrt_pandas.plugin` (the ``qrt.plugins`` entry point). Importing this package
does not import pandas; the codecs are built when qrt first encodes or decodes.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
