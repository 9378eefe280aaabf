import sys

from mesoshim.cli import main

sys.exit(main())
