"""`python -m torchstart …` (and `torchrun -m torchstart …`) run the CLI."""

import sys

from .cli import main

sys.exit(main())
