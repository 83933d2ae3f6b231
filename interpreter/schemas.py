"""JSON Schema validation of the policy files, with errors at file:line:col.

The schemas belong to the tool (they describe the file formats), so they are
read from the bundled ``policy/schemas`` folder whatever policy is loaded.
"""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from dsl.errors import PolicyFileError

from .yamlsource import Source, to_jsonable


def schema_dir() -> Path:
    import policy
    return Path(policy.__file__).parent / "schemas"


@lru_cache(maxsize=None)
def validator(name: str):
    from jsonschema import Draft202012Validator
    schema = json.loads((schema_dir() / f"{name}.schema.json").read_text(encoding="utf-8"))
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def validate(src: Source, schema: str) -> list[PolicyFileError]:
    """Every schema violation in the file, each at the position of the value."""
    errors = []
    data = to_jsonable(src.data)
    seen = set()
    for err in sorted(validator(schema).iter_errors(data),
                      key=lambda e: src.position(tuple(e.absolute_path)).line or 0):
        path = tuple(err.absolute_path)
        message = _plain(err)
        if (path, message) in seen:       # jsonschema says "required" once per key
            continue
        seen.add((path, message))
        errors.append(src.error(path, message, context=_where(path)))
    return errors


def _where(path: tuple) -> str | None:
    if not path:
        return None
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (("." if out else "") + str(p))
    return out


def _plain(err) -> str:
    """jsonschema's message, in the words an officer would use."""
    v = err.validator
    if v == "required":
        missing = [p for p in err.validator_value if p not in (err.instance or {})]
        return "missing key " + ", ".join(f"'{m}'" for m in missing)
    if v == "additionalProperties":
        allowed = sorted((err.schema.get("properties") or {}).keys())
        extra = [k for k in (err.instance or {}) if k not in allowed]
        msg = "unknown key " + ", ".join(f"'{e}'" for e in extra)
        if allowed:
            msg += "; allowed: " + ", ".join(allowed)
        return msg
    if v == "type":
        want = err.validator_value
        want = " or ".join(want) if isinstance(want, list) else want
        return f"expected {_a(want)}, found {json.dumps(err.instance, ensure_ascii=False)}"
    if v == "enum":
        return (f"{json.dumps(err.instance, ensure_ascii=False)} is not one of "
                + ", ".join(json.dumps(x, ensure_ascii=False) for x in err.validator_value))
    if v == "pattern":
        return (f"{json.dumps(err.instance, ensure_ascii=False)} does not have the expected "
                f"form ({err.schema.get('description') or err.validator_value})")
    if v in ("anyOf", "oneOf") and err.context:
        from jsonschema.exceptions import best_match
        return _plain(best_match(err.context))
    if v == "format":
        return f"{json.dumps(err.instance, ensure_ascii=False)} is not a valid {err.validator_value}"
    return err.message


def _a(word: str) -> str:
    return ("an " if word[:1] in "aeiou" else "a ") + word
