"""``python -m gongkai.synth``: see gongkai/synth/__init__.py."""
import sys

from gongkai.synth import main

sys.exit(main())
