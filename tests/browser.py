"""A real Chromium (Debian's `chromium` driven by `chromium-driver` through Selenium) for the
Konsol's browser tests, with the checks every page gets: labelled inputs, headings in
order, readable status colours, under 200 kB, and a screenshot under var/screenshots/."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from itertools import pairwise
from pathlib import Path
from typing import Any

from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait

from tests.conftest import ROOT

SCREENSHOTS = ROOT / "var" / "screenshots"
STATUS_CLASSES = ("tercapai", "tidak_tercapai", "nihil", "down", "degraded", "up",
                  "langkah-done", "langkah-failed", "langkah-waiting_approval", "pesan", "info")

LABELS = """
return Array.from(document.querySelectorAll('input:not([type=hidden]), select, textarea'))
  .filter(el => !(el.id && document.querySelector('label[for="' + el.id + '"]'))
                && !el.closest('label'))
  .map(el => el.outerHTML.slice(0, 120));
"""
COLOURS = """
function bg(el) {
  for (; el; el = el.parentElement) {
    const c = getComputedStyle(el).backgroundColor;
    if (c && c !== 'rgba(0, 0, 0, 0)' && c !== 'transparent') return c;
  }
  return 'rgb(255, 255, 255)';
}
return Array.from(document.querySelectorAll(arguments[0])).map(
  el => [el.className, getComputedStyle(el).color, bg(el)]);
"""


def chromium(*extra: str) -> webdriver.Chrome:
    """A headless Chromium of its own (its own cookies: one person's session)."""
    options = Options()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                "--window-size=1100,900", "--lang=id", *extra):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)
    driver.implicitly_wait(0)
    return driver


def _luminance(rgb: str) -> float:
    r, g, b = (int(v) / 255 for v in re.findall(r"\d+", rgb)[:3])
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in (r, g, b)]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(fore: str, back: str) -> float:
    """WCAG 2 contrast ratio of two CSS rgb() colours."""
    hi, lo = sorted((_luminance(fore), _luminance(back)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


ENGLISH = ("runner", "probe(s)", "--note", "no eselon", "(run ", "unticked", "needs eselon",
           "is for a", "not responsible")


def checked_page(driver: webdriver.Chrome, name: str) -> str:
    """The accessibility basics and size of the page shown, then its screenshot; returns
    the page's text."""
    unlabelled = driver.execute_script(LABELS)
    assert unlabelled == [], f"{name}: inputs without a label: {unlabelled}"
    levels = [int(h.tag_name[1]) for h in driver.find_elements(By.CSS_SELECTOR,
                                                                "h1, h2, h3, h4")]
    assert levels and levels[0] == 1 and levels.count(1) == 1, f"{name}: headings {levels}"
    assert all(b - a <= 1 for a, b in pairwise(levels)), f"{name}: headings {levels}"
    selector = ", ".join(f".{c}" for c in STATUS_CLASSES)
    for cls, fore, back in driver.execute_script(COLOURS, selector):
        assert contrast(fore, back) >= 4.5, f"{name}: .{cls} {fore} on {back}"
    size = len(driver.page_source.encode())
    assert size < 200_000, f"{name}: {size} bytes"
    assert driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == "id"
    assert "Traceback" not in driver.page_source
    text = str(driver.find_element(By.TAG_NAME, "body").text)
    english = [w for w in ENGLISH if w in text]  # the CLI's words never reach an official
    assert english == [], f"{name}: {english}"
    screenshot(driver, name)
    return text


def screenshot(driver: webdriver.Chrome, name: str) -> Path:
    """The whole page (the window stretched to its height)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    height = driver.execute_script("return document.documentElement.scrollHeight")
    width = driver.get_window_size()["width"]
    driver.set_window_size(width, min(max(int(height) + 120, 600), 6000))
    path = SCREENSHOTS / f"{name}.png"
    driver.save_screenshot(str(path))
    driver.set_window_size(width, 900)
    return path


def wait_until(driver: webdriver.Chrome, condition: Callable[[webdriver.Chrome], Any],
               seconds: float = 60) -> Any:
    return WebDriverWait(driver, seconds, poll_frequency=0.2,
                         ignored_exceptions=(StaleElementReferenceException,)).until(condition)


def fill(form: WebElement, fields: dict[str, str]) -> None:
    for name, value in fields.items():
        field = form.find_element(By.NAME, name)
        field.clear()
        field.send_keys(value)
