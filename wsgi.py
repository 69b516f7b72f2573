"""Where `flask` finds the app when no `--app` is given (`flask db check`, `flask routes`):
it calls the factory below. Serving is `kaizen serve` (see README)."""

from kaizen import create_app

__all__ = ["create_app"]
