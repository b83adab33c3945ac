from __future__ import annotations

from pathlib import Path

import pytest

from rewardsmith import SpecError, load_spec

GOOD = """\
name: demo
components:
  - name: len
    reward: t_len
    weight: 0.5
    params:
      scale: 2
  - name: over
    reward: overlong_penalty
    timeout: 3
    params: {max_length: 10, cache: 5, unit: chars}
combine: weighted_sum
"""


def test_yaml_and_toml_load_the_same(tmp_path: Path) -> None:
    y = tmp_path / "s.yaml"
    y.write_text(GOOD)
    t = tmp_path / "s.toml"
    t.write_text(
        'name = "demo"\ncombine = "weighted_sum"\n'
        '[[components]]\nname = "len"\nreward = "t_len"\nweight = 0.5\nparams = { scale = 2 }\n'
        '[[components]]\nname = "over"\nreward = "overlong_penalty"\ntimeout = 3\n'
        'params = { max_length = 10, cache = 5, unit = "chars" }\n'
    )
    a, b = load_spec(y), load_spec(t)
    assert a.spec_hash() == b.spec_hash()
    assert a.components[1].timeout == 3
    res = a.score([{"prompt": "p", "completion": "12345678"}], cache=False, workers=1)
    assert res[0].value == pytest.approx(0.5 * 16 - 0.6)
    a.close()


@pytest.mark.parametrize(
    "text, where, message",
    [
        (GOOD.replace("scale: 2", "scale: lots"), "components[0].params.scale (line 7)", "valid number"),
        (GOOD.replace("reward: t_len", "reward: t_lne"), "components[0].reward (line 4)", "unknown reward 't_lne'"),
        (GOOD.replace("weight: 0.5", "wieght: 0.5"), "components[0].wieght (line 5)", "unknown key"),
        (GOOD.replace("timeout: 3", "timeout: -1"), "components[1].timeout (line 10)", "greater than 0"),
        (GOOD.replace("combine: weighted_sum", "combine: average"), "combine (line 12)", "unknown combine rule"),
        (GOOD.replace("name: over", "name: len"), "components[1].name (line 8)", "duplicate component name"),
        (GOOD + "transforms:\n  - {kind: squash}\n", "transforms[0] (line 14)", "unknown transform"),
        (GOOD + "transforms:\n  - {kind: clip, mni: 0}\n", "transforms[0] (line 14)", "mni"),
        (GOOD.replace("params:\n      scale: 2", "params:\n      scale: 2\n    gate: {component: nope, min: 1}"), "components[0].gate.component", "no component named 'nope'"),
    ],
)
def test_spec_errors_name_key_and_line(tmp_path: Path, text: str, where: str, message: str) -> None:
    p = tmp_path / "bad.yaml"
    p.write_text(text)
    with pytest.raises(SpecError) as e:
        load_spec(p)
    assert where in str(e.value) and message in str(e.value), str(e.value)


def test_yaml_syntax_error_and_missing_file(tmp_path: Path) -> None:
    p = tmp_path / "broken.yaml"
    p.write_text("name: x\ncomponents: [\n")
    with pytest.raises(SpecError) as e:
        load_spec(p)
    assert "line" in str(e.value)
    with pytest.raises(SpecError):
        load_spec(tmp_path / "absent.yaml")


def test_spec_hash_changes_with_params() -> None:
    base = {"components": [{"name": "a", "reward": "t_len", "params": {"scale": 1}}]}
    other = {"components": [{"name": "a", "reward": "t_len", "params": {"scale": 2}}]}
    assert load_spec(base).spec_hash() != load_spec(other).spec_hash()
    assert load_spec(base).spec_hash() == load_spec(base).spec_hash()
