"""The case reader's fast path (interpreter/readers.py) reads every case it
accepts exactly as the checking path does, and hands everything else to it:
the same facts (values and their types), the same refusals and messages."""

import json
from decimal import Decimal

import pytest

from dsl.errors import CaseError
from interpreter.cases import _UNBUILT, CaseReader, parse_json_text
from interpreter.readers import SLOW
from population.synthetic import dumps_case, generate
from tests.helpers import ROOT


def read(reader, text):
    try:
        facts = reader.convert(parse_json_text(text, "c"), "c")
    except CaseError as err:
        return ("refused", err.message, err.context, err.hint)
    return (repr(facts), facts)


def texts(policy):
    out = [dumps_case(c) for c in generate(3000, 5, policy=policy, catalog=policy.catalog_values)]
    out += [p.read_text(encoding="utf-8") for p in sorted((ROOT / "examples").glob("*.json"))]
    bad = ROOT / "tests" / "interpreter" / "bad_inputs" / "cases"
    out += [
        p.read_bytes().decode("utf-8", "replace")
        for p in sorted(bad.glob("*.json"))
        if not p.name.endswith(".expect.json")
    ]
    return out


def test_fast_and_checking_paths_read_alike(bundled_policy):
    fast = CaseReader(bundled_policy)
    checking = CaseReader(bundled_policy)
    checking._read_fast = None
    assert fast.fast_reader() is not None
    took = 0
    for text in texts(bundled_policy):
        try:
            parse_json_text(text, "c")
        except CaseError:
            continue
        took += fast.fast_reader()(parse_json_text(text, "c")) is not SLOW
        assert read(fast, text) == read(checking, text), text[:200]
    assert took > 2500  # the generated cases take the fast path


def alter(text, path, value):
    data = json.loads(text)
    node = data
    for p in path[:-1]:
        node = node.setdefault(p, {})
    node[path[-1]] = value
    return json.dumps(data, ensure_ascii=False)


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("applicant", "insured_months"), "14"),  # text for a number
        (("applicant", "insured_months"), 12.5),  # not whole
        (("applicant", "insured_monthz"), 12),  # not declared
        (("applicant", "_note"), "a note"),  # a note: ignored
        (("$schema",), "case.schema.json"),  # a note of the case itself
        (("training", "none"), True),  # stated none beside values
        (("training", "none"), None),  # a null "none": not declared
        (("applicant", "id"), "370405198701011234"),  # a wrong check digit
        (("applicant", "id"), "37040519870228441x"),  # lower-case x: normalised
        (("certificate",), {"none": True}),  # stated none
        (("certificate", "date"), "2020-02-30"),  # no such day
        (("certificate", "date"), "2020-W01-1"),  # not YYYY-MM-DD
        (("certificate", "level"), "特级"),  # not an enum value
        (("training", "start_date"), "2031-01-01"),  # ends before it starts
        (("training", "days"), 999),  # more days than the period
        (("history",), [None]),  # a null item
        (("history",), "none"),  # not a list
        (("applicant", "enterprise_employee"), 1),  # not a boolean
        (("applicant", "name"), "x" * 1001),  # too long
        (("applicant", "name"), None),  # null: missing
        (("applicant", "name"), "唐\ud800"),  # a lone surrogate
        (("applicant", "name"), "唐\t秀"),  # a tab: not printable, no surrogate
        (("applicant", "name"), "唐\u3000秀"),  # an ideographic space, likewise
        (("training", "occupation"), "\udfff"),  # a lone surrogate in another record
    ],
)
def test_out_of_the_ordinary_reads_as_the_checking_path(bundled_policy, path, value):
    fast = CaseReader(bundled_policy)
    checking = CaseReader(bundled_policy)
    checking._read_fast = None
    assert fast.fast_reader() is not None  # built now: these tests read one case
    base = next(
        t
        for t in (
            dumps_case(c)
            for c in generate(200, 3, policy=bundled_policy, catalog=bundled_policy.catalog_values)
        )
        if '"training":{' in t and '"start_date"' in t and '"history"' in t
    )
    text = alter(base, path, value)
    assert read(fast, text) == read(checking, text)


