import sys

from verification.paper import main

sys.exit(main())
