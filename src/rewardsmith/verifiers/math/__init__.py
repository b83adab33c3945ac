"""Math answer verification: ``extract_answer``, ``is_equiv``, ``verify`` and the ``math_equiv`` reward.

Stable API (other packages import these names)::

    from rewardsmith.verifiers.math import extract_answer, is_equiv, verify
"""

from rewardsmith.verifiers.math.equiv import (
    DEFAULT_TOLERANCE,
    compare,
    is_equiv,
    reference_answer,
    verify,
    verify_detailed,
)
from rewardsmith.verifiers.math.extract import extract_answer, find_answer
from rewardsmith.verifiers.math.reward import math_equiv

__all__ = [
    "DEFAULT_TOLERANCE",
    "compare",
    "extract_answer",
    "find_answer",
    "is_equiv",
    "math_equiv",
    "reference_answer",
    "verify",
    "verify_detailed",
]