@pytest.mark.parametrize(("days", "accepted"), [(31, True), (32, True), (33, False), (0, True)])
def test_a_records_constraints_at_their_bounds(bundled_policy, days, accepted):
    """The generated check of a record's constraints (end on or after start;
    no more days than the period, both ends counted) at its bounds: the
    fast reader and the checking path agree, and only the case past the
    bound is refused."""
    fast = CaseReader(bundled_policy)
    checking = CaseReader(bundled_policy)
    checking._read_fast = None
    assert fast.fast_reader() is not None  # built now: these tests read one case
    base = next(
        t
        for t in (
            dumps_case(c)
            for c in generate(200, 3, policy=bundled_policy, catalog=bundled_policy.catalog_values)
        )
        if '"training":{' in t and '"start_date"' in t
    )
    text = alter(
        alter(base, ("training", "start_date"), "2020-01-01"),
        ("training", "end_date"),
        "2020-02-01",
    )
    text = alter(text, ("training", "days"), days)
    got = read(fast, text)
    assert got == read(checking, text)
    assert (got[0] != "refused") is accepted, got


def test_the_fast_reader_is_built_for_the_second_case_only(bundled_policy):
    """A command that reads one case does not pay for generating the fast
    reader; a reader that goes on to a second case builds it, and reads
    that case as the checking path does."""
    reader = CaseReader(bundled_policy)
    text = next(
        dumps_case(c)
        for c in generate(20, 3, policy=bundled_policy, catalog=bundled_policy.catalog_values)
    )
    first = read(reader, text)
    assert reader._read_fast is _UNBUILT
    second = read(reader, text)
    assert reader._read_fast is not _UNBUILT and reader._read_fast is not None
    assert first == second
    assert CaseReader(bundled_policy, numbers_as_text=True).fast_reader() is None


# -- the reader of a case's JSON text (interpreter/jsonreader.py) -------------------------


def read_text(reader, text):
    """What the text reader gives, read as ``read`` shows it; None: it did
    not take the text (the usual path reads it)."""
    facts = reader.text_reader()(text)
    if facts is SLOW:
        return None
    return (repr(facts), facts)


def test_the_text_reader_reads_as_the_checking_path(bundled_policy):
    """Every text the text reader takes, it reads as the checking path reads
    the parsed text: the same facts, values and their types; a text the
    checking path refuses, it never takes."""
    reader = CaseReader(bundled_policy)
    checking = CaseReader(bundled_policy)
    checking._read_fast = None
    assert reader.text_reader() is not None
    took = 0
    for text in texts(bundled_policy):
        got = read_text(reader, text)
        if got is None:
            continue
        took += 1
        assert got == read(checking, text), text[:200]
    assert took > 2500  # the generated cases take it


@pytest.mark.parametrize(
    ("path", "value", "taken"),
    [
        (("applicant", "insured_months"), "14", False),  # text for a number
        (("applicant", "insured_months"), 12.5, False),  # not whole
        (("applicant", "insured_months"), Decimal("12.0"), True),  # whole, written 12.0
        (("applicant", "insured_months"), Decimal("-0"), True),  # -0 stays -0
        (("applicant", "insured_months"), Decimal("1E+1"), True),  # an exponent
        (("applicant", "insured_months"), 600, True),  # at its maximum
        (("applicant", "insured_months"), 601, False),  # past it
        (("applicant", "insured_months"), 0, True),  # at its minimum
        (("applicant", "insured_months"), -1, False),  # below it
        (("applicant", "insured_months"), Decimal("600.0"), True),  # the maximum, with a point
        (("applicant", "insured_months"), 10**13, False),  # 14 digits
        (("apprenticeship", "fee_paid"), 1000000, True),  # money at its maximum, digits only
        (("apprenticeship", "fee_paid"), 1000001, False),  # past it
        (("apprenticeship", "fee_paid"), Decimal("1000.5"), True),  # money with a point
        (("apprenticeship", "fee_paid"), Decimal("1000.505"), False),  # past the fen
        (("apprenticeship", "fee_paid"), Decimal("-0"), True),  # -0: not digits alone
        (("applicant", "insured_months"), Decimal("1e400"), False),  # out of bounds
        (("applicant", "insured_months"), Decimal("12.0000000000001"), False),  # 13 places
        (("applicant", "insured_months"), True, False),  # a boolean for a number
        (("applicant", "insured_months"), None, False),  # null: missing
        (("applicant", "insured_monthz"), 12, False),  # not declared
        (("applicant", "_note"), "a note", False),  # a note
        (("applicant", "name"), "a:b", False),  # a colon in a text
        (("applicant", "id"), "370405198701011234", False),  # a wrong check digit
        (("applicant", "id"), "37040519870228441x", True),  # lower-case x: normalised
        (("applicant", "id"), "37040519870228441X", True),  # as written, kept
        (("applicant", "id"), "370405870228441", True),  # the old 15 digits: upgraded
        (("applicant", "id"), "３７040519870228441X", True),  # full-width digits
        (("applicant", "id"), "37040519870228441５", False),  # a full-width check digit
        (("applicant", "id"), "370405198702304415", False),  # no 30 February
        (("certificate",), {"none": True}, False),  # stated none
        (("certificate", "date"), "2020-02-30", False),  # no such day
        (("certificate", "date"), "2020-2-3", False),  # not YYYY-MM-DD
        (("certificate", "level"), "特级", False),  # not an enum value
        (("training", "start_date"), "2031-01-01", False),  # ends before it starts
        (("training", "days"), 999, False),  # more days than the period
        (("history",), [None], False),  # a null item
        (("history",), "none", False),  # not a list
        (("applicant", "enterprise_employee"), 1, False),  # not a boolean
        (("applicant", "name"), "x" * 1001, False),  # too long
        (("applicant", "name"), "x" * 1000, True),  # as long as may be
        (("applicant", "name"), "\ud800", False),  # a lone surrogate
    ],
)
def test_the_text_reader_out_of_the_ordinary(bundled_policy, path, value, taken):
    """What the text reader takes it reads as the checking path does; what
    it leaves, the checking path reads (and refuses, or reads a null as
    missing, a note as a note)."""
    reader = CaseReader(bundled_policy)
    checking = CaseReader(bundled_policy)
    checking._read_fast = None
    base = next(
        t
        for t in (
            dumps_case(c)
            for c in generate(200, 3, policy=bundled_policy, catalog=bundled_policy.catalog_values)
        )
        if '"training":{' in t and '"start_date"' in t and '"history"' in t
    )
    text = alter_text(base, path, value)
    got = read_text(reader, text)
    assert (got is not None) is taken, text
    if got is not None:
        assert got == read(checking, text)


