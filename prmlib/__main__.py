import sys

from prmlib.cli import main

sys.exit(main())
