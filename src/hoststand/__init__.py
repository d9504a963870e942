"""hoststand: the real-time backend for restaurant host stands."""

__version__ = "0.1.0"
