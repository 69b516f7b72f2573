"""The demo plant: its content in plant.toml, and the seeded rules that load it.

`load_demo_plant(session, now, seed)` adds a deterministic metal-parts plant with six
months of history; `kaizen demo-data` and the tests use it.
"""

from .loader import (
    DEMO_PASSWORD,
    DemoPlantError,
    DemoSummary,
    demo_name_clashes,
    load_demo_plant,
)

__all__ = [
    "DEMO_PASSWORD",
    "DemoPlantError",
    "DemoSummary",
    "demo_name_clashes",
    "load_demo_plant",
]
