"""``python -m relais`` is the ``relais`` command."""

from relais.cli import main

main()
