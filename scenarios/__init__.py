"""Scenarios to 2030 (sober, trend, intensive): definitions as data files and the projection.

Depends on ``footprint`` only. Filled by the scenarios issue.
"""
