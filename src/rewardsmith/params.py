"""Types for reward params that say more than ``int`` or ``float``: written in a reward's signature, they are
checked when a spec loads (the registry builds a strict pydantic model from the signature), so a spec cannot
set a size to 0, a limit below 0, a share above 1 or a weight on a key that does not exist.

    def repetition(completion: str, n: PositiveInt = 3) -> float: ...
    SqlWeights = Annotated[dict[Literal["exec", "syntax"], NonNegativeFloat], AfterValidator(some_weight)]
"""

from __future__ import annotations

from typing import Annotated, TypeVar

from pydantic import AfterValidator, Field, NonNegativeFloat, NonNegativeInt, PositiveFloat, PositiveInt

__all__ = [
    "AfterValidator",
    "AtPath",
    "NonNegativeFloat",
    "NonNegativeInt",
    "PositiveFloat",
    "PositiveInt",
    "UnitFloat",
    "some_weight",
]

class AtPath(ValueError):
    """A param value that is wrong somewhere inside it: ``path`` (keys / indexes into the value) is added to
    the param's location, so a spec error names the nested key and its line (``schema.properties.x.requird``).

    >>> AtPath(("properties", "x", "requird"), "unknown keyword").path
    ('properties', 'x', 'requird')
    """

    def __init__(self, path: tuple[str | int, ...], message: str) -> None:
        super().__init__(message)
        self.path, self.message = path, message


#: A share or a probability: 0 <= x <= 1.
UnitFloat = Annotated[float, Field(ge=0.0, le=1.0)]

K = TypeVar("K")


def some_weight(weights: dict[K, float]) -> dict[K, float]:
    """A weight table must give some weight: all zeros would score every sample 0.

    >>> some_weight({"exec": 0.0, "syntax": 1.0})
    {'exec': 0.0, 'syntax': 1.0}
    >>> some_weight({"exec": 0.0})
    Traceback (most recent call last):
    ...
    ValueError: every weight is 0: the reward would be 0 for every sample
    """
    if weights and not any(v > 0 for v in weights.values()):
        raise ValueError("every weight is 0: the reward would be 0 for every sample")
    return weights
