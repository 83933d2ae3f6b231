"""The officer pages in a real headless Chromium, against a real `policy serve`
on a fresh ledger: the whole story of issue 18, one step after the other.

A caseworker signs in, submits an application with one mistake (an ID number
whose check digit is wrong), sees the error beside the field in the command
line's words, corrects it and sees an eligible decision with its explanation;
a second caseworker's claim for the same person and the same occupation and
level is refused with the reason; a reviewer finds the first claim in the
queue and approves it; the publicity list shows the grant masked, on screen
and printed; a read-only user sees no approve button, and a POST made anyway
is refused. Along the way: English by the switch, a phone's width, the
keyboard, and the form with JavaScript off.

Every step leaves a screenshot in the artefacts folder (named at the end of
the run; $POLICY_TEST_ARTEFACTS to choose it). With
$POLICY_DOCS_SCREENSHOTS=DIR the screenshots that docs/service.md shows are
written there too, made small (the command is in docs/service.md).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.helpers import CHROMIUM, chromium, pdf_pages
from tests.web.conftest import PASSWORDS

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,  # starts a real Chromium and a real server
    pytest.mark.skipif(
        not CHROMIUM.exists() and not os.environ.get("CI"),
        reason="needs Debian's chromium (/usr/bin/chromium); "
        "apt-get install chromium chromium-driver",
    ),
]

# one person, two claims (李明, as examples/vocational_training_intermediate.json)
PERSON = "370405199003152316"
MISTYPED = "370405199003152317"  # the check digit is wrong
CLAIM = {
    "applicant.name": "李明",
    "applicant.pension_eligible": "false",
    "training.in_district": "true",
    "training.kind": "就业技能培训",
    "training.project_based": "false",
    "training.free": "false",
    "training.occupation": "电工",
    "training.course": "ZD-006",
    "training.institution": "JG-002",
    "training.start_date": "2020-04-07",
    "training.end_date": "2020-05-15",
    "certificate.kind": "职业技能等级证书",
    "certificate.level": "中级",
    "certificate.occupation": "电工",
    "certificate.date": "2020-05-28",
    "application.date": "2020-06-10",
}
WAIT = 30  # seconds an explicit wait may take on a loaded machine
DOCS = {  # the story's screenshots docs/service.md shows: step → docs/NAME.png
    "02-apply-error": "ui-apply-error",
    "03-decision": "ui-decision",
    "03c-decision-phone": "ui-phone",
    "04-second-claim-refused": "ui-refused",
    "05-queue": "ui-queue",
    "07-publicity": "ui-publicity",
}


class Story:
    """A browser on the server, and the folder its screenshots go to."""

    def __init__(self, driver, url: str, folder: Path):
        self.d = driver
        self.url = url
        self.folder = folder
        self.shots: list[tuple[str, str]] = []

    # -- navigation with explicit waits (no sleeps) -------------------------------
    def wait(self, condition, seconds: float = WAIT):
        from selenium.webdriver.support.ui import WebDriverWait

        return WebDriverWait(self.d, seconds).until(condition)

    def get(self, path: str) -> None:
        self.d.get(self.url + path)
        self.loaded()

    def loaded(self) -> None:
        self.wait(lambda d: d.execute_script("return document.readyState") == "complete")

    def click_and_wait(self, element) -> None:
        """Click something that leaves the page, and wait for the next one."""
        self.leaving()
        element.click()
        self.arrived()

    def leaving(self) -> None:
        """Mark the page about to be left (the mark goes with its window)."""
        self.d.execute_script("window.__leaving = true")

    def arrived(self) -> None:
        """Wait for a new page, fully loaded. (Waiting for the old page's
        element to go stale raced: Chromium sometimes answers "node does not
        belong to the document" in between, which selenium does not take as
        stale.)"""
        from selenium.common.exceptions import WebDriverException
        from selenium.webdriver.support.ui import WebDriverWait

        WebDriverWait(self.d, WAIT, ignored_exceptions=(WebDriverException,)).until(
            lambda d: d.execute_script(
                "return !window.__leaving && document.readyState === 'complete'"
            )
        )

    def by_id(self, id_: str):
        from selenium.webdriver.common.by import By

        return self.d.find_element(By.ID, id_)

    def all(self, css: str):
        from selenium.webdriver.common.by import By

        return self.d.find_elements(By.CSS_SELECTOR, css)

    def text(self, css: str) -> str:
        from selenium.webdriver.common.by import By

        return self.d.find_element(By.CSS_SELECTOR, css).text

    def shot(self, name: str, caption: str, full: bool = False) -> Path:
        path = self.folder / f"{name}.png"
        if full:
            width = self.d.get_window_size()["width"]
            height = self.d.execute_script("return document.documentElement.scrollHeight")
            self.d.set_window_size(width, min(height + 120, 8000))
            self.d.save_screenshot(str(path))
            self.d.set_window_size(width, 900)
        else:
            self.d.save_screenshot(str(path))
        self.shots.append((path.name, caption))
        return path

    # -- the officer's steps ------------------------------------------------------------
    def sign_in(self, user: str, keyboard: bool = False) -> None:
        from selenium.webdriver.common.keys import Keys

        self.get("/ui/signin")
        if keyboard:
            # from the top of the page by Tab alone: the skip link first, then on
            # to the user name; Tab to the password; Enter submits
            from selenium.webdriver.common.action_chains import ActionChains

            ActionChains(self.d).send_keys(Keys.TAB).perform()
            assert self.d.switch_to.active_element.get_attribute("class") == "skip"
            for _ in range(10):
                if self.d.switch_to.active_element.get_attribute("id") == "f-user":
                    break
                ActionChains(self.d).send_keys(Keys.TAB).perform()
            assert self.d.switch_to.active_element.get_attribute("id") == "f-user"
            ActionChains(self.d).send_keys(user, Keys.TAB, PASSWORDS[user]).perform()
            assert self.d.switch_to.active_element.get_attribute("id") == "f-password"
            self.leaving()
            ActionChains(self.d).send_keys(Keys.ENTER).perform()
            self.arrived()
        else:
            self.by_id("f-user").send_keys(user)
            self.by_id("f-password").send_keys(PASSWORDS[user])
            self.click_and_wait(self.by_id("signin-button"))
        assert user in self.by_id("who").text

    def sign_out(self) -> None:
        self.click_and_wait(self.by_id("signout"))
        assert self.d.current_url.startswith(self.url + "/ui/signin")

    def fill(self, values: dict[str, str]) -> None:
        """Type a claim into the form as an officer would: text typed, choices
        chosen, dates typed into the date fields, programs ticked."""
        from selenium.webdriver.support.ui import Select

        for name, value in values.items():
            el = self.by_id(f"f-{name}")
            if el.tag_name == "select":
                Select(el).select_by_value(value)
            elif el.get_attribute("type") == "date":
                type_date(el, value)
            else:
                el.clear()
                el.send_keys(value)

    def pdf(self, name: str) -> bytes:
        """The page as Chromium prints it (its own @page), kept in the folder."""
        import base64

        out = self.d.execute_cdp_cmd(
            "Page.printToPDF", {"preferCSSPageSize": True, "printBackground": True}
        )
        pdf = base64.b64decode(out["data"])
        (self.folder / name).write_bytes(pdf)
        return pdf

    def tick(self, name: str, value: str) -> None:
        box = self.by_id(f"f-{name}-{value}")
        if not box.is_selected():
            box.click()

    def evidence(self, name: str) -> None:
        """What the browser showed when a step failed: a screenshot and the page."""
        try:
            self.d.save_screenshot(str(self.folder / f"{name}-FAILED.png"))
            (self.folder / f"{name}-FAILED.html").write_text(
                f"<!-- {self.d.current_url} -->\n{self.d.page_source}", encoding="utf-8"
            )
        except Exception:  # noqa: BLE001 - evidence is best effort; the failure is raised
            pass

    def index(self) -> None:
        """A page listing the screenshots (of every test so far) with what each shows."""
        import html
        import json

        seen = self.folder / "captions.json"
        captions = json.loads(seen.read_text(encoding="utf-8")) if seen.exists() else {}
        captions.update(dict(self.shots))
        seen.write_text(json.dumps(captions, ensure_ascii=False, indent=1), encoding="utf-8")
        items = "\n".join(
            f'<figure><img src="{html.escape(n)}" style="max-width:100%">'
            f"<figcaption>{html.escape(c)}</figcaption></figure>"
            for n, c in sorted(captions.items())
        )
        (self.folder / "index.html").write_text(
            f'<!DOCTYPE html><meta charset="utf-8"><title>officer pages</title>{items}',
            encoding="utf-8",
        )


def type_date(el, iso: str) -> None:
    """Type a date into a date field the way its (locale's) segments take it:
    Debian's Chromium here shows month/day/year."""
    year, month, day = iso.split("-")
    el.send_keys(month + day + year)
    assert el.get_attribute("value") == iso, (
        f"the date field took {el.get_attribute('value')!r} for {iso}: the browser's "
        "locale orders a date's parts differently"
    )


@pytest.fixture(scope="module")
def story_folder(artefacts, office):
    folder = artefacts / f"officer-pages-{office.kind}"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


def test_the_officer_story(office, story_folder):
    drv = chromium(width=1280, height=900)
    s = Story(drv, office.url, story_folder)
    try:
        _story(s, office)
    except BaseException:
        s.evidence("story")
        raise
    finally:
        s.index()
        drv.quit()
        print(f"\nscreenshots of the officer pages: {story_folder}")
    docs = os.environ.get("POLICY_DOCS_SCREENSHOTS")
    if docs and office.kind == "sqlite":
        for name, target in DOCS.items():
            small_png(story_folder / f"{name}.png", Path(docs) / f"{target}.png")


def small_png(source: Path, target: Path) -> None:
    """A screenshot made small enough to commit: 128 colours, no dithering
    (the pages are flat colours and text; a third of the size)."""
    from PIL import Image

    with Image.open(source) as im:
        small = im.convert("RGB").quantize(
            colors=128, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE
        )
        small.save(target, optimize=True)


def _story(s: Story, office) -> None:
    from selenium.webdriver.common.by import By

    # 1. 经办: the caseworker signs in
    s.get("/ui/signin")
    s.shot("01-signin", "登录（用户名与密码，或 API 令牌）")
    s.sign_in("alice")
    assert s.d.current_url.endswith("/ui/apply")  # a caseworker starts at the form
    # the session cookie as the browser keeps it: HttpOnly (no script reads it), SameSite
    cookie = {c["name"]: c for c in s.d.get_cookies()}["policy_session"]
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["path"] == "/ui"
    assert "policy_session" not in s.d.execute_script("return document.cookie")

    # 2. the form, generated from facts.yaml: catalogue codes offered, programs ticked
    courses = [o.get_attribute("value") for o in s.all("#dl-training\\.course option")]
    assert "ZD-006" in courses and "YB-001" in courses
    institutions = s.all("#dl-training\\.institution option")
    assert any(
        o.get_attribute("value") == "JG-002" and "职业中专" in o.get_attribute("label")
        for o in institutions
    )
    assert s.all("[name='history[0].program']") == []  # history comes from the ledger
    s.fill({"applicant.id": MISTYPED, **CLAIM})
    s.tick("application.programs", "vocational_training")
    s.click_and_wait(s.by_id("submit"))
    # one mistake: refused beside the field, in the command line's words, nothing stored
    error = s.by_id("e-applicant.id").text
    assert "the check digit of the ID number is wrong" in error, error
    assert s.by_id("f-applicant.id").get_attribute("aria-invalid") == "true"
    assert s.by_id("f-training.course").get_attribute("value") == "ZD-006"  # kept
    assert s.d.switch_to.active_element.get_attribute("id") == "errors"  # focus on them
    s.shot("02-apply-error", "一处错误：身份证号校验位不对，错误显示在字段旁（与命令行同样的措辞）")

    # 3. corrected and submitted: the decision and its explanation at once
    s.fill({"applicant.id": PERSON})
    s.click_and_wait(s.by_id("submit"))
    assert "/ui/applications/1" in s.d.current_url
    section = s.d.find_element(By.ID, "d-vocational_training")
    assert section.get_attribute("data-outcome") == "eligible"
    assert s.text("#d-vocational_training [data-amount]") == "1,500.00"
    marks = {
        li.get_attribute("data-clause"): li.get_attribute("data-result")
        for li in s.all("#d-vocational_training li.clause")
    }
    assert marks["not_repeated"] == "held" and marks["in_force"] == "held"
    assert set(marks.values()) == {"held"}
    assert "同一职业同一等级不可重复享受" in section.text  # the quoted source
    assert "自2019年1月1日起执行" in section.text  # the standard, since when
    s.shot("03-decision", "提交后立即显示判定：✓ 条款、读取的事实、政策原文")
    s.shot("03-decision-full", "整页：全部条款、适用标准及起始日期、申请事实、审计记录", full=True)
    # on paper: the decision and its reasons, without the navigation and the forms
    printed = "\n".join(pdf_pages(s.pdf("03-decision.pdf")))
    assert "同一职业同一等级不可重复享受" in printed and "1,500.00" in printed
    assert "当前用户" not in printed and "English" not in printed  # no navigation

    # English by the switch, and back
    s.click_and_wait(s.by_id("lang-switch"))
    assert s.d.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en"
    assert "eligible" in s.text("#d-vocational_training .outcome")
    assert "Amount" in s.text("#d-vocational_training .amount")
    s.shot("03b-decision-en", "The same decision in English (the switch at the top)")
    s.click_and_wait(s.by_id("lang-switch"))
    assert s.d.find_element(By.TAG_NAME, "html").get_attribute("lang") == "zh-CN"

    # a phone's width: nothing wider than the screen
    s.d.set_window_size(390, 844)
    s.loaded()
    width = s.d.execute_script("return document.documentElement.scrollWidth")
    assert width <= 390, f"the page is {width} px wide at 390 px"
    s.shot("03c-decision-phone", "手机宽度（390 px）")
    s.d.set_window_size(1280, 900)
    s.sign_out()

    # 4. a second caseworker's claim for the same person: refused, with the reason
    s.sign_in("carl")
    s.fill({"applicant.id": PERSON, **CLAIM})
    s.tick("application.programs", "vocational_training")
    s.click_and_wait(s.by_id("submit"))
    assert "/ui/applications/2" in s.d.current_url
    section = s.d.find_element(By.ID, "d-vocational_training")
    assert section.get_attribute("data-outcome") == "ineligible"
    failed = s.d.find_element(By.CSS_SELECTOR, "li.clause[data-clause='not_repeated']")
    assert failed.get_attribute("data-result") == "failed"
    assert "✗" in failed.text and "同一职业同一等级不可重复享受" in failed.text
    assert "1,500.00" in failed.text  # the grant the ledger holds, read as history
    assert s.all("#d-vocational_training [data-amount]") == []  # no amount
    s.shot(
        "04-second-claim-refused",
        "第二位经办人为同一人同一职业同一等级提交：✗ 不符合条件，原因与原文",
    )
    s.sign_out()

    # 5. 审核: the reviewer finds the claim in the queue and approves it
    s.sign_in("bob")
    assert s.d.current_url.endswith("/ui/applications")
    from selenium.webdriver.support.ui import Select

    Select(s.by_id("status")).select_by_value("submitted")
    s.by_id("q").send_keys("李明")
    s.click_and_wait(s.by_id("filter"))
    rows = [r.get_attribute("data-id") for r in s.all("#queue tbody tr")]
    assert rows == ["1", "2"]
    s.shot("05-queue", "审核队列：按状态、项目、日期筛选，按编号、身份证号、姓名搜索")
    s.click_and_wait(s.d.find_element(By.LINK_TEXT, "1"))
    trail = [r.get_attribute("data-action") for r in s.all("#trail tbody tr")]
    assert trail == ["submit"]
    # not the reviewer's own submission: alice's, so the review form is offered
    assert "alice" in s.text("dl.summary") and s.all("#own-claim") == []
    s.by_id("reason").send_keys("材料齐全")
    s.click_and_wait(s.by_id("approve"))
    assert s.by_id("app-status").get_attribute("data-status") == "approved"
    assert "bob" in s.by_id("reviewed").text and "材料齐全" in s.by_id("reviewed").text
    trail = [r.get_attribute("data-action") for r in s.all("#trail tbody tr")]
    assert trail == ["submit", "approve"]
    s.shot("06-approved", "审核通过（理由、审计记录）", full=True)

    # 6. 公示: the grant listed masked, on screen and on paper
    s.click_and_wait(s.d.find_element(By.LINK_TEXT, "公示"))
    rows = s.all("#publicity tbody tr")
    assert [r.get_attribute("data-application") for r in rows] == ["1"]
    assert s.text("#publicity tbody td.name") == "李*"
    assert s.text("#publicity tbody td.id") == "3704**********2316"
    assert PERSON not in s.d.page_source
    assert s.text("#total") == "1,500.00"
    s.shot("07-publicity", "公示：姓名与身份证号遮蔽，可打印")
    printed = "\n".join(pdf_pages(s.pdf("07-publicity.pdf")))
    assert "李*" in printed and "3704**********2316" in printed and "1,500.00" in printed
    assert PERSON not in printed and "退出" not in printed  # no navigation on paper
    s.sign_out()

    # 7. read-only: no approve button, and a POST made anyway is refused
    s.sign_in("rita", keyboard=True)
    s.get("/ui/applications/2")
    assert s.all("#approve") == [] and s.all("#review-form") == []
    s.shot("08-read-only", "只读用户：没有审核按钮")
    s.d.execute_script("""
        const f = document.createElement('form');
        f.method = 'post'; f.action = '/ui/applications/2/review';
        for (const [k, v] of [['csrf', document.querySelector('input[name=csrf]').value],
                              ['decision', 'approve']]) {
            const i = document.createElement('input');
            i.type = 'hidden'; i.name = k; i.value = v; f.appendChild(i);
        }
        document.body.appendChild(f);
        window.__form = f;""")
    s.leaving()
    s.d.execute_script("window.__form.submit()")
    s.arrived()
    assert "不能进行此操作" in s.by_id("message").text
    s.shot("09-read-only-refused", "只读用户仍然发送审核请求：被拒绝（403）")
    s.get("/ui/applications/2")
    assert s.by_id("app-status").get_attribute("data-status") == "submitted"
    s.sign_out()


def test_the_form_works_without_javascript(office, story_folder):
    """JavaScript off: sign in, submit the form, see its mistakes and then the
    decision, find the claim in the queue, read the publicity list."""
    from selenium.webdriver.common.by import By

    drv = chromium(javascript=False, width=1280, height=900)
    s = Story(drv, office.url, story_folder)
    try:
        s.sign_in("alice")
        s.fill(
            {
                "applicant.id": "110101199003074514",
                "applicant.name": "王芳",
                "applicant.enterprise_employee": "true",
                "applicant.insured_months": "三十八",
                "certificate.kind": "职业资格证书",
                "certificate.level": "高级",
                "certificate.occupation": "维修电工",
                "certificate.date": "2020-09-18",
                "application.date": "2020-10-09",
            }
        )
        s.tick("application.programs", "skill_upgrade")
        s.click_and_wait(s.by_id("submit"))
        assert "expected a number" in s.by_id("e-applicant.insured_months").text
        # the page's script did not run: with it, the focus is on the list of mistakes
        assert s.d.switch_to.active_element.get_attribute("id") != "errors"
        s.shot("10-no-javascript-error", "JavaScript 关闭：表单仍可提交，错误在字段旁")
        s.fill({"applicant.insured_months": "38"})
        s.click_and_wait(s.by_id("submit"))
        section = drv.find_element(By.ID, "d-skill_upgrade")
        assert section.get_attribute("data-outcome") == "eligible"
        assert s.text("#d-skill_upgrade [data-amount]") == "2,000.00"
        s.shot("11-no-javascript-decision", "JavaScript 关闭：判定结果")
        app_id = s.d.current_url.rsplit("/", 1)[-1].split("?")[0]
        # reading: the queue found by a search, and the publicity list
        s.get("/ui/applications")
        s.by_id("q").send_keys("王芳")
        s.click_and_wait(s.by_id("filter"))
        assert app_id in [r.get_attribute("data-id") for r in s.all("#queue tbody tr")]
        s.get("/ui/publicity")
        assert s.all("#publicity") and s.by_id("total").text
        # the print button is the script's: without it, hidden
        assert not s.d.find_element(By.CSS_SELECTOR, ".print-button").is_displayed()
    except BaseException:
        s.evidence("no-javascript")
        raise
    finally:
        s.index()
        drv.quit()


# -- every page on a phone, and by the keyboard alone ----------------------------------------

# What a page offers a keyboard and a phone, read in the page: its width
# against the window's, what sticks out on the right (outside a scrolling
# box), the controls without a name a screen reader would read, positive
# tabindex values (which reorder Tab), and the controls Tab should reach, in
# the order of the document (each marked data-tab with its place).
SURVEY = r"""
// (checkVisibility: the content of a closed <details> is laid out, yet hidden)
const visible = el => el.checkVisibility({visibilityProperty: true})
  && !el.closest('[aria-hidden=true]');
const named = el => {
  if ((el.getAttribute('aria-label') || '').trim()) return true;
  const by = el.getAttribute('aria-labelledby');
  if (by) return by.split(/\s+/).every(id => (document.getElementById(id) || {}).textContent);
  if (['INPUT', 'SELECT', 'TEXTAREA'].includes(el.tagName))
    return [...(el.labels || [])].some(l => l.textContent.trim());
  return el.textContent.trim() !== '';
};
const controls = [...document.querySelectorAll('input, select, textarea, button')]
  .filter(el => el.type !== 'hidden' && visible(el));
const tabbable = [...document.querySelectorAll('a[href], input, select, textarea, button, summary, [tabindex]')]
  .filter(el => el.type !== 'hidden' && !el.disabled && el.tabIndex >= 0 && visible(el));
tabbable.forEach((el, k) => el.setAttribute('data-tab', k));
const scrolled = el => el.closest('.scroll');
const wide = [...document.querySelectorAll('body *')]
  .filter(el => visible(el) && !scrolled(el) && el.getBoundingClientRect().right > innerWidth + 1)
  .map(el => el.tagName + (el.id ? '#' + el.id : '') + (el.className ? '.' + el.className : ''));
const active = document.activeElement;
let start = 0;
if (active && active !== document.body)
  start = tabbable.filter(el => active.compareDocumentPosition(el) & Node.DOCUMENT_POSITION_PRECEDING
                                 || el === active).length;
return {
  inner: innerWidth, scroll: document.documentElement.scrollWidth, wide: wide.slice(0, 5),
  unnamed: controls.filter(el => !named(el)).map(el => el.outerHTML.slice(0, 120)),
  positive: [...document.querySelectorAll('[tabindex]')].filter(el => el.tabIndex > 0).length,
  tabbable: tabbable.length, start: start,
};
"""
FOCUSED = r"""
const el = document.activeElement, st = getComputedStyle(el);
return [el.getAttribute('data-tab'), st.outlineStyle, st.outlineWidth,
        el.id || el.getAttribute('name') || el.tagName];
"""


def on_a_phone_by_the_keyboard(s: Story, what: str, lang: str) -> None:
    """The page now in the browser fits 390 px, every control is named, and
    Tab goes through the controls in the order they are read, each showing
    where the focus is."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    assert s.d.find_element("tag name", "html").get_attribute("lang").startswith(lang), what
    page = s.d.execute_script(SURVEY)
    assert page["inner"] <= 390, page
    assert page["scroll"] <= page["inner"], f"{what}: {page['scroll']} px wide at 390 px"
    assert page["wide"] == [], f"{what}: wider than the screen: {page['wide']}"
    assert page["unnamed"] == [], f"{what}: controls without a label: {page['unnamed']}"
    assert page["positive"] == 0, f"{what}: a positive tabindex reorders Tab"
    assert page["tabbable"] > 0, what
    reached: list[int] = []
    for _ in range(3 * (page["tabbable"] - page["start"])):  # a date field takes 3 Tabs
        if len(reached) == page["tabbable"] - page["start"]:
            break
        ActionChains(s.d).send_keys(Keys.TAB).perform()
        k, style, width, name = s.d.execute_script(FOCUSED)
        assert k is not None, f"{what}: Tab reached {name}, which is not a control ({reached})"
        assert style != "none" and width != "0px", f"{what}: no focus ring on {name}"
        if not reached or reached[-1] != int(k):
            reached.append(int(k))
    assert reached == list(range(page["start"], page["tabbable"])), (what, reached)


def test_every_page_on_a_phone_and_by_the_keyboard(office, story_folder):
    """Each desk's pages at 390 px, in Chinese and in English: nothing wider
    than the screen, every control labelled, Tab in reading order with the
    focus shown; the form with its mistakes too."""
    from selenium.webdriver.common.by import By

    from tests.web.conftest import pid, signed_in, submitted

    alice, bob = signed_in(office, "alice"), signed_in(office, "bob")
    claim = {**CLAIM, "application.programs": "vocational_training"}
    waiting = submitted(alice, {**claim, "applicant.id": pid(30), "applicant.name": "钱进"})
    approved = submitted(alice, {**claim, "applicant.id": pid(31), "applicant.name": "冯雪"})
    bob.get(f"/ui/applications/{approved}")
    r = bob.post(f"/ui/applications/{approved}/review", {"decision": "approve"})
    assert r.status_code == 303
    alice.close()
    bob.close()

    def mistyped(s: Story) -> None:
        s.fill({"applicant.id": MISTYPED, "applicant.name": "钱进"})
        s.click_and_wait(s.by_id("submit"))
        assert s.all("#e-applicant\\.id")

    desks = {
        "alice": [
            ("apply", "/ui/apply", None),
            ("apply-error", "/ui/apply", mistyped),
            ("claim-caseworker", f"/ui/applications/{waiting}", None),
        ],
        "bob": [
            ("queue", "/ui/applications?status=submitted", None),
            ("claim-reviewer", f"/ui/applications/{waiting}", None),
        ],
        "fay": [("claim-finance", f"/ui/applications/{approved}", None)],
        "rita": [("publicity", "/ui/publicity", None)],
    }
    drv = chromium(width=1280, height=900)
    s = Story(drv, office.url, story_folder)
    try:
        s.d.set_window_size(390, 844)  # (headless Chromium starts no narrower than 500)
        s.get("/ui/signin")
        for lang in ("zh", "en"):
            on_a_phone_by_the_keyboard(s, f"signin ({lang})", lang)
            s.click_and_wait(s.by_id("lang-switch"))
        assert s.d.find_element(By.TAG_NAME, "html").get_attribute("lang") == "zh-CN"
        for user, pages in desks.items():
            s.d.set_window_size(1280, 900)  # sign in at the desk's width, then the phone's
            s.sign_in(user)
            s.d.set_window_size(390, 844)
            for lang in ("zh", "en"):
                for name, path, then in pages:
                    s.get(path)
                    if then:
                        then(s)
                    on_a_phone_by_the_keyboard(s, f"{name} ({lang})", lang)
                    if lang == "zh":
                        s.shot(f"12-phone-{name}", f"手机宽度（390 px）：{name}")
                s.click_and_wait(s.by_id("lang-switch"))
            s.sign_out()
    except BaseException:
        s.evidence("phone-keyboard")
        raise
    finally:
        s.index()
        drv.quit()
