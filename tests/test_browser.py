"""The HTML report in a real browser: headless Chromium through Selenium with Debian's chromedriver.

Opens the report built from a store (the bundled corpus analysed by the fake models; the real
models in one slower test), clicks through an issue, an analyst, a search with a filter, a
claim's source and the stance matrix, walks it with the keyboard, and checks after every step
that the console stayed clean and that no request left the file. Screenshots go to
maps/screenshots/ (or $ARGMAP_SCREENSHOTS) for a person to look at.

Needs /usr/bin/chromium and /usr/bin/chromedriver (Debian's chromium and chromium-driver;
$ARGMAP_CHROMIUM / $ARGMAP_CHROMEDRIVER to use others): skipped, saying so, where they are
missing, but failed when $CI is "true" (CI must really run it). Selenium Manager is never used:
the driver's path is always given, and SE_OFFLINE is set.
"""
from __future__ import annotations

import base64
import importlib.util
import json
import os
import time
from pathlib import Path
from urllib.parse import quote, unquote

import pytest
from click.testing import CliRunner

from argmap import report
from argmap.cli import cli

from conftest import CORPUS  # noqa: E402

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("ARGMAP_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("ARGMAP_CHROMEDRIVER", "/usr/bin/chromedriver")
SHOTS = Path(os.environ.get("ARGMAP_SCREENSHOTS") or ROOT / "maps" / "screenshots")
DESKTOP, PHONE = (1280, 900), (390, 844)
WAIT = 10.0


def _need_browser() -> None:
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not os.access(p, os.X_OK)]
    if importlib.util.find_spec("selenium") is None:
        missing.append("the selenium Python package (pip install -e '.[test]')")
    if missing:
        why = ("the browser test needs " + ", ".join(missing) +
               " (apt-get install chromium chromium-driver, or bash scripts/setup.sh)")
        if os.environ.get("CI") == "true":
            pytest.fail(why + "; CI=true, so this is a failure, not a skip")
        pytest.skip(why)


class Page:
    """A Chromium tab with what the report checks need: clicks, waits, logs, screenshots."""

    def __init__(self, driver, url: str, shots: Path):
        self.d, self.url, self.shots = driver, url, shots
        self.requests: list[str] = []
        self.console: list[dict] = []

    # -- the two checks after every step ------------------------------------------------------
    def check_clean(self, step: str) -> None:
        self.console += [e for e in self.d.get_log("browser") if e["level"] in ("SEVERE", "WARNING")]
        for entry in self.d.get_log("performance"):
            msg = json.loads(entry["message"])["message"]
            if msg.get("method") == "Network.requestWillBeSent":
                self.requests.append(msg["params"]["request"]["url"])
        assert self.console == [], f"{step}: console errors or warnings: {self.console}"
        base = self.url.split("#", 1)[0]
        leaving = [u for u in self.requests if u.split("#", 1)[0] != base and not u.startswith(("data:", "about:"))]
        assert leaving == [], f"{step}: requests left the file: {leaving}"

    # -- helpers ----------------------------------------------------------------------------------
    def js(self, script: str, *args):
        return self.d.execute_script(script, *args)

    def wait(self, css: str, what: str = ""):
        from selenium.webdriver.common.by import By

        end = time.monotonic() + WAIT
        while time.monotonic() < end:
            found = self.d.find_elements(By.CSS_SELECTOR, css)
            if found:
                return found
            time.sleep(0.05)
        raise AssertionError(f"{what or css}: not shown within {WAIT:.0f} s (at {self.d.current_url})")

    def wait_for(self, predicate, what: str):
        end = time.monotonic() + WAIT
        while time.monotonic() < end:
            if predicate():
                return
            time.sleep(0.05)
        raise AssertionError(f"{what}: not within {WAIT:.0f} s (at {self.d.current_url})")

    def click(self, element) -> None:
        self.js("arguments[0].scrollIntoView({block: 'center'});", element)
        element.click()

    def fresh(self, step, what: str):
        """``step()`` again while the page re-renders what it holds (a stale element), up to WAIT."""
        from selenium.common.exceptions import StaleElementReferenceException

        end = time.monotonic() + WAIT
        while True:
            try:
                return step()
            except StaleElementReferenceException:
                if time.monotonic() > end:
                    raise AssertionError(f"{what}: the page kept re-rendering for {WAIT:.0f} s") from None
                time.sleep(0.05)

    def text(self, css: str) -> str:
        """The text of the first element ``css`` as the page shows it now ("" if none)."""
        return self.js("const e = document.querySelector(arguments[0]); return e ? e.textContent : '';", css)

    def hash(self) -> str:
        return unquote(self.js("return location.hash;"))

    def size(self, width_height: tuple[int, int]) -> None:
        w, h = width_height
        self.d.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                               {"width": w, "height": h, "deviceScaleFactor": 1, "mobile": w < 500})

    def shot(self, name: str, full: bool = False) -> Path:
        self.shots.mkdir(parents=True, exist_ok=True)
        data = self.d.execute_cdp_cmd("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": full})
        path = self.shots / f"{name}.png"
        path.write_bytes(base64.b64decode(data["data"]))
        return path

    def in_viewport(self, element) -> bool:
        return self.js("""const r = arguments[0].getBoundingClientRect();
            const top = document.querySelector('.top'); const cover = top && getComputedStyle(top).position === 'sticky'
              ? top.getBoundingClientRect().bottom : 0;
            return r.height > 0 && r.top >= cover - 1 && r.bottom <= window.innerHeight + 1;""", element)


