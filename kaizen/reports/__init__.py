"""The monthly improvement report: flow metrics, charts, tables and CSV downloads."""