def alter_text(text, path, value):
    """``alter``, numbers written as their Decimal's text (12.0, -0, 1E+1)."""
    data = json.loads(text)
    node = data
    for p in path[:-1]:
        node = node.setdefault(p, {})
    node[path[-1]] = "\x00NUMBER\x00" if isinstance(value, Decimal) else value
    out = json.dumps(data, ensure_ascii=False)
    return out.replace('"\\u0000NUMBER\\u0000"', str(value)) if isinstance(value, Decimal) else out


@pytest.mark.parametrize(
    "text",
    [
        '{"applicant": {"name": "a"}, "applicant": {"name": "b"}}',  # a key twice
        '{"applicant": {"name": "a", "name": "b"}}',  # a key twice, inside
        '{"applicant": {"name": "a"}, "x": 1}',  # not declared
        '{"applicant": {"name": "a"}, "_n": {"a": 1}}',  # a note
        '\ufeff{"applicant": {"name": "a"}}',  # a byte order mark
        '{"applicant": {"insured_months": NaN}}',
        '{"applicant": {"insured_months": 1}} x',
        "[]",
        '{"applicant": {"name": "a\tb"}}',  # a control character
        pytest.param('{"a":' * 50_000 + "1" + "}" * 50_000, id="deeper-than-msgspec-recurses"),
    ],
)
def test_the_text_reader_leaves_what_the_decoder_refuses(bundled_policy, text):
    reader = CaseReader(bundled_policy)
    assert read_text(reader, text) is None


def test_the_text_reader_counts_keys_not_colons_in_text(bundled_policy):
    """A case with a colon inside a text is not taken (its colons and keys
    differ), nor a key given twice; the same case without either is."""
    reader = CaseReader(bundled_policy)
    assert read_text(reader, '{"applicant": {"name": "ab"}}') is not None
    assert read_text(reader, '{"applicant": {"name": "a:b"}}') is None
    assert read_text(reader, '{"applicant": {"name": "a", "name": "b"}}') is None
    assert CaseReader(bundled_policy, numbers_as_text=True).text_reader() is None


def test_the_readers_are_compiled_once_per_policy(bundled_policy, monkeypatch):
    """The generated readers' code is kept with the policy's compiled code
    (Policy.compiled: the per-user cache, or this process's): a second
    reader of the same policy compiles none of it, and reads alike."""
    import builtins

    first = CaseReader(bundled_policy)
    assert first.text_reader() is not None and first.fast_reader() is not None
    compiled: list[str] = []
    real = builtins.compile

    def counting(source, name, *a, **k):
        compiled.append(name)
        return real(source, name, *a, **k)

    monkeypatch.setattr(builtins, "compile", counting)
    second = CaseReader(bundled_policy)
    assert second.text_reader() is not None and second.fast_reader() is not None
    assert compiled == []
    for text in texts(bundled_policy)[:300]:
        assert read_text(second, text) == read_text(first, text)


