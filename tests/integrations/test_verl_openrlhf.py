"""verl's own reward managers (legacy NaiveRewardManager with a real DataProto) and OpenRLHF's own remote
reward client (``SingleTurnAgentExecutor._fetch_rewards_via_http``) against ``rewardsmith serve``."""

from __future__ import annotations

import asyncio
import functools
from typing import Any

import pytest

from integration_expect import SERVER_SPEC, expected_score


def _dataproto(tok: Any, rows: list[dict[str, Any]]) -> Any:
    import numpy as np
    import torch
    from verl import DataProto

    p_ids = [tok(r["question"], add_special_tokens=False)["input_ids"] for r in rows]
    r_ids = [tok(r["response"], add_special_tokens=False)["input_ids"] for r in rows]
    P, R = max(map(len, p_ids)), max(map(len, r_ids))
    pad = tok.pad_token_id
    prompts = torch.tensor([[pad] * (P - len(x)) + x for x in p_ids])  # left-padded
    responses = torch.tensor([x + [pad] * (R - len(x)) for x in r_ids])  # right-padded
    mask = torch.tensor([[0] * (P - len(p)) + [1] * len(p) + [1] * len(r) + [0] * (R - len(r)) for p, r in zip(p_ids, r_ids)])
    non_tensors = {
        "data_source": np.array(["openai/gsm8k"] * len(rows), dtype=object),
        "reward_model": np.array([{"ground_truth": r["reference"]} for r in rows], dtype=object),
        "extra_info": np.array([{"idx": r["idx"]} for r in rows], dtype=object),
    }
    return DataProto.from_dict(tensors={"prompts": prompts, "responses": responses, "attention_mask": mask},
                               non_tensors=non_tensors), [len(x) for x in r_ids]


