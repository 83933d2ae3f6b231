"""Records: classes of named fields declared as dataclasses are (annotated
class attributes, defaults, ``field(...)``), with no code generated.

``dataclasses.dataclass`` writes and compiles an ``__init__``, ``__repr__``
and ``__eq__`` (frozen: also ``__hash__``, ``__setattr__``, ``__delattr__``)
for each class when its module is imported, and imports ``inspect`` to do it:
for the syntax tree, the types and the policy model, some forty classes, this
was about a fifth of a warm `policy eval` (issue 21, point 3). A ``Record``
subclass behaves the same through methods written once here (read from the
bytecode cache like any code):

- its fields are the annotated class attributes (``ClassVar`` excepted), its
  bases' first, in the order written; a keyword-only field comes after the
  others in ``__init__``; a field given again keeps its place;
- ``__init__`` takes them by position or by name, with their defaults
  (``name: T = value``, ``field(default=...)``, ``field(default_factory=...)``);
- ``==`` holds between records of the same class whose compared fields are
  equal (``field(compare=False)`` leaves one out); ``repr`` shows the fields
  (``field(repr=False)`` hides one);
- ``class X(Record, frozen=True)`` (and its subclasses): no field may be
  assigned or deleted once made, and it hashes by its compared fields; any
  other record is unhashable, as a dataclass with ``eq`` is.

``replace`` and ``fields`` are ``dataclasses.replace`` and ``fields``.
"""

from __future__ import annotations

from collections.abc import Callable
from operator import attrgetter
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    # mypy then reads a record class as it reads a dataclass (its __init__
    # typed by its fields); at run time the decorator does nothing and typing
    # is not imported for it
    from typing_extensions import dataclass_transform
else:

    def dataclass_transform(**_kwargs: Any) -> Callable[[type], type]:
        return lambda cls: cls


MISSING: Any = object()


class FrozenInstanceError(AttributeError):
    """An assignment to a field of a frozen record."""


class Field:
    __slots__ = ("compare", "default", "default_factory", "kw_only", "name", "repr", "type")

    def __init__(
        self,
        default: Any = MISSING,
        default_factory: Callable[[], Any] | None = None,
        compare: bool = True,
        repr: bool = True,
        kw_only: bool = False,
    ) -> None:
        self.name = ""
        self.type: object = ""  # the annotation, as written (a string under postponed annotations)
        self.default = default
        self.default_factory = default_factory
        self.compare = compare
        self.repr = repr
        self.kw_only = kw_only

    def __repr__(self) -> str:
        return f"Field({self.name!r}: {self.type})"


def field(
    *,
    default: Any = MISSING,
    default_factory: Callable[[], Any] | None = None,
    compare: bool = True,
    repr: bool = True,
    kw_only: bool = False,
) -> Any:
    """A field with more than a default (as ``dataclasses.field``)."""
    return Field(default, default_factory, compare, repr, kw_only)


class _Spec:
    """What a record class's methods read: worked out once per class."""

    __slots__ = (
        "by_name",
        "defaults",
        "factories",
        "fields",
        "frozen",
        "key",
        "names",
        "positional",
        "shown",
    )

    def __init__(self, fields: dict[str, Field], frozen: bool) -> None:
        self.fields = fields
        self.positional = tuple(n for n, f in fields.items() if not f.kw_only)
        self.names = self.positional + tuple(n for n, f in fields.items() if f.kw_only)
        # the fields that may be given by name after n given by position
        self.by_name = [frozenset(self.names[n:]) for n in range(len(self.positional) + 1)]
        compared = tuple(n for n, f in fields.items() if f.compare)
        self.key: Callable[[Any], tuple[Any, ...]]
        if not compared:
            self.key = _no_values
        elif len(compared) == 1:
            one = attrgetter(compared[0])
            self.key = lambda obj: (one(obj),)
        else:
            self.key = attrgetter(*compared)  # a tuple of the values, in C
        self.shown = tuple(n for n, f in fields.items() if f.repr)
        self.defaults = {n: f.default for n, f in fields.items() if f.default is not MISSING}
        self.factories = {
            n: f.default_factory for n, f in fields.items() if f.default_factory is not None
        }
        self.frozen = frozen


def _no_values(_obj: Any) -> tuple[Any, ...]:
    return ()


