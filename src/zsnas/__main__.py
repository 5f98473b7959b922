"""``python -m zsnas`` = the ``zsnas`` command."""
import sys

from .cli.main import main

sys.exit(main())