# -- CaseReader.read_text: the one call from a case's JSON text to its facts -----------


def outcome(call, *args):
    """What ``call(*args)`` gives: the facts as ``read`` shows them, or the
    refusal with everything an officer is shown of it."""
    try:
        facts = call(*args)
    except CaseError as err:
        p = err.position
        return ("refused", err.message, err.context, err.hint, p.source, p.line, p.column)
    return (repr(facts), facts)


def parse_and_convert(reader, parse, text):
    return reader.convert(parse(text, "c"), "c")


def raw_texts(policy):
    """``texts`` as the bytes a file or a request holds, with the bad inputs as
    they are on disk (not UTF-8, a byte order mark, empty)."""
    out = [
        dumps_case(c).encode()
        for c in generate(500, 6, policy=policy, catalog=policy.catalog_values)
    ]
    out += [p.read_bytes() for p in sorted((ROOT / "examples").glob("*.json"))]
    bad = ROOT / "tests" / "interpreter" / "bad_inputs" / "cases"
    out += [
        p.read_bytes() for p in sorted(bad.glob("*.json")) if not p.name.endswith(".expect.json")
    ]
    out += [b"", b"   ", b"\xef\xbb\xbf" + out[0], b"\xff" + out[0], b'{"a": "\xed\xa0\x80"}']
    return out


@pytest.mark.parametrize("built", [True, False], ids=["text reader", "usual path"])
def test_read_text_reads_as_parse_and_convert(bundled_policy, built):
    """One suite over both paths of ``read_text``: with the text reader built,
    and without one (every text through parse_json_text and convert). Each
    gives what ``convert(parse_json_text(text))`` gives a checking reader,
    for a text (str) and for its bytes (``parse_case_bytes``): the same
    facts, or the same refusal, message, field and place."""
    from interpreter.cases import parse_case_bytes

    reader = CaseReader(bundled_policy)
    if built:
        assert reader.text_reader() is not None
    else:
        reader._read_text = None
    checking = CaseReader(bundled_policy)
    checking._read_fast = None
    taken = 0
    for text in texts(bundled_policy):
        want = outcome(parse_and_convert, checking, parse_json_text, text)
        assert outcome(reader.read_text, text, "c") == want, text[:200]
        if built and want[0] != "refused":
            taken += reader.text_reader()(text) is not SLOW
    assert taken > 2500 or not built  # the generated cases take the text reader
    for raw in raw_texts(bundled_policy):
        want = outcome(parse_and_convert, checking, parse_case_bytes, raw)
        assert outcome(reader.read_text, raw, "c") == want, raw[:200]


def test_read_text_builds_its_reader_for_the_second_text_only(bundled_policy):
    """``policy eval`` reads one case: it does not pay for generating the
    text reader; a reader that goes on to a second text builds it."""
    reader = CaseReader(bundled_policy)
    text = next(
        dumps_case(c)
        for c in generate(20, 3, policy=bundled_policy, catalog=bundled_policy.catalog_values)
    )
    first = outcome(reader.read_text, text, "c")
    assert reader._read_text is _UNBUILT
    second = outcome(reader.read_text, text.encode(), "c")
    assert reader._read_text is not _UNBUILT and reader._read_text is not None
    assert first == second
    assert reader.text_reader()(text) is not SLOW  # the second was the reader's


def test_the_text_reader_remembers_a_number_by_its_text(bundled_policy):
    """One reader, one field, numbers that are equal but written apart, each
    read twice: every reading is the checking path's (12 and 12.0, 0 and -0,
    10 and 1E+1 stay what they were written; 601, past the maximum, is never
    taken, the first time or the second)."""
    reader = CaseReader(bundled_policy)
    checking = CaseReader(bundled_policy)
    checking._read_fast = None
    base = next(
        dumps_case(c)
        for c in generate(200, 3, policy=bundled_policy, catalog=bundled_policy.catalog_values)
        if c.get("applicant")
    )
    values = [12, Decimal("12.0"), 0, Decimal("-0"), 10, Decimal("1E+1"), 601, Decimal("12.00")]
    for value in values + values:
        text = alter_text(base, ("applicant", "insured_months"), value)
        got = read_text(reader, text)
        assert (got is None) is (value == 601), value
        if got is not None:
            assert got == read(checking, text), value
            assert str(got[1]["applicant"]["insured_months"]) == str(value)
