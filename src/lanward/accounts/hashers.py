"""Argon2id with explicit parameters, so the cost is a decision and not a library default."""

from django.contrib.auth.hashers import Argon2PasswordHasher


class Argon2idHasher(Argon2PasswordHasher):
    # OWASP Password Storage Cheat Sheet, first option: m=19 MiB, t=2, p=1.
    time_cost = 2
    memory_cost = 19456
    parallelism = 1
