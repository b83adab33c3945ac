"""Label-free rewards and what is built from scored groups.

- consensus rewards: ``majority_vote`` (TTRL), ``co_reward`` (Co-Reward), ``group_similarity`` (PS-GRPO / Con-RAG)
- self rewards: ``self_judge`` (SSR-Zero / SSR-X), ``consistency_filter`` (SCIR / CREAM)
- ``pairs``: DPO preference pairs from scored groups (``rewardsmith pairs``)
- ``selection``: best-of-N, self-certainty + Borda, weighted vote, early rejection (``rewardsmith rerank``)

Answer extraction and equivalence come from the rule verifiers (``rewardsmith.verifiers.math`` / ``.qa``)
through ``rewardsmith.selfreward.answers``; nothing here parses math on its own.
"""
