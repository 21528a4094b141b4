"""`python -m sco_registry.cli`: the `sco-registry` command."""

import sys

from sco_registry.cli import main

sys.exit(main())
