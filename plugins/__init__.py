"""The plugins bundled with Sync2NAS, importable as ``sync2nas_plugins.<name>``.

Each is self-contained: it imports ``sync2nas_core`` and its own libraries,
never another plugin.
"""
