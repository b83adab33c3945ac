"""Bearer-token check for the scoring endpoints (constant-time comparison)."""

from __future__ import annotations

import hmac


def token_matches(header: str | None, token: str | None) -> bool:
    """Whether an ``Authorization`` header carries ``Bearer <token>``; everything passes when token is None.

    >>> token_matches("Bearer s3cret", "s3cret"), token_matches("Bearer nope", "s3cret"), token_matches(None, "s3cret")
    (True, False, False)
    >>> token_matches(None, None)
    True
    """
    if token is None:
        return True
    if not header:
        return False
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(value.strip().encode(), token.encode())
