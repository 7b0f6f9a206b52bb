"""lanward: home network security station and account portal."""

__version__ = "0.1.0"
