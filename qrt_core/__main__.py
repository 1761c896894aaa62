"""``python -m qrt_core``: the ``qrt`` command line."""

from __future__ import annotations

import os
import sys


def _forget_current_folder() -> None:
    # ``python -m`` puts the current folder first on sys.path; the ``qrt`` script does not. Drop it
    # so both import programs the same way, and a folder that happens to share a program's package
    # name (a source checkout, say) cannot shadow the installed program, here or in job workers.
    if sys.path and sys.path[0] and os.path.abspath(sys.path[0]) == os.getcwd():
        del sys.path[0]


if __name__ == "__main__":
    _forget_current_folder()
    from .cli import main

    sys.exit(main())
