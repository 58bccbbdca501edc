"""``python -m bot`` is the same as ``mailflow``."""

from bot.cli import main

raise SystemExit(main())
