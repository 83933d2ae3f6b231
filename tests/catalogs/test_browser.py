"""The published pages in a real headless Chromium, opened from file://.

Skipped only when /usr/bin/chromium is absent and the CI variable is unset;
in CI a missing browser (or selenium) is a failure, not a skip.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from catalogs.site import publish
from tests.helpers import catalogue_site

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
VALID = Path(__file__).parent / "fixtures" / "valid"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,  # starts a real Chromium
    pytest.mark.skipif(
        not CHROMIUM.exists() and not os.environ.get("CI"),
        reason="needs Debian's chromium (/usr/bin/chromium); "
        "apt-get install chromium chromium-driver",
    ),
]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("site")
    publish(catalogue_site(VALID), out)
    return out


@pytest.fixture(scope="module")
def driver():
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
        "--window-size=1280,900",
    ):
        options.add_argument(arg)
    # an explicit driver path: selenium-manager downloads nothing
    drv = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    drv.set_page_load_timeout(15)
    try:
        yield drv
    finally:
        drv.quit()


def visible_codes(drv) -> list[str]:
    from selenium.webdriver.common.by import By

    rows = drv.find_elements(By.CSS_SELECTOR, "#catalogue tbody tr")
    return [r.get_attribute("data-key") for r in rows if r.is_displayed()]


def all_codes(drv) -> list[str]:
    from selenium.webdriver.common.by import By

    return [
        r.get_attribute("data-key")
        for r in drv.find_elements(By.CSS_SELECTOR, "#catalogue tbody tr")
    ]


def search(drv, text: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    box = drv.find_element(By.ID, "search")
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys(Keys.BACKSPACE)
    if text:
        box.send_keys(text)


def click_header(drv, label: str) -> str:
    from selenium.webdriver.common.by import By

    th = drv.find_element(
        By.XPATH, f"//table[@id='catalogue']//th[button[normalize-space()='{label}']]"
    )
    th.find_element(By.TAG_NAME, "button").click()
    return th.get_attribute("aria-sort")


def test_index_links_to_the_catalogue_page(site, driver):
    from selenium.webdriver.common.by import By

    driver.get((site / "index.html").as_uri())
    assert driver.find_element(By.ID, "sample-banner").is_displayed()
    driver.find_element(By.LINK_TEXT, "测试重点产业目录").click()
    assert driver.current_url == (site / "key_industry.html").as_uri()
    assert driver.find_element(By.TAG_NAME, "h1").text == "测试重点产业目录"


def test_search_box_filters_rows(site, driver):
    from selenium.webdriver.common.by import By

    driver.get((site / "key_industry.html").as_uri())
    assert driver.find_element(By.ID, "sample-banner").is_displayed()
    assert visible_codes(driver) == ["ZD-001", "ZD-002", "ZD-003", "ZD-004"]
    search(driver, "化工")
    assert visible_codes(driver) == ["ZD-001", "ZD-002"]
    assert driver.find_element(By.ID, "count").text == "显示 2 / 4 条"
    search(driver, "矿山 中级")  # every word must match
    assert visible_codes(driver) == ["ZD-004"]
    search(driver, "<高级>")  # escaped text is searchable as text
    assert visible_codes(driver) == ["ZD-003"]
    search(driver, "zd-00")  # case-insensitive
    assert visible_codes(driver) == ["ZD-001", "ZD-002", "ZD-003", "ZD-004"]
    search(driver, "没有这个")
    assert visible_codes(driver) == []
    assert driver.find_element(By.ID, "count").text == "显示 0 / 4 条"
    search(driver, "")
    assert visible_codes(driver) == ["ZD-001", "ZD-002", "ZD-003", "ZD-004"]


def test_clicking_a_header_sorts(site, driver):
    driver.get((site / "key_industry.html").as_uri())
    assert click_header(driver, "标准课时") == "ascending"  # 160, 48, 120, 100
    assert all_codes(driver) == ["ZD-002", "ZD-004", "ZD-003", "ZD-001"]
    assert click_header(driver, "标准课时") == "descending"
    assert all_codes(driver) == ["ZD-001", "ZD-003", "ZD-004", "ZD-002"]
    search(driver, "化工")  # filtering keeps the sorted order
    assert visible_codes(driver) == ["ZD-001", "ZD-002"]
    search(driver, "")
    assert click_header(driver, "代码") == "ascending"
    assert all_codes(driver) == ["ZD-001", "ZD-002", "ZD-003", "ZD-004"]
    assert click_header(driver, "代码") == "descending"
    assert all_codes(driver) == ["ZD-004", "ZD-003", "ZD-002", "ZD-001"]


def test_numbers_sort_as_numbers(site, driver):
    driver.get((site / "demand.html").as_uri())
    click_header(driver, "人数")  # 1, 40, 5: as text 40 would precede 5
    assert all_codes(driver) == ["XQ-0001", "XQ-0003", "XQ-0002"]


def test_print_style_hides_the_controls_but_keeps_the_banner(site, driver):
    from selenium.webdriver.common.by import By

    driver.get((site / "key_industry.html").as_uri())
    assert driver.find_element(By.ID, "search").is_displayed()
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        assert not driver.find_element(By.ID, "search").is_displayed()
        assert driver.find_element(By.ID, "sample-banner").is_displayed()
        assert len(visible_codes(driver)) == 4
    finally:
        driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
