"""``python -m bandsense`` is the ``bandsense`` command."""

from bandsense.cli import main

main()
