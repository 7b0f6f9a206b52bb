"""A hard per-device budget of login attempts, so no check locks a device's owner out."""

from __future__ import annotations


class Budget:
    """Counts attempts on one device; `take()` is False once `limit` have been used."""

    def __init__(self, limit: int) -> None:
        if limit < 0:
            raise ValueError("the attempt budget cannot be negative")
        self.limit = limit
        self.used = 0

    def take(self) -> bool:
        if self.used >= self.limit:
            return False
        self.used += 1
        return True

    @property
    def remaining(self) -> int:
        return self.limit - self.used

    @property
    def exhausted(self) -> bool:
        return self.used >= self.limit
