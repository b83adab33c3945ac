"""Trainer adapters: TRL (``trl``), verl (``verl``) and OpenRLHF (``openrlhf``).

Each adapter is thin: it turns the trainer's call shape into rewardsmith ``Sample`` rows, scores them with
an ``Engine`` and hands back what the trainer expects, deciding (and logging) what an errored sample becomes.
"""
