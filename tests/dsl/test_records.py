"""dsl.records against dataclasses: the same fields, constructor, equality,
hash, repr and immutability for the shapes the engine declares."""

import copy
import dataclasses
import pickle

import pytest

from dsl import records
from dsl.records import FrozenInstanceError, Record, field


# the same declarations, once as dataclasses and once as records
@dataclasses.dataclass(frozen=True)
class DNode:
    pos: int = dataclasses.field(default=0, compare=False, repr=False, kw_only=True)


@dataclasses.dataclass(frozen=True)
class DNum(DNode):
    value: int
    percent: bool = False


class RNode(Record, frozen=True):
    pos: int = field(default=0, compare=False, repr=False, kw_only=True)


class RNum(RNode):
    value: int
    percent: bool = False


@dataclasses.dataclass
class DBag:
    name: str
    items: list = dataclasses.field(default_factory=list)
    note: str | None = None


class RBag(Record):
    name: str
    items: list = field(default_factory=list)
    note: str | None = None


def same(d, r):
    assert repr(d).replace("D", "R", 1) == repr(r)


def test_construction_by_position_and_by_name():
    for args, kwargs in (((1,), {}), ((1, True), {}), ((), {"value": 2}), ((3,), {"pos": 9})):
        d, r = DNum(*args, **kwargs), RNum(*args, **kwargs)
        assert (d.value, d.percent, d.pos) == (r.value, r.percent, r.pos)
        same(d, r)
    for call in (
        lambda c: c(),
        lambda c: c(1, True, 5),
        lambda c: c(1, value=1),
        lambda c: c(1, x=1),
    ):
        for cls in (DNum, RNum):
            with pytest.raises(TypeError):
                call(cls)


def test_equality_hash_and_compare_false():
    assert RNum(1, pos=1) == RNum(1, pos=2) and hash(RNum(1, pos=1)) == hash(RNum(1, pos=2))
    assert RNum(1) != RNum(2) and RNum(1) != RNum(1, True)
    assert RNum(1) != RNode() and RNum(1) != 1
    assert {RNum(1), RNum(1, pos=3)} == {RNum(1)}


def test_frozen_refuses_assignment_as_a_dataclass_does():
    r, d = RNum(1), DNum(1)
    for obj in (r, d):
        with pytest.raises(AttributeError):
            obj.value = 2
        with pytest.raises(AttributeError):
            del obj.value
    with pytest.raises(FrozenInstanceError):
        r.other = 1


def test_mutable_records_default_factories_and_no_hash():
    a, b = RBag("x"), RBag("x")
    assert a == b and a.items == [] and a.items is not b.items
    a.items.append(1)
    a.note = "n"
    assert a != b
    same(DBag("x", [1], "n"), a)
    with pytest.raises(TypeError):
        hash(a)
    with pytest.raises(TypeError):
        hash(DBag("x"))


def test_replace_fields_copy_and_pickle():
    r = RNum(1, pos=4)
    s = records.replace(r, percent=True)
    assert (s.value, s.percent, s.pos) == (1, True, 4) and r.percent is False
    with pytest.raises(TypeError):
        records.replace(r, nope=1)
    assert [(f.name, f.type) for f in records.fields(RNum)] == [
        ("pos", int),
        ("value", int),
        ("percent", bool),
    ]
    for other in (copy.copy(r), copy.deepcopy(r), pickle.loads(pickle.dumps(r))):
        assert other == r and other.pos == 4
    bag = RBag("x", [1])
    assert pickle.loads(pickle.dumps(bag)) == bag


def test_a_required_field_after_a_default_is_refused():
    with pytest.raises(TypeError):

        class Bad(Record):
            a: int = 1
            b: int


def test_a_subclass_keeps_a_redeclared_field_in_its_place():
    class A(Record):
        x: int
        y: int = 0

    class B(A):
        x: int = 5

    assert [f.name for f in records.fields(B)] == ["x", "y"]
    assert B().x == 5 and B(1, 2).y == 2
