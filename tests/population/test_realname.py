"""Real-name checks in a batch (七（三）): repeated claims are flagged with the
lines they conflict with, within the batch and against a history file."""

import copy
import json

from click.testing import CliRunner

from cli import cli
from tests.helpers import ROOT

BASE = json.loads(
    (ROOT / "examples" / "vocational_training_intermediate.json").read_text(encoding="utf-8")
)


def claim(occupation, level, date="2020-06-10", person="370405199003152316"):
    case = copy.deepcopy(BASE)
    case["applicant"]["id"] = person
    case["certificate"].update(occupation=occupation, level=level)
    case["training"]["occupation"] = occupation
    case["history"] = []
    case["application"]["date"] = date
    return case


def run_batch(tmp_path, cases, *extra):
    src = tmp_path / "cases.jsonl"
    src.write_text(
        "".join(json.dumps(c, ensure_ascii=False) + "\n" for c in cases), encoding="utf-8"
    )
    out = tmp_path / "out.jsonl"
    r = CliRunner().invoke(cli, ["batch", str(src), "--out", str(out), *extra])
    assert r.exit_code == 0, r.output
    lines = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    return r, src, lines


def test_same_occupation_and_level_twice_is_flagged(tmp_path):
    cases = [
        claim("电工", "中级"),
        claim("焊工", "初级"),
        claim("电工", "中级"),
        claim("电工", "中级", person="370405199912120004"),
    ]
    r, src, lines = run_batch(tmp_path, cases)
    assert [x["decisions"][0]["outcome"] for x in lines] == ["eligible"] * 4
    assert [bool(x.get("flags")) for x in lines] == [False, False, True, False]
    (flag,) = lines[2]["flags"]
    assert flag["check"] == "same_occupation_level"
    assert flag["key"] == {"occupation": "电工", "level": "中级"}
    assert flag["conflicts_with"] == [f"{src}:1"]
    assert "1 flagged by real-name checks" in r.output


def test_more_than_three_a_year_is_flagged_and_years_are_apart(tmp_path):
    cases = [
        claim(o, "初级", date=d)
        for o, d in (
            ("电工", "2020-03-01"),
            ("焊工", "2020-04-01"),
            ("车工", "2020-05-01"),
            ("钳工", "2020-06-01"),
            ("铣工", "2021-01-05"),
        )
    ]
    _r, src, lines = run_batch(tmp_path, cases)
    flags = [[f["check"] for f in x.get("flags", [])] for x in lines]
    assert flags == [[], [], [], ["three_per_year"], []]
    assert lines[3]["flags"][0]["conflicts_with"] == [f"{src}:{i}" for i in (1, 2, 3)]
    assert lines[3]["flags"][0]["year"] == 2020


def test_history_file_brings_in_earlier_claims(tmp_path):
    history = tmp_path / "history.jsonl"
    history.write_text(
        json.dumps(
            {
                "id": "370405199003152316",
                "program": "vocational_training",
                "date": "2019-05-01",
                "occupation": "电工",
                "level": "中级",
            },
            ensure_ascii=False,
        )
        + "\n",
        encoding="utf-8",
    )
    _r, _src, lines = run_batch(tmp_path, [claim("电工", "中级")], "--history", str(history))
    (flag,) = lines[0]["flags"]
    assert flag["conflicts_with"] == [f"{history}:1"]


def test_refused_claims_are_not_counted(tmp_path):
    refused = claim("电工", "中级")
    refused["applicant"]["pension_eligible"] = True
    _r, _src, lines = run_batch(tmp_path, [refused, claim("电工", "中级")])
    assert lines[0]["decisions"][0]["outcome"] == "ineligible"
    assert "flags" not in lines[1]


def test_the_registry_remembers_every_claim_in_little_memory():
    """The claims of a long batch are kept as digests in flat arrays; each is
    found again after the table has grown, and digests that share their first
    half (the slot) are told apart."""
    from population.realname import _Places

    places = _Places()
    digests = [i.to_bytes(8, "little") * 2 for i in range(1, 20_000)]
    twins = [b"\x07" * 8 + i.to_bytes(8, "little") for i in range(1, 50)]  # one slot
    for n, d in enumerate(digests + twins):
        assert places.first(d, n) is None
    for n, d in enumerate(digests + twins):
        assert places.first(d, -1) == n
    assert places.first(b"\x00" * 16, 5) is None and places.first(b"\x00" * 16, 6) == 5


def test_flags_name_every_earlier_line_and_the_history(tmp_path):
    from population.realname import Check, Registry

    check = Check(
        "three_per_year",
        "每人每年不超过3次",
        "applicant.id",
        ("vocational_training",),
        (),
        3,
        "year",
        None,
    )
    reg = Registry([check])
    history = tmp_path / "history.jsonl"
    history.write_text(
        '{"id": "P1", "program": "vocational_training", "date": "2020-03-01"}\n', encoding="utf-8"
    )
    assert reg.load_history(history) == 1
    claim = (("three_per_year", "P1", (), 2020, "vocational_training"),)
    assert reg.add("cases.jsonl", 4, claim) == []
    assert reg.add("cases.jsonl", 9, claim) == []
    (flag,) = reg.add("cases.jsonl", 12, claim)
    assert flag["conflicts_with"] == [f"{history}:1", "cases.jsonl:4", "cases.jsonl:9"]
    assert (
        reg.add("cases.jsonl", 13, (("three_per_year", "P1", (), 2021, "vocational_training"),))
        == []
    )
    assert reg.flagged == 1


