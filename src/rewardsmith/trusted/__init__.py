"""Trusted judging: the code that decides whether a program passed, kept apart from the code that runs it.

``rewardsmith.sandbox`` runs untrusted programs; this package never runs them. It holds what judges
their results: ``plain`` (the plain-data wire format, the only thing a program's answers may be) and
``assert_judge`` (runs assert-style tests in a program-free interpreter, with every call of the
candidate made in the sandbox and only plain data coming back). Standard library only: both modules
are loaded by the sandbox worker, a trusted interpreter that never executes program code itself.
"""
