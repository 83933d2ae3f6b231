"""The work of `policy eval` on one case, apart from its command line: the
click command (``decide.eval_cmd``) and the quick reader of a plain `policy
eval CASE.json` (``quickeval``) both call ``evaluate_case``, so the output is
the same whichever read the command line. No click here."""

from __future__ import annotations


def evaluate_case(
    case_file: str,
    policy_dir: str | None = None,
    revisions=(),
    as_of=None,
    fmt: str = "text",
    lang: str = "zh",
    programs=(),
    full: bool = False,
    out_path: str = "-",
    force: bool = False,
    keep: bool = False,
) -> None:
    """Decide ``case_file`` under the policy and write the decision (text, the
    full text, or JSON) to ``out_path``. ``keep``: the process ends with this
    command (``cli.main``), so the policy is loaded to be kept
    (``load_policy(keep=True)``: out of the garbage collector's way)."""
    import hashlib

    from interpreter.cases import read_case_file
    from interpreter.evaluate import Evaluator
    from interpreter.loader import load_policy
    from interpreter.outputs import Outputs
    from interpreter.render import TextRenderer, dumps, result_json

    with Outputs(inputs=[case_file, *revisions], force=force) as outs:
        out = outs.open(out_path, "decision")
        # each program compiled when first needed (conventions.load, lazy)
        policy = load_policy(policy_dir, revisions=list(revisions), lazy=True, keep=keep)
        data, raw = read_case_file(case_file)
        name = "<stdin>" if case_file == "-" else case_file
        res = Evaluator(policy).decide(
            data, as_of=as_of, programs=list(programs) or None, case_name=name
        )
        res.case_sha256 = "sha256:" + hashlib.sha256(raw).hexdigest()
        if fmt == "json":
            out.write(dumps(result_json(policy, res)) + "\n")
        elif full:
            out.write(TextRenderer(policy, lang).render(res))
        else:
            from interpreter.plain_text import PlainTextRenderer

            out.write(PlainTextRenderer(policy, lang).render(result_json(policy, res)))