def test_past_its_bound_the_registry_goes_on_in_a_file_with_the_same_answers(monkeypatch):
    """A registry whose table may not grow past 8,192 slots moves its claims
    to a file and gives, claim by claim, the earlier places the table in
    memory gives; the file's folder is removed when it is closed."""
    import os
    import random

    from population.realname import Registry

    rng = random.Random(4)
    digests = [rng.randbytes(16) for _ in range(12_000)]
    digests[5] = digests[5][:8] + bytes(8)  # a second half 0, read as 1 in the table
    stream = [rng.choice(digests[: i // 2 + 1]) for i in range(20_000)]  # many seen again
    memory = Registry([], spill_slots=1 << 30)
    bounded = Registry([], spill_slots=1 << 13)
    for place, d in enumerate(stream):
        assert bounded._seen_digest(d, place) == memory._seen_digest(d, place), place
    assert bounded.spilled and not memory.spilled
    assert bounded._first.mask + 1 <= 1 << 13
    folder = bounded._disk.folder
    assert os.path.isdir(folder) and (os.stat(folder).st_mode & 0o777) == 0o700
    bounded.close()
    assert not os.path.exists(folder)


def test_a_batch_past_the_bound_writes_the_same_lines(tmp_path, monkeypatch, bundled_policy):
    """policy batch over cases with repeated persons, its registry bound to a
    small table: the lines (flags included) are those of the registry in
    memory, and no file of the claims is left behind."""
    import tempfile

    from click.testing import CliRunner

    from commands.population import batch as batch_cmd
    from population import realname
    from population.synthetic import dumps_case, generate
    from tests.helpers import with_repeated_persons

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    texts = with_repeated_persons(
        [
            dumps_case(c)
            for c in generate(6000, 8, policy=bundled_policy, catalog=bundled_policy.catalog_values)
        ],
        2,
    )
    cases = tmp_path / "cases.jsonl"
    cases.write_text("\n".join(texts) + "\n", encoding="utf-8")
    r = CliRunner().invoke(batch_cmd, [str(cases), "--out", str(tmp_path / "memory.jsonl")])
    assert r.exit_code == 0, r.output
    monkeypatch.setattr(realname, "SPILL_SLOTS", 1 << 12)
    made = []
    real_init = realname._DiskPlaces.__init__

    def counted(self):
        made.append(self)
        real_init(self)

    monkeypatch.setattr(realname._DiskPlaces, "__init__", counted)
    r = CliRunner().invoke(batch_cmd, [str(cases), "--out", str(tmp_path / "bounded.jsonl")])
    assert r.exit_code == 0, r.output
    memory = (tmp_path / "memory.jsonl").read_bytes()
    assert memory == (tmp_path / "bounded.jsonl").read_bytes()
    assert memory.count(b'"flags":') > 10
    assert len(made) == 1  # the claims went on in a file
    assert list((tmp_path / "tmp").iterdir()) == []


def test_a_damaged_history_file_exits_2_and_names_the_line(tmp_path):
    """A history file comes from outside: a line that nests too deeply or is
    not UTF-8 was an internal error (exit 3); a program or a key value that is
    a list or an object counted for nothing, without a word, so the claims it
    held were not checked against. Now exit 2, the line named."""
    good = {
        "id": "370405199003152316",
        "program": "vocational_training",
        "date": "2019-05-01",
        "occupation": "电工",
        "level": "中级",
    }
    src = tmp_path / "cases.jsonl"
    src.write_text(json.dumps(claim("电工", "中级"), ensure_ascii=False) + "\n", encoding="utf-8")
    for second, words in [
        (b'{"a":' * 50_000 + b"1" + b"}" * 50_000, "the JSON nests too deeply"),
        (
            json.dumps({**good, "level": "\xe9"}).encode("utf-8").replace(b"\\u00e9", b"\xe9"),
            "not UTF-8",
        ),
        (
            json.dumps({**good, "program": ["vocational_training"]}).encode(),
            '"program" is a program',
        ),
        (
            json.dumps({**good, "occupation": {"a": 1}}).encode(),
            '"occupation" is a text or a number',
        ),
    ]:
        history = tmp_path / "history.jsonl"
        history.write_bytes(json.dumps(good, ensure_ascii=False).encode() + b"\n" + second + b"\n")
        out = tmp_path / "out.jsonl"
        r = CliRunner().invoke(
            cli, ["batch", str(src), "--out", str(out), "--force", "--history", str(history)]
        )
        assert r.exit_code == 2, r.output
        assert f"{history}:2" in r.output and words in r.output, r.output
        assert "internal error" not in r.output and not out.exists()