@dataclass_transform(field_specifiers=(field, Field))
class Record:
    """The base of a record class (see the module's words)."""

    __record__: _Spec = _Spec({}, False)

    def __init_subclass__(cls, frozen: bool | None = None, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        base = cls.__record__  # the nearest record base's
        fields = dict(base.fields)
        # this class's own annotations (not inspect.get_annotations: importing
        # inspect is what this module spares a start-up)
        own = cls.__dict__.get("__annotations__", {})  # noqa: RUF063
        for name, annotation in own.items():
            if str(annotation).startswith(("ClassVar", "typing.ClassVar")):
                continue
            value = cls.__dict__.get(name, MISSING)
            f = value if isinstance(value, Field) else Field(default=value)
            if isinstance(value, Field):  # the class keeps the default, as with dataclasses
                if f.default is MISSING:
                    delattr(cls, name)
                else:
                    setattr(cls, name, f.default)
            f.name, f.type = name, annotation
            fields[name] = f
        frozen = base.frozen if frozen is None else frozen
        spec = _Spec(fields, frozen)
        required_after_default = [
            n
            for i, n in enumerate(spec.positional)
            if n not in spec.defaults
            and n not in spec.factories
            and any(m in spec.defaults or m in spec.factories for m in spec.positional[:i])
        ]
        if required_after_default:
            raise TypeError(
                f"{cls.__name__}: field {required_after_default[0]!r} without a default "
                "follows one with a default"
            )
        cls.__record__ = spec
        if frozen:
            if "__hash__" not in cls.__dict__:
                cls.__hash__ = Record._frozen_hash  # type: ignore[method-assign,assignment]
            cls.__setattr__ = Record._frozen_setattr  # type: ignore[method-assign,assignment]
            cls.__delattr__ = Record._frozen_delattr  # type: ignore[method-assign,assignment]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # dict operations in C rather than a loop over the fields: a syntax
        # tree read from the cache makes a few hundred records
        spec = self.__record__
        if len(args) > len(spec.positional):
            raise TypeError(
                f"{type(self).__name__}() takes {len(spec.positional)} positional arguments "
                f"but {len(args)} were given"
            )
        d = self.__dict__  # not setattr: a frozen record is filled here, once
        d.update(spec.defaults)
        if kwargs:
            if not kwargs.keys() <= spec.by_name[len(args)]:
                name = next(k for k in kwargs if k not in spec.by_name[len(args)])
                how = (
                    "multiple values for argument"
                    if name in spec.fields
                    else "an unexpected keyword argument"
                )
                raise TypeError(f"{type(self).__name__}() got {how} {name!r}")
            d.update(kwargs)
        d.update(zip(spec.positional, args))
        for name, factory in spec.factories.items():
            if name not in d:
                d[name] = factory()
        if len(d) < len(spec.names):
            name = next(n for n in spec.names if n not in d)
            raise TypeError(f"{type(self).__name__}() missing required argument: {name!r}")

    def __repr__(self) -> str:
        shown = ", ".join(f"{n}={getattr(self, n)!r}" for n in self.__record__.shown)
        return f"{type(self).__qualname__}({shown})"

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        key = self.__record__.key
        return key(self) == key(other)

    __hash__ = None  # type: ignore[assignment]  # a mutable record, as a dataclass with eq

    def _frozen_hash(self) -> int:
        return hash(self.__record__.key(self))

    def _frozen_setattr(self, name: str, value: Any) -> None:
        raise FrozenInstanceError(f"cannot assign to field {name!r}")

    def _frozen_delattr(self, name: str) -> None:
        raise FrozenInstanceError(f"cannot delete field {name!r}")


def fields(obj_or_cls: Record | type[Record]) -> tuple[Field, ...]:
    """The fields of a record (or record class), in order."""
    return tuple(obj_or_cls.__record__.fields.values())


def replace(obj: Any, **changes: Any) -> Any:
    """A copy of the record ``obj`` with ``changes`` (as ``dataclasses.replace``)."""
    values = {n: getattr(obj, n) for n in obj.__record__.names}
    unknown = set(changes) - set(values)
    if unknown:
        raise TypeError(f"{type(obj).__name__} has no field {sorted(unknown)[0]!r}")
    values.update(changes)
    return type(obj)(**values)
