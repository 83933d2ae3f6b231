"""The records whose ``__init__`` is written out (for speed: one is made per
decision) take exactly their declared fields, in order, with their defaults."""

import inspect

import pytest

from dsl import records
from interpreter.decision import InstallmentResult, StandardUse


@pytest.mark.parametrize("cls", [StandardUse, InstallmentResult])
def test_a_written_out_init_takes_the_fields(cls):
    params = list(inspect.signature(cls.__init__).parameters.values())[1:]
    fields = records.fields(cls)
    assert [p.name for p in params] == [f.name for f in fields]
    for p, f in zip(params, fields):
        want = inspect.Parameter.empty if f.default is records.MISSING else f.default
        assert p.default == want, p.name
    values = {f.name: object() for f in fields}
    made = cls(**values)
    assert all(getattr(made, n) is v for n, v in values.items())
    assert made == cls(*values.values())
