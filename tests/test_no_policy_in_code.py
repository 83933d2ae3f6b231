"""The engine knows no policy: no program, catalogue, document or amount of a
policy in the repository is written in shipped Python.

The names are read from the policies themselves — the bundled one (policy/)
and every package under examples/policies/ — so a new program or a new
package is guarded with no change here:

- program ids (programs/*.yaml), as whole words anywhere in a line (code,
  strings, comments, docstrings): ``vocational_training`` in a comment is
  knowledge of one policy as much as in code;
- catalogue ids (the policy's catalogs.yaml; for the bundled policy, the
  catalogues the command line hands it, catalogs/data/*.yaml, until it
  declares its own), as a quoted string or as ``catalog.ID`` — ids such as
  ``general`` are ordinary English words, and only a quoted id or a rule's
  view names a catalogue;
- document numbers (document.yaml ``number`` and ``documents[].number``),
  anywhere;
- the amounts of money standards (standards.yaml, ``type: money``), where
  they read as an amount: followed by 元 or yuan (``1500元``), written to the
  fen (``1500.00``), or two or more amounts of one standard on one line (a
  copied table: ``{"初级": 1000, "中级": 1500}``). A bare 500 is as often an
  HTTP status or a size limit as a subsidy, so it is not a hit by itself.

Shipped Python is every ``*.py`` outside tests/, benchmarks/, examples/ and
the virtual environment. A hit is reported as file:line with what it names:
move that knowledge into the policy's data.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from tests.helpers import ROOT

NOT_SHIPPED = {"tests", "benchmarks", "examples", "build", "dist"}

# What shipped Python may still name, (file, what) pairs: nothing. (Until
# issue 15's last part, the legacy typed reader of the bundled catalogue files
# in catalogs/ was listed here; `policy catalog` now works from every
# policy's declarations.) Nothing outside catalogs/ may ever be listed (a test
# below checks it).
KNOWN: set[tuple[str, str]] = set()


def policy_folders() -> list[Path]:
    return [
        ROOT / "policy",
        *sorted(p.parent for p in ROOT.glob("examples/policies/*/document.yaml")),
    ]


def _yaml(path: Path):
    return yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else None


def _numbers(value) -> list[str]:
    values = value.values() if isinstance(value, dict) else [value]
    out = []
    for v in values:
        text = str(v)
        if re.fullmatch(r"\d+(\.\d+)?", text):
            out.append(text[:-2] if text.endswith(".0") else text)
    return out


def policy_names() -> dict[str, set]:
    """What the policies name: program and catalogue ids, document numbers,
    and the amounts of their money standards (each keyed standard's values
    also as one group, for the table rule)."""
    names: dict[str, set] = {"program": set(), "catalogue": set(), "document": set()}
    amounts: set[str] = set()
    tables: set[tuple[str, ...]] = set()
    for folder in policy_folders():
        for f in sorted((folder / "programs").glob("*.yaml")):
            names["program"].add(str((_yaml(f) or {}).get("id") or f.stem))
        doc = _yaml(folder / "document.yaml") or {}
        names["document"].add(doc["number"])
        for d in doc.get("documents") or ():
            names["document"].add(d["number"])
        for std in ((_yaml(folder / "standards.yaml") or {}).get("standards") or {}).values():
            if std.get("type") != "money":
                continue
            for row in std.get("values") or ():
                found = _numbers(row["value"])
                amounts.update(found)
                if len(set(found)) > 1:
                    tables.add(tuple(sorted(set(found))))
        declared = _yaml(folder / "catalogs.yaml")
        if declared:
            names["catalogue"].update(c["id"] for c in declared.get("catalogs") or ())
        elif folder.name == "policy":
            # the bundled policy reads the catalogues the command line hands it
            for f in sorted((ROOT / "catalogs" / "data").glob("*.yaml")):
                names["catalogue"].add((_yaml(f) or {}).get("catalogue") or f.stem)
    names["amount"] = amounts
    names["table"] = tables
    return names


def shipped_python() -> list[Path]:
    out = []
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT)
        top = rel.parts[0]
        if top in NOT_SHIPPED or top.startswith(".") or top.endswith(".egg-info"):
            continue
        out.append(path)
    return out


def _words(words) -> re.Pattern:
    alternatives = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    return re.compile(rf"(?<![A-Za-z0-9_])({alternatives})(?![A-Za-z0-9_])")


def hits(files: list[Path] | None = None, root: Path = ROOT) -> list[str]:
    """Every hit in ``files`` (default: the shipped Python), as file:line: what."""
    names = policy_names()
    programs = _words(names["program"])
    documents = re.compile("|".join(re.escape(d) for d in sorted(names["document"])))
    cats = "|".join(re.escape(c) for c in sorted(names["catalogue"])) or r"(?!x)x"
    catalogues = re.compile(rf"""(["'])({cats})\1|catalog\.({cats})(?![A-Za-z0-9_])""")
    amount = "|".join(re.escape(a) for a in sorted(names["amount"], key=len, reverse=True))
    money = re.compile(
        rf"(?<![\d.,])({amount})(?:\s?(?:元|yuan)|\.00(?!\d))" if amount else r"(?!x)x"
    )
    number = re.compile(r"(?<![\d.])\d+(?:\.\d+)?(?![\d.])")
    found = []
    for path in shipped_python() if files is None else files:
        rel = path.relative_to(root).as_posix()
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            where = f"{rel}:{n}"
            for m in programs.finditer(line):
                found.append(f"{where}: program id {m.group(1)}")
            for m in documents.finditer(line):
                found.append(f"{where}: document number {m.group(0)}")
            for m in catalogues.finditer(line):
                found.append(f"{where}: catalogue id {m.group(2) or m.group(3)}")
            for m in money.finditer(line):
                found.append(f"{where}: amount of a standard {m.group(0)}")
            on_line = set(number.findall(line))
            for table in names["table"]:
                if len(on_line & set(table)) >= 2:
                    found.append(f"{where}: amounts of a standard {sorted(on_line & set(table))}")
    # one line per hit; the known ones of catalogs/ (KNOWN) left out
    out = []
    for hit in dict.fromkeys(found):
        file, _line, what = hit.split(":", 2)
        if (file, what.strip()) not in KNOWN:
            out.append(hit)
    return out


def test_the_names_are_read_from_the_policies():
    """The guard reads what it guards: both policies' programs, documents,
    amounts and catalogues (a test that read nothing would pass on anything)."""
    names = policy_names()
    assert len(policy_folders()) >= 2
    assert len(names["program"]) >= 7 and len(names["document"]) >= 3
    assert len(names["amount"]) >= 5 and names["table"] and names["catalogue"]


def test_shipped_python_names_no_policy():
    found = hits()
    assert not found, (
        "shipped Python names a policy (move it into the policy's data):\n  " + "\n  ".join(found)
    )


def test_only_catalogue_work_in_progress_is_known():
    assert all(f.startswith("catalogs/") for f, _what in KNOWN)


def test_the_guard_finds_what_it_looks_for(tmp_path):
    """Each rule fires on a line written the way such knowledge is written."""
    names = policy_names()
    program = sorted(names["program"])[0]
    document = sorted(names["document"])[0]
    catalogue = sorted(names["catalogue"])[0]
    table = sorted(names["table"])[0]
    amount = table[0]
    lines = {
        f"if program == {program!r}:": "program id",
        f"# see {document}": "document number",
        f'views["{catalogue}"]': "catalogue id",
        f'"expr": "x in catalog.{catalogue}"': "catalogue id",
        f'text = "{amount}元"': "amount of a standard",
        f'shown = "{amount}.00"': "amount of a standard",
        f"STANDARD = {{'a': {table[0]}, 'b': {table[1]}}}": "amounts of a standard",
    }
    names_re = _words(names["program"])
    assert names_re.search(f"x = {program!r}") and not names_re.search(f"x = {program}s")
    probe = tmp_path / "probe.py"
    probe.write_text("\n".join(lines) + "\nunrelated = 1\n", encoding="utf-8")
    found = hits([probe], tmp_path)
    for n, (line, kind) in enumerate(lines.items(), 1):
        assert any(h.startswith(f"probe.py:{n}: {kind}") for h in found), line
    assert not [h for h in found if h.startswith(f"probe.py:{len(lines) + 1}:")]
