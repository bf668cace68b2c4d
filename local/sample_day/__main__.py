"""``python -m local.sample_day``: see ``local.sample_day.cli``."""

from local.sample_day.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
