"""rm_ensemble ``members`` are checked when the spec loads: a typo in a member's key is a spec error naming
the key and its line, before any model is loaded (it used to surface only when the reward first ran)."""

from __future__ import annotations

import pytest

from rewardsmith.models.ensemble import Member
from rewardsmith.models.reward_model import RMSettings
from rewardsmith.spec import SpecError, load_spec

SPEC = """components:
  - name: e
    reward: rm_ensemble
    params:
      members:
        - {model: /models/a, name: a}
        - model: /models/b
          label_idx: 1
"""


def test_member_keys_are_the_reward_model_settings() -> None:
    assert set(Member.__annotations__) - {"name"} == set(RMSettings.__dataclass_fields__) - {"extra"}


def test_unknown_member_key_is_a_spec_error_with_its_line() -> None:
    with pytest.raises(SpecError) as err:
        load_spec(SPEC)
    assert "components[0].params.members[1].label_idx (line 8): unknown key (reward rm_ensemble)" in str(err.value)


@pytest.mark.parametrize(
    "members, message",
    [
        ([], "at least 1 item"),
        ([{"name": "a"}], "members[0].model: Field required"),
        ([{"model": "/x", "batch_size": 0}], "members[0].batch_size: Input should be greater than 0"),
        ([{"model": "/x", "scale": "probability"}], "members[0].scale"),
        ([{"model": "/x", "name": "a"}, {"model": "/y", "name": "a"}], "names must be distinct"),
    ],
)
def test_bad_members_rejected_at_load(members: list[dict[str, object]], message: str) -> None:
    with pytest.raises(SpecError) as err:
        load_spec({"components": [{"name": "e", "reward": "rm_ensemble", "params": {"members": members}}]})
    assert message in str(err.value)


def test_good_members_load() -> None:
    spec = load_spec({"components": [{"name": "e", "reward": "rm_ensemble", "params": {
        "members": [{"model": "/x", "name": "a", "label_index": 1, "scale": "prob"}, {"model": "http://127.0.0.1:1"}]}}]})
    assert spec.components[0].params["members"][1] == {"model": "http://127.0.0.1:1"}
