"""What several test modules share (imported as ``tests.helpers``; no test
module imports another)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def load_policy(root=None, revisions=(), catalogs_dir=None):
    """The engine's load_policy as the command line calls it; ``catalogs_dir``:
    a folder of catalogue data files to read instead of the policy's own
    ``catalogs/`` (the policy folder is copied next to it, with that folder as
    its catalogues: catalogues are part of the policy)."""
    import shutil

    from interpreter.loader import load_policy as load

    if catalogs_dir is not None:
        source = Path(root) if root is not None else ROOT / "policy"
        copy = Path(catalogs_dir).parent / f"{Path(catalogs_dir).name}-policy"
        if copy.exists():
            shutil.rmtree(copy)
        shutil.copytree(source, copy, ignore=shutil.ignore_patterns("catalogs"))
        shutil.copytree(catalogs_dir, copy / "catalogs")
        root = copy
    return load(root, revisions=list(revisions))


def policy_copy(dest: Path, root: Path | None = None) -> Path:
    """A writable copy of a policy folder (default: the bundled one) at ``dest``."""
    import shutil

    shutil.copytree(root or ROOT / "policy", dest, ignore=shutil.ignore_patterns("__pycache__"))
    return dest


# -- real clients: Chromium, poppler ------------------------------------------------

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")


def chromium(javascript: bool = True, width: int = 1280, height: int = 900):
    """A headless Debian Chromium driven by selenium through Debian's
    chromedriver (an explicit path: selenium-manager downloads nothing).
    The caller quits it."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for arg in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--window-size={width},{height}",
    ):
        options.add_argument(arg)
    if not javascript:
        options.add_experimental_option(
            "prefs", {"profile.managed_default_content_settings.javascript": 2}
        )
    drv = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    drv.set_page_load_timeout(30)
    return drv


def print_to_pdf(drv, url: str) -> bytes:
    """The page as Chromium prints it: the page's own @page size and margins
    (as its print dialog does), backgrounds on."""
    import base64

    drv.get(url)
    # print once the fonts are in: a page laid out with a fallback font breaks
    # its pages elsewhere
    drv.execute_script("return document.fonts.ready.then(function () { return true; })")
    out = drv.execute_cdp_cmd(
        "Page.printToPDF", {"preferCSSPageSize": True, "printBackground": True}
    )
    return base64.b64decode(out["data"])


def pdf_pages(pdf: bytes, layout: bool = False) -> list[str]:
    """The text of each page (poppler's pdftotext; pages split at form feeds).
    Without ``layout`` the words of a table cell come together, wrapped or not."""
    import subprocess

    args = ["pdftotext", "-enc", "UTF-8"] + (["-layout"] if layout else []) + ["-", "-"]
    text = subprocess.run(args, input=pdf, capture_output=True, check=True).stdout.decode("utf-8")
    pages = text.split("\f")
    return pages[:-1] if pages and not pages[-1].strip() else pages


def pdf_page_sizes(pdf: bytes) -> list[tuple[float, float]]:
    """(width, height) in points of every page (poppler's pdfinfo)."""
    import re
    import subprocess
    import tempfile

    with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
        f.write(pdf)
        f.flush()
        out = subprocess.run(
            ["pdfinfo", "-f", "1", "-l", "9999", f.name], capture_output=True, check=True, text=True
        ).stdout
    return [
        (float(w), float(h))
        for w, h in re.findall(r"^Page\s+\d+ size:\s+([\d.]+) x ([\d.]+)", out, re.M)
    ]


# -- populations with repeated persons ------------------------------------------------


def with_repeated_persons(
    lines: list[str], seed: int = 0, share: float = 0.08, duplicates: float = 0.02
) -> list[str]:
    """Generated case lines (`policy generate`) rewritten so that the
    real-name checks have work across the whole file: ``share`` of the
    vocational-training cases are made by a few persons (one for every 400
    such cases: about ten claims each a year, so more than three a year),
    and ``duplicates`` of all lines repeat an earlier line anywhere before
    them (the same person, occupation and level twice). Deterministic for a
    seed."""
    import json
    import random

    rng = random.Random(seed)
    out = list(lines)
    vt = [i for i, t in enumerate(out) if '"vocational_training"' in t]
    pool = max(4, len(vt) // 400)
    people = [json.loads(out[i])["applicant"]["id"] for i in vt[:pool]]
    for i in vt[pool:]:
        if rng.random() < share:
            case = json.loads(out[i])
            case["applicant"]["id"] = rng.choice(people)
            out[i] = json.dumps(case, ensure_ascii=False, separators=(",", ":"))
    for i in range(1, len(out)):
        if rng.random() < duplicates:
            out[i] = out[rng.randrange(i)]
    return out


def squashed(text: str) -> str:
    """Text without its whitespace. The explanations are printed in lines of
    80 columns with a hanging indent, so a phrase a test looks for may be
    broken anywhere: look for ``squashed(phrase) in squashed(output)``."""
    return "".join(text.split())


def wrapped_line(text: str, start: str) -> str:
    """The line of ``text`` that starts with ``start``, its continuation lines
    (indented deeper) joined back on, without the whitespace at the joins."""
    lines = text.splitlines()
    (i,) = [i for i, line in enumerate(lines) if line.startswith(start)]
    depth = len(start) - len(start.lstrip(" "))
    out = lines[i]
    for line in lines[i + 1 :]:
        if len(line) - len(line.lstrip(" ")) <= depth:
            break
        out = out.rstrip() + line.strip()
    return out


def catalogue_site(catalogs_dir=None, policy_dir=None):
    """The site `policy catalog publish` writes (catalogs.site.Site) for the
    policy of ``policy_dir`` (default: bundled), its catalogues read from
    ``catalogs_dir`` when given; every catalogue error fails the test."""
    from catalogs.read import read
    from catalogs.site import site_of
    from interpreter.loader import load_policy as load

    policy = load(policy_dir)
    got = read(policy, catalogs_dir)
    assert not got.errors, [e.render() for e in got.errors]
    return site_of(policy, got.catalogues, got.tables)
