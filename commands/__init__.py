"""The sub-commands of `policy`, mounted by ``cli.py``.

Every command follows ``commands.conventions``: one ``guarded`` wrapper that
turns errors into a message and an exit code, one set of exit codes, the
shared options (--policy, --revision, dates). The engine is imported inside
each command so that `policy --help` stays quick.
"""
