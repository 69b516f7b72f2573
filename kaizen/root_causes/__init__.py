"""Five-whys root-cause records."""
