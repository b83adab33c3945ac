"""LLM judges: backends (OpenAI-compatible HTTP, embedded SmolLM2, transformers), judge kinds, operations.

Judge kinds are registered rewards (``judge_score``, ``judge_pairwise``, ``judge_listwise``, ``rubric``,
``nugget_rubric``, ``principle``, ``reference_verifier``, ``judge_yes_prob``, ``judge_vote``,
``milestones``); every one takes the common judge params of ``rewardsmith.judges.config.JudgeConfig``
(``base_url``, ``model``, ``api_key`` / ``api_key_env``, ``concurrency``, ``rate_per_s``, ``max_retries``,
``budget_usd`` ...). Each passes completions through ``guard.check_content`` before any call.
Nothing heavy is imported here: backends import httpx / transformers when first used.
"""
