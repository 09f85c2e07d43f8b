"""`python -m frontdesk.cli`: the frontdesk command."""

import sys

from frontdesk.cli import main

sys.exit(main())
