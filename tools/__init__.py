"""Maintenance scripts: executing notebooks, writing student copies."""