def test_verl_naive_reward_manager(smol_tokenizer: Any, solutions: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("verl")
    from verl.workers.reward_manager.naive import NaiveRewardManager

    from rewardsmith.integrations.verl import compute_score

    monkeypatch.syspath_prepend(str(__import__("pathlib").Path(__file__).parent))
    data, lengths = _dataproto(smol_tokenizer, solutions)
    manager = NaiveRewardManager(smol_tokenizer, num_examine=0, compute_score=functools.partial(compute_score, spec=SERVER_SPEC))
    out = manager(data, return_dict=True)
    tensor, extra = out["reward_tensor"], out["reward_extra_info"]
    for i, r in enumerate(solutions):
        decoded = smol_tokenizer.decode(smol_tokenizer(r["response"], add_special_tokens=False)["input_ids"], skip_special_tokens=True)
        want = expected_score(r["is_correct"], decoded, r["idx"])
        got = float(tensor[i, lengths[i] - 1])
        assert got == pytest.approx(0.0 if want is None else want, abs=1e-6)  # verl: an error scores error_score (0.0)
        assert extra["rewardsmith_error"][i] == (1.0 if want is None else 0.0)
        assert extra["correct"][i] == float(r["is_correct"])
        assert float(tensor[i].sum()) == pytest.approx(got, abs=1e-6)  # only the last valid token carries it


def test_openrlhf_remote_client_against_server(server_url: str, smol_tokenizer: Any, solutions: list[dict[str, Any]]) -> None:
    pytest.importorskip("openrlhf")
    from openrlhf.utils.agent import SingleTurnAgentExecutor

    rows = solutions  # /get_reward carries no metadata: fails_on_odd errors on every row -> error_fill, flagged
    executor = SingleTurnAgentExecutor(remote_rm_url=server_url + "/get_reward")
    prompts = [smol_tokenizer.apply_chat_template([{"role": "user", "content": r["question"]}], tokenize=False,
                                                  add_generation_prompt=True) for r in rows]
    queries = [p + r["response"] for p, r in zip(prompts, rows)]
    (info,) = asyncio.run(executor._fetch_rewards_via_http(queries, prompts, [r["reference"] for r in rows]))
    assert info["extra_logs"]["correct"] == [float(r["is_correct"]) for r in rows]
    assert info["rewards"] == [0.0] * len(rows)  # serve's --error-fill default
    assert info["extra_logs"]["rewardsmith_error"] == [1.0] * len(rows)
    assert info["extra_logs"]["overlong"] == [pytest.approx(v) for v in _overlongs(rows)]


def _overlongs(rows: list[dict[str, Any]]) -> list[float]:
    from integration_expect import overlong

    return [overlong(len(r["response"])) for r in rows]


def _check_verl_scores(scores: list[float], extra: dict[str, Any], tok: Any, rows: list[dict[str, Any]]) -> None:
    """Every sample's score is SERVER_SPEC's hand value (error -> error_score 0.0, flagged)."""
    for i, r in enumerate(rows):
        decoded = tok.decode(tok(r["response"], add_special_tokens=False)["input_ids"], skip_special_tokens=True)
        want = expected_score(r["is_correct"], decoded, r["idx"])
        assert scores[i] == pytest.approx(0.0 if want is None else want, abs=1e-6)
        assert extra["rewardsmith_error"][i] == (1.0 if want is None else 0.0)
        assert extra["correct"][i] == float(r["is_correct"])


def test_verl_batch_reward_manager(smol_tokenizer: Any, solutions: list[dict[str, Any]]) -> None:
    """verl's BatchRewardManager calls ``compute_score_batch`` once with the whole batch (one engine batch)."""
    pytest.importorskip("verl")
    from verl.workers.reward_manager.batch import BatchRewardManager

    from rewardsmith.integrations import verl as rs_verl

    data, lengths = _dataproto(smol_tokenizer, solutions)
    calls: list[int] = []

    def counted(**kw: Any) -> list[dict[str, Any]]:
        calls.append(len(kw["solution_strs"]))
        return rs_verl.compute_score_batch(**kw)

    manager = BatchRewardManager(smol_tokenizer, num_examine=0, compute_score=counted, spec=SERVER_SPEC)
    out = manager(data, return_dict=True)
    tensor, extra = out["reward_tensor"], out["reward_extra_info"]
    assert calls == [len(solutions)]
    scores = [float(tensor[i, lengths[i] - 1]) for i in range(len(solutions))]
    _check_verl_scores(scores, extra, smol_tokenizer, solutions)
    assert [float(tensor[i].sum()) for i in range(len(solutions))] == pytest.approx(scores, abs=1e-6)


def test_verl_reward_loop_worker_remote(server_url: str, smol_tokenizer: Any, solutions: list[dict[str, Any]],
                                        tmp_path: Any) -> None:
    """verl's async reward loop (``RewardLoopWorker``, built from a verl config exactly as a run would: the
    tokenizer from ``actor_rollout_ref.model.path``, ``custom_reward_function`` pointing at our module file with
    ``name: compute_score_remote`` and the server URL in ``reward_kwargs``) scores a batch through
    ``rewardsmith serve``; verl's per-sample concurrent calls reach the server as batched requests."""
    pytest.importorskip("verl")
    from omegaconf import OmegaConf
    from verl.experimental.reward_loop.reward_loop import RewardLoopWorker

    from rewardsmith.integrations import verl as rs_verl

    tok_dir = tmp_path / "tokenizer"
    smol_tokenizer.save_pretrained(str(tok_dir))
    config = OmegaConf.create({
        "actor_rollout_ref": {"model": {"path": str(tok_dir), "tokenizer_path": None}},
        "reward": {
            "reward_model": {"enable": False},
            "reward_manager": {"source": "register", "name": "naive"},
            "custom_reward_function": {"path": rs_verl.__file__, "name": "compute_score_remote",
                                       "reward_kwargs": {"url": server_url}},
        },
    })
    data, _ = _dataproto(smol_tokenizer, solutions)

    async def run() -> tuple[list[dict[str, Any]], int]:
        worker = RewardLoopWorker(config)
        outputs = await worker.compute_score_batch(data)
        loaded = worker.reward_manager.compute_score.args[0]  # verl wraps it: partial(call_async, raw_fn, kwargs)
        assert loaded.__name__ == "compute_score_remote"
        batchers = [b for (_, url), b in loaded.__globals__["_batchers"].items() if url == server_url]
        return outputs, sum(b.requests for b in batchers)

    outputs, requests = asyncio.run(run())
    scores = [float(o["reward_score"]) for o in outputs]
    extra = {k: [o["reward_extra_info"][k] for o in outputs] for k in ("rewardsmith_error", "correct")}
    _check_verl_scores(scores, extra, smol_tokenizer, solutions)
    assert 1 <= requests < len(solutions)  # concurrent per-sample calls were batched
