"""``python -m memory_mcp.cli``: the ``memory`` command."""

import sys

from . import main

sys.exit(main())
