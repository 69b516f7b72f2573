"""Benchmarks: a synthetic plant (`data`) and the load harness behind `kaizen bench` (`run`)."""