@pytest.fixture(scope="module")
def driver():
    _need_browser()
    os.environ.setdefault("SE_OFFLINE", "true")  # belt and braces: Selenium Manager must never download
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--hide-scrollbars",
                f"--window-size={DESKTOP[0]},{DESKTOP[1]}", "--no-first-run", "--disable-extensions",
                "--disable-background-networking", "--disable-component-update", "--disable-sync"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    d = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield d
    finally:
        d.quit()


def _open(driver, path: Path, shots: Path) -> Page:
    driver.get("about:blank")
    driver.get_log("browser"), driver.get_log("performance")  # forget the previous page's
    page = Page(driver, path.resolve().as_uri(), shots)
    page.size(DESKTOP)
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
    driver.get(page.url)
    page.wait(".issue-card", "the overview's issues")
    page.check_clean("open")
    return page


def _build(db: Path, out: Path) -> Path:
    result = CliRunner().invoke(cli, ["report", "--db", str(db), "--out", str(out)])
    assert result.exit_code == 0, result.output + repr(result.exception)
    return out


def walk(page: Page, data: dict) -> None:
    """Click through the report as a reader would; assert each view; save screenshots."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import Select

    # overview: every issue, with sides and a verdict
    cards = page.wait(".issue-card")
    assert len(cards) == len(data["issues"])
    assert page.d.find_elements(By.CSS_SELECTOR, ".issue-card .badge.verdict")
    page.shot("overview")
    page.size(PHONE)
    assert page.js("return document.documentElement.scrollWidth;") <= PHONE[0], "the phone view scrolls sideways"
    page.shot("overview-phone")
    page.size(DESKTOP)

    # an issue: its map (big enough to read), its claims by side, its links
    sided = next((i for i, x in enumerate(data["issues"]) if x["sided"] and x["map"]), 0)
    issue = data["issues"][sided]
    page.js("location.hash = arguments[0];", "#/")
    page.fresh(lambda: page.click(page.wait(f'.issue-card h2 a[href="#/issue/{issue["id"]}"]')[0]), "the issue link")
    page.wait_for(lambda: page.hash() == f"#/issue/{issue['id']}", "the issue's route")
    page.wait_for(lambda: issue["label"] in " ".join(page.text("h1").split()), "the issue's heading")  # once re-rendered
    if issue["map"]:
        svg = page.wait("figure.map svg", "the issue map")[0]
        assert svg.size["width"] >= 400, f"the map is drawn {svg.size['width']} px wide"
        assert page.d.find_elements(By.CSS_SELECTOR, "figure.map a.map-claim")
    shown = page.d.find_elements(By.CSS_SELECTOR, ".side-col .claim")
    assert len(shown) == len(issue["claims"])
    page.check_clean("issue page")
    page.shot("issue")
    page.shot("issue-full", full=True)
    page.d.back()
    page.wait_for(lambda: page.hash() in ("", "#/"), "Back to the overview")
    page.wait(".issue-card")

    # an analyst: their claims, who they agree and clash with
    def open_analyst():
        chip = page.wait(".issue-card .chip")[0]
        name = chip.get_attribute("data-analyst")
        page.click(chip)
        return name

    name = page.fresh(open_analyst, "an analyst chip")
    page.wait_for(lambda: page.hash() == f"#/analyst/{name}", "the analyst's route")
    assert page.wait("h1 .chip")[0].get_attribute("title") == name
    mine = [c for c in data["claims"] if data["analysts"][c["a"]]["name"] == name]
    assert len(page.d.find_elements(By.CSS_SELECTOR, "main ul.claims > .claim")) == len(mine)
    page.check_clean("analyst page")
    page.shot("analyst")

    # search: "/" focuses the box; a word; then a filter by analyst
    body = page.d.find_element(By.TAG_NAME, "body")
    body.send_keys("/")
    assert page.js("return document.activeElement.id;") == "q"
    word = max((w.strip(".,;:\u201c\u201d\"'") for c in data["claims"] for w in c["text"].split()), key=lambda w: (
        sum(w.lower() in c["text"].lower() for c in data["claims"]) if len(w) > 4 else 0))
    page.d.switch_to.active_element.send_keys(word, Keys.ENTER)
    page.wait_for(lambda: page.hash().startswith("#/search"), "the search route")
    page.wait("#result-count")
    page.wait_for(lambda: "match" in page.text("#result-count"), "the result count")
    results = page.d.find_elements(By.CSS_SELECTOR, ".results > .claim")
    expected = [c for c in data["claims"] if word.lower() in c["text"].lower()]
    assert len(results) == len(expected) > 0
    assert page.text("#announce") == page.text("#result-count")
    who = data["analysts"][expected[0]["a"]]["name"]
    Select(page.d.find_element(By.ID, "f-analyst")).select_by_value(who)
    narrowed = [c for c in expected if data["analysts"][c["a"]]["name"] == who]
    page.wait_for(lambda: len(page.d.find_elements(By.CSS_SELECTOR, ".results > .claim")) == len(narrowed),
                  "the analyst filter")
    assert page.fresh(lambda: {e.get_attribute("data-analyst") for e in
                               page.d.find_elements(By.CSS_SELECTOR, ".results .chip")}, "the results") == {who}
    assert "analyst=" in page.js("return location.hash;")
    page.check_clean("search")
    page.shot("search")

    # a claim's source: its document, the claim highlighted, in view and focused
    def open_claim():
        target = page.d.find_elements(By.CSS_SELECTOR, ".results > .claim a.quote")[-1]
        claim_id = target.find_element(By.XPATH, "..").get_attribute("data-claim")
        page.click(target)
        return claim_id

    claim_id = page.fresh(open_claim, "a result's quote")
    page.wait_for(lambda: page.hash() == f"#/claim/{claim_id}", "the claim's route")
    mark = page.wait("mark.hl.current", "the highlighted claim")[0]
    assert mark.get_attribute("data-claim") == claim_id
    page.wait_for(lambda: page.in_viewport(mark), "the highlighted claim in the viewport")
    assert page.js("return document.activeElement === arguments[0];", mark)
    claim = next(c for c in data["claims"] if c["id"] == claim_id)
    assert " ".join(mark.text.split()) == " ".join(claim["text"].split())
    assert claim["text"] in page.wait(".claim-panel blockquote")[0].text
    page.check_clean("claim in its document")
    page.shot("document-claim")

    # the stance matrix: the picture (a data: image that loaded) and its table
    page.click(page.d.find_element(By.CSS_SELECTOR, '[data-nav="matrix"]'))
    page.wait_for(lambda: page.hash() == "#/matrix", "the matrix route")
    if data["matrix"].get("image"):
        img = page.wait(".matrix-picture img")[0]
        page.wait_for(lambda: page.js("return arguments[0].complete && arguments[0].naturalWidth;", img),
                      "the matrix picture")
        assert img.get_attribute("alt")
    assert len(page.d.find_elements(By.CSS_SELECTOR, "table.matrix tbody tr")) == len(data["issues"])
    page.check_clean("matrix")
    page.shot("matrix")

    # print: navigation hidden, the view black on white
    page.js("location.hash = arguments[0];", f"#/issue/{issue['id']}")
    page.wait("figure.map" if issue["map"] else ".side-col")
    page.d.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    assert page.js("return getComputedStyle(document.querySelector('.top')).display;") == "none"
    assert page.js("return getComputedStyle(document.body).backgroundColor;") in ("rgb(255, 255, 255)",
                                                                                  "rgba(0, 0, 0, 0)")
    page.shot("print-issue", full=True)
    page.d.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
    page.check_clean("print")


def keyboard(page: Page) -> None:
    """Tab reaches the skip link first, then an issue link with a visible outline; Enter follows it."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    page.d.get("about:blank")
    page.d.get(page.url)  # a fresh load: focus starts at the top of the page
    page.wait(".issue-card")
    ActionChains(page.d).send_keys(Keys.TAB).perform()
    assert page.js("return document.activeElement.id;") == "skip"
    for _ in range(80):
        ActionChains(page.d).send_keys(Keys.TAB).perform()
        href = page.js("return document.activeElement.getAttribute('href') || '';")
        if href.startswith("#/issue/"):
            break
    else:
        raise AssertionError("Tab never reached an issue link")
    outline = page.js("const s = getComputedStyle(document.activeElement); return [s.outlineStyle, s.outlineWidth];")
    assert outline[0] != "none" and outline[1] != "0px", outline
    page.shot("keyboard-focus")
    ActionChains(page.d).send_keys(Keys.ENTER).perform()
    page.wait_for(lambda: page.hash() == unquote(href), "Enter following the focused link")
    page.wait("main h1")
    page.check_clean("keyboard")


