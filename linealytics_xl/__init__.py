"""Linealytics XL: weekly wafer-start planning for a semiconductor fab."""

__version__ = "0.1.0"
