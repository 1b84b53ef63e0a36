"""The bottom layer: atomic file writes, plotting and argument checks, with no model in sight."""
