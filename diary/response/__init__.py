"""The diagnostic response to a block, from the diary's readings. Pure: no I/O.

- ``relief``: relief against the baseline and minutes after the block, for one reading.
- ``verdict``: the verdict of one block (``analyse``) and its rules, in its docstring.
- ``concordance``: a comparative lidocaine/bupivacaine pair.
- ``readiness``: two positive diagnostic blocks before ablation (``rfa_readiness``).
- ``words``: how durations, percentages and counts are written in the reasons.
"""
