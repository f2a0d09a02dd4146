"""``python -m sync2nas_core`` runs the command line."""

from .cli import main

main()
