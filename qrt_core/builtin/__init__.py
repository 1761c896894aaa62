"""qrt's built-in plugins: ordinary plugin modules registered through the public hooks."""
