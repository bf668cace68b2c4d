"""``python -m local.sample_data``: rewrite ``events/sample_day/`` from the generator."""

from local.sample_data.generate import main

if __name__ == "__main__":
    main()
