"""Argon2id password hashing, off the event loop.

One hash costs tens of milliseconds of CPU and 19 MiB of memory by design; done on the event loop
it would stall every other chat for that long, so each call runs in a worker thread (the Argon2
code releases the GIL). The PHC string stores the parameters beside each hash, so they can be
raised later: ``needs_rehash`` tells the login service to re-hash with the new ones.
"""

from __future__ import annotations

import asyncio
import re
import secrets
import unicodedata
from typing import Final

from cryptography.exceptions import InvalidKey
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

from domain.ports import PasswordHasher

# OWASP Password Storage Cheat Sheet, Argon2id minimum: 19 MiB, 2 passes, 1 lane.
MEMORY_COST_KIB: Final = 19456
ITERATIONS: Final = 2
LANES: Final = 1
SALT_BYTES: Final = 16
HASH_BYTES: Final = 32

_PHC: Final = re.compile(
    r"\$argon2id\$v=19\$m=(?P<m>[0-9]{1,10}),t=(?P<t>[0-9]{1,10}),p=(?P<p>[0-9]{1,10})"
    r"\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+"
)


def _key_material(password: str) -> bytes:
    """NFKC first: full-width letters typed on a phone keyboard match their ASCII originals."""
    return unicodedata.normalize("NFKC", password).encode("utf-8")


class Argon2PasswordHasher(PasswordHasher):
    """Argon2id as a PHC string (``$argon2id$v=19$m=19456,t=2,p=1$salt$hash``).

    Production uses the defaults (OWASP's parameters); tests pass cheap ones such as
    ``memory_cost=1024, iterations=1`` to stay fast.
    """

    def __init__(
        self,
        *,
        memory_cost: int = MEMORY_COST_KIB,
        iterations: int = ITERATIONS,
        lanes: int = LANES,
    ) -> None:
        self._memory_cost = memory_cost
        self._iterations = iterations
        self._lanes = lanes
        # Made once, now, so that the first unknown user costs the same as every later one.
        self._dummy = self._hash_sync(secrets.token_urlsafe(16))

    async def hash(self, password: str) -> str:
        return await asyncio.to_thread(self._hash_sync, password)

    async def verify(self, password: str, encoded: str) -> bool:
        """False for a wrong password and for a stored hash that is malformed; never raises."""
        return await asyncio.to_thread(self._verify_sync, password, encoded)

    def needs_rehash(self, encoded: str) -> bool:
        """True when the stored hash is weaker than today's parameters, or not Argon2id at all."""
        match = _PHC.fullmatch(encoded)
        if match is None:
            return True
        return (
            int(match["m"]) < self._memory_cost
            or int(match["t"]) < self._iterations
            or int(match["p"]) < self._lanes
        )

    async def verify_decoy(self, password: str) -> None:
        await asyncio.to_thread(self._verify_sync, password, self._dummy)

    def _hash_sync(self, password: str) -> str:
        kdf = Argon2id(
            salt=secrets.token_bytes(SALT_BYTES),
            length=HASH_BYTES,
            iterations=self._iterations,
            lanes=self._lanes,
            memory_cost=self._memory_cost,
        )
        return kdf.derive_phc_encoded(_key_material(password))

    @staticmethod
    def _verify_sync(password: str, encoded: str) -> bool:
        try:
            Argon2id.verify_phc_encoded(_key_material(password), encoded)
        except (InvalidKey, ValueError, TypeError):
            return False
        return True
