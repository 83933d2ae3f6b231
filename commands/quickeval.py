"""`policy eval CASE.json` read without click: the quick start of the command
run most (issue 21, point 3: a warm `policy eval` spent a third of its time
importing click and what click imports).

``run`` reads only the plain shapes of the command line — one case file that
is a readable file, ``--format text|json``, ``--lang zh|en``, ``--full``,
``--program ID`` (repeatable), ``--policy DIR`` (a readable folder), each
option once (``--program`` excepted) and written ``--name value`` or
``--name=value`` — and gives back None for anything else (``--help``, any
other option, a value click would refuse, standard input, a file that is not
there, shell completion), which ``cli.main`` then hands to click: so the
quick path never has an error message of its own. What it reads runs through
the same work (``evaluation.evaluate_case``) under the same error handling
(``guard.run_guarded``) as the click command, with the same exit codes
(tests/commands/test_quickeval.py runs both over every example and over
broken inputs).
"""

from __future__ import annotations

import errno
import os

# option → (keyword of evaluate_case, the values it takes; None: any name)
VALUED = {
    "--format": ("fmt", ("text", "json")),
    "--lang": ("lang", ("zh", "en")),
    "--program": ("programs", None),
    "--policy": ("policy_dir", None),
}


def parse(args: list[str]) -> dict | None:
    """The keywords of ``evaluate_case`` for a plain `policy eval` command
    line (``args``: what follows ``eval``), or None for click to read it."""
    if os.environ.get("_POLICY_COMPLETE"):  # click's shell completion
        return None
    got: dict = {"programs": []}
    case = None
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--full":
            if "full" in got:
                return None
            got["full"] = True
        elif arg.startswith("--"):
            name, eq, value = arg.partition("=")
            if name not in VALUED:
                return None
            if not eq:
                i += 1
                if i == len(args):
                    return None
                value = args[i]
            key, allowed = VALUED[name]
            if value.startswith("-") or (allowed is not None and value not in allowed):
                return None
            if key == "programs":
                got["programs"].append(value)
            elif key in got:
                return None
            else:
                got[key] = value
        elif arg.startswith("-") or case is not None:
            return None
        else:
            case = arg
        i += 1
    # what click.Path would check, left to click when it does not hold
    if case is None or not (os.path.isfile(case) and os.access(case, os.R_OK)):
        return None
    folder = got.get("policy_dir")
    if folder is not None and not (os.path.isdir(folder) and os.access(folder, os.R_OK)):
        return None
    got["case_file"] = case
    return got


def run(args: list[str], keep: bool = False) -> int | None:
    """Evaluate as `policy eval` does and give the exit code; None when the
    command line is not one ``parse`` reads (nothing was done). ``keep``:
    the process ends with this command (``evaluation.evaluate_case``)."""
    kwargs = parse(args)
    if kwargs is None:
        return None
    kwargs["keep"] = keep
    from .evaluation import evaluate_case
    from .guard import EXIT_OK, run_guarded

    try:
        run_guarded(lambda: evaluate_case(**kwargs))
    except OSError as exc:
        if exc.errno != errno.EPIPE:
            raise
        # the reader went away (`policy eval case | head -1`): as click's own
        # main does, exit 1 without a traceback, nothing more written
        from interpreter.outputs import silence_stdout

        silence_stdout()
        return 1
    return EXIT_OK