def _data(path: Path) -> dict:
    page = path.read_text(encoding="utf-8")
    start = page.index('id="argmap-data">') + len('id="argmap-data">')
    return json.loads(page[start:page.index("</script>", start)])


def test_report_in_chromium_fake_models(driver, fake_analysed, tmp_path):
    path = _build(fake_analysed, tmp_path / "report.html")
    page = _open(driver, path, SHOTS / "fake-models")
    walk(page, _data(path))
    keyboard(page)


def test_hostile_text_stays_text_in_chromium(driver, tmp_path):
    from test_report import DATA, IMG, SCRIPT

    path = tmp_path / "hostile.html"
    maps = None
    try:
        maps = report.issue_maps(DATA)
    except Exception:  # noqa: BLE001 - no Graphviz: the rest still counts
        pass
    path.write_text(report.build_report(DATA, maps, report.matrix_picture(DATA)), encoding="utf-8")
    page = _open(driver, path, SHOTS / "hostile")
    from selenium.common.exceptions import NoAlertPresentException

    for route, shown in ((f"#/analyst/{quote(SCRIPT, safe='')}", SCRIPT), (f"#/analyst/{quote(IMG, safe='')}", IMG),
                         ("#/document/doc", SCRIPT),
                         ("#/issue/issue-1", SCRIPT), ("#/search?q=script", "</script><!--")):
        page.js("location.hash = arguments[0];", route)
        page.wait("main h1")
        page.wait_for(lambda: shown in page.js("return document.querySelector('main').textContent;"),
                      f"{route}: the text shown as text")
        with pytest.raises(NoAlertPresentException):
            page.d.switch_to.alert.text
        assert page.js("return document.querySelectorAll('main script, main img[src=\"x\"], main iframe').length;") == 0
        page.check_clean(route)
    page.shot("hostile-document")


@pytest.fixture(scope="module")
def real_store(tmp_path_factory):
    db = tmp_path_factory.mktemp("real-report") / "argmap.db"
    result = CliRunner().invoke(cli, ["ingest", str(CORPUS), "--db", str(db)])
    assert result.exit_code == 0, result.output + repr(result.exception)
    return db


def test_report_in_chromium_real_corpus(driver, real_store, tmp_path):
    """The bundled corpus with argmap's real models: the screenshots a person looks at."""
    _need_browser()
    path = _build(real_store, tmp_path / "report.html")
    assert path.stat().st_size < 5_000_000
    page = _open(driver, path, SHOTS)
    walk(page, _data(path))
    keyboard(page)
