"""Reports and the command line (the quarterly deck lands here too)."""
