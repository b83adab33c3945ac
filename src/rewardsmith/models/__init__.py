"""Model rewards: scalar reward models, ensembles, Bradley-Terry training, likelihood and implicit rewards.

torch / transformers are the optional ``models`` extra: every module here imports them inside functions,
so the registry can load the reward definitions without them.
"""
