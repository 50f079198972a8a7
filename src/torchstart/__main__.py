"""`python -m torchstart …` (and `torchrun -m torchstart …`) run the CLI.

The guard matters: with the spawn start method (Windows, macOS) every DataLoader worker imports
this module again as `__mp_main__`; without it each worker would start the whole command again.
"""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
