"""Frontdesk: e-mail tickets and live chat behind several vendor-compatible HTTP APIs."""

__version__ = "0.1.0"
