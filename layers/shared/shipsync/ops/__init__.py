"""Tools for the people on call (issue 15): read-only views of what shipsync did."""
