"""Publishing and comparing the catalogues a policy declares (catalogs.yaml).

Everything shown comes from the declaration and the data file: the titles,
the field labels, the edition, issuer and note that make the preamble. The
site names the policy (id, number, hash) it was published under. Nothing
here knows any particular catalogue.
"""

from __future__ import annotations

import copy
import csv
import datetime as _dt
import io
import json
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, cast

from jinja2 import Environment, select_autoescape

if TYPE_CHECKING:
    from interpreter.catalogues import CatalogueDecl

FORMATS = ("html", "csv", "json")

_PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<title>{{ title }}</title>
<style>
body { font-family: "Noto Sans CJK SC", "Noto Sans SC", sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; width: 100%; }
th, td { border: 1px solid #999; padding: .3em .5em; text-align: left; vertical-align: top; }
thead { display: table-header-group; }
tr { page-break-inside: avoid; }
.meta { color: #555; font-size: .9em; }
.note { white-space: pre-line; border-left: 3px solid #c90; padding-left: .8em; }
@media print { body { margin: 0; } a { color: inherit; text-decoration: none; } }
</style></head><body>
{% if catalogue %}
<p class="meta"><a href="index.html">{{ policy.number }} {{ policy.title }}</a></p>
<h1>{{ catalogue.title }}</h1>
{% if catalogue.title_en %}<p class="meta">{{ catalogue.title_en }}</p>{% endif %}
{% if catalogue.description %}<p>{{ catalogue.description }}</p>{% endif %}
<p class="meta">{% for k, v in meta %}{{ k }}: {{ v }}{% if not loop.last %} · {% endif %}{% endfor %}</p>
{% if note %}<p class="note">{{ note }}</p>{% endif %}
<table><thead><tr>{% for f in fields %}<th>{{ f.label }}<br><small>{{ f.name }}</small></th>{% endfor %}</tr></thead>
<tbody>{% for row in rows %}<tr>{% for cell in row %}<td>{{ cell }}</td>{% endfor %}</tr>{% endfor %}</tbody></table>
<p class="meta">{{ rows|length }} 条 · <a href="{{ catalogue.id }}.csv">CSV</a> · <a href="{{ catalogue.id }}.json">JSON</a></p>
{% else %}
<h1>{% if site.title %}{{ site.title }}{% else %}{{ policy.number }} {{ policy.title }}{% endif %}</h1>
{% if site.preamble %}<p>{{ site.preamble }}</p>{% endif %}
<p class="meta">{{ policy.number }} {{ policy.title }} · 目录 Catalogues</p>
<ul>{% for c in catalogues %}<li><a href="{{ c.id }}.html">{{ c.title }}</a> ({{ c.entries|length }})</li>{% endfor %}</ul>
{% endif %}
<p class="meta">policy {{ policy.id }} · {{ policy.hash }}</p>
</body></html>
"""


def _cell(value) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, _dt.date):
        return "—" if value == _dt.date(9999, 12, 31) else value.isoformat()
    if isinstance(value, dict):  # a record: its values that say something
        return " ".join(t for t in (_cell(v) for v in value.values()) if t and t != "—")
    if isinstance(value, list):
        sep = "；" if any(isinstance(v, dict) for v in value) else "、"
        return sep.join(_cell(v) for v in value)
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def _plain(value):
    if isinstance(value, _dt.date):
        return None if value == _dt.date(9999, 12, 31) else value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _fields(decl) -> list[dict]:
    return [{"name": n, "label": decl.label(n)} for n in decl.fields]


def site_of(policy) -> dict:
    """The ``site:`` the policy's catalogs.yaml declares (title, preamble), or {}."""
    from interpreter.yamlsource import load_yaml

    path = Path(policy.root) / "catalogs.yaml"
    data = load_yaml(path, display_name=str(path)).data if path.is_file() else None
    got = data.get("site") if isinstance(data, dict) else None
    return got if isinstance(got, dict) else {}


def pages(policy) -> dict[str, str]:
    """file name → text of the site of the policy's declared catalogues."""
    env = Environment(autoescape=select_autoescape(default=True))
    page = env.from_string(_PAGE)
    doc = {
        "id": policy.document.id,
        "number": policy.document.number,
        "title": policy.document.title,
        "hash": policy.hash,
    }
    about = site_of(policy)
    out = {
        "index.html": page.render(
            policy=doc,
            catalogue=None,
            catalogues=policy.catalogues,
            title=about.get("title") or f"{doc['number']} 目录",
            site=about,
        )
    }
    for decl in policy.catalogues:
        names = list(decl.fields)
        rows = [[_cell(e[n]) for n in names] for e in decl.entries]
        meta = [
            (k, decl.meta[k]) for k in ("edition", "issued", "issuer", "basis") if decl.meta.get(k)
        ]
        if decl.meta.get("sample"):
            meta.append(("示例", "本目录为示例数据，非官方"))
        out[f"{decl.id}.html"] = page.render(
            policy=doc,
            catalogue=decl,
            meta=meta,
            note=decl.meta.get("note"),
            fields=_fields(decl),
            rows=rows,
            title=decl.title,
        )
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow([decl.label(n) for n in names])
        w.writerows(rows)
        out[f"{decl.id}.csv"] = "\ufeff" + buf.getvalue()
        out[f"{decl.id}.json"] = (
            json.dumps(
                {
                    "catalogue": decl.id,
                    "title": decl.title,
                    "policy": doc,
                    **{k: v for k, v in decl.meta.items() if k not in ("catalogue", "title")},
                    "fields": _fields(decl),
                    "entries": [{n: _plain(e[n]) for n in names} for e in decl.entries],
                },
                ensure_ascii=False,
                indent=2,
                sort_keys=True,
            )
            + "\n"
        )
    return out


def publish(policy, out: Path, formats=FORMATS) -> list[Path]:
    """Write the site into ``out`` (created); the files written."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in sorted(pages(policy).items()):
        if name.rsplit(".", 1)[-1] not in formats and name != "index.html":
            continue
        path = out / name
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
        written.append(path)
    return written


def entries_of(policy, decl_id: str, path: Path) -> tuple[CatalogueDecl, list]:
    """The declaration ``decl_id`` of ``policy`` read from another data file
    (an older or newer edition); raises ErrorList with file:line:col."""
    from dsl.errors import ErrorList
    from interpreter import catalogues, schemas
    from interpreter.yamlsource import load_yaml

    base = next(d for d in policy.catalogues if d.id == decl_id)
    decl = copy.copy(base)
    decl.entries, decl.positions, decl.meta = [], [], {}
    errors: list = []
    src = load_yaml(path, display_name=str(path))
    errors.extend(schemas.validate(src, "catalog-data"))
    if not errors:
        catalogues.fill(decl, src, policy.enums, errors)
    if errors:
        raise ErrorList(errors)
    return decl, decl.entries


def diff(policy, old: Path, new: Path) -> dict:
    """Entries added, removed and changed (by key) between two editions of a
    declared catalogue; which catalogue is read from the files' `catalogue:`."""
    from dsl.errors import PolicyFileError, Position
    from interpreter.yamlsource import load_yaml

    data = load_yaml(new, display_name=str(new)).data
    cid = data.get("catalogue") if isinstance(data, dict) else None
    ids = [d.id for d in policy.catalogues]
    if cid not in ids:
        raise PolicyFileError(
            f"the file names no catalogue of this policy (catalogue: {cid!r}); "
            "its catalogues: " + ", ".join(ids),
            position=Position(str(new)),
        )
    decl, before = entries_of(policy, cast(str, cid), old)  # one of the ids
    _d, after = entries_of(policy, cast(str, cid), new)
    old_by = {decl.key_of(e): e for e in before}
    new_by = {decl.key_of(e): e for e in after}
    key = lambda k: ", ".join(f"{n}={v}" for n, v in zip(decl.key, k))  # noqa: E731
    changed = []
    for k in [k for k in new_by if k in old_by]:
        # as the published pages show them (a record's values, a list's items)
        fields = {
            n: [_cell(old_by[k][n]), _cell(new_by[k][n])]
            for n in decl.fields
            if old_by[k][n] != new_by[k][n]
        }
        if fields:
            changed.append({"key": key(k), "fields": fields})
    return {
        "catalogue": cid,
        "title": decl.title,
        "added": [key(k) for k in new_by if k not in old_by],
        "removed": [key(k) for k in old_by if k not in new_by],
        "changed": changed,
    }
