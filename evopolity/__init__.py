"""evopolity."""
