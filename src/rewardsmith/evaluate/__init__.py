"""Evaluate and audit rewards: benchmark harness, hacking probes, distances, training monitors, HTML report."""
