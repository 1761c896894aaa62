"""The sample runtime program (``sample-program``), packaged for qrt."""
