"""The sans-IO engine: typed events in, devices, usage and findings out.

Nothing in here imports Django, opens a socket or a file, or reads the clock: every time comes
in on an event. That keeps it testable from a pcap, a list of dataclasses or a hypothesis strategy.
"""
