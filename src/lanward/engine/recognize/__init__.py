"""Recognizers: each turns one kind of observation into evidence about a device."""
