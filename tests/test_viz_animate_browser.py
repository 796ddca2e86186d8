"""The saved animation page in a real browser (headless Chromium, driven by selenium): stepping forward and back,
the slider, the keys and play each show the frame the printed trace says, and the page asks for nothing over the
network. CI installs Debian's chromium and chromium-driver (.ci/install)."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

import autograd_core as ag
from tests.test_viz import lecture_f
from tests.viz_expected import expected_frames

# One call reads what the player shows: its frame number, the trace lines, the highlighted nodes' names.
READ_PLAYER = """
const player = arguments[0];
const names = Array.from(player.querySelectorAll(".ag-picture g.node.current")).map(
    g => g.querySelector("text").textContent.split(" = ")[0]);
return {frame: Number(player.getAttribute("data-frame")), playing: player.getAttribute("data-playing"),
        lines: player.querySelector(".ag-lines").textContent, highlighted: names.sort()};
"""


@pytest.fixture(scope="module")
def browser():
    chromium, driver_path = shutil.which("chromium"), shutil.which("chromedriver")
    assert chromium and driver_path, "browser tests need Debian's chromium and chromium-driver: run .ci/install"
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})  # every request the page makes
    driver = webdriver.Chrome(options=options, service=Service(driver_path))
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def lecture(tmp_path_factory):
    f, _, _ = lecture_f()
    f.name = "f"
    page = ag.viz.animate(f, interval=0.04).save(tmp_path_factory.mktemp("page") / "sweep.html")
    return page, expected_frames(f)


def open_player(browser, page: Path):
    browser.get(page.as_uri())
    return browser.find_element(By.CSS_SELECTOR, ".ag-player")


def shows(browser, player, k: int, expected) -> None:
    state = browser.execute_script(READ_PLAYER, player)
    assert state["frame"] == k
    assert state["lines"].split("\n") == expected[k].lines, k
    assert set(state["highlighted"]) == expected[k].highlighted, k


def test_next_and_previous_step_through_the_trace_frame_by_frame(browser, lecture):
    page, expected = lecture
    player = open_player(browser, page)
    shows(browser, player, 0, expected)
    for k in range(1, len(expected)):
        player.find_element(By.CSS_SELECTOR, ".ag-next").click()
        shows(browser, player, k, expected)
    player.find_element(By.CSS_SELECTOR, ".ag-next").click()  # at the end it stays there
    shows(browser, player, len(expected) - 1, expected)
    for k in reversed(range(len(expected) - 1)):
        player.find_element(By.CSS_SELECTOR, ".ag-prev").click()
        shows(browser, player, k, expected)


def test_slider_first_last_and_arrow_keys(browser, lecture):
    page, expected = lecture
    player = open_player(browser, page)
    browser.execute_script(
        "const s = arguments[0]; s.value = 14; s.dispatchEvent(new Event('input'));",
        player.find_element(By.CSS_SELECTOR, ".ag-slider"),
    )
    shows(browser, player, 14, expected)
    player.send_keys(Keys.ARROW_RIGHT)
    shows(browser, player, 15, expected)
    player.send_keys(Keys.ARROW_LEFT, Keys.ARROW_LEFT)
    shows(browser, player, 13, expected)
    player.find_element(By.CSS_SELECTOR, ".ag-last").click()
    shows(browser, player, len(expected) - 1, expected)
    player.find_element(By.CSS_SELECTOR, ".ag-first").click()
    shows(browser, player, 0, expected)


def test_play_runs_forward_through_every_frame_and_stops_at_the_end(browser, lecture):
    page, expected = lecture
    player = open_player(browser, page)
    player.find_element(By.CSS_SELECTOR, ".ag-play").click()
    seen, deadline = [], time.monotonic() + 10
    while time.monotonic() < deadline:
        state = browser.execute_script(READ_PLAYER, player)
        seen.append(state["frame"])
        assert state["lines"].split("\n") == expected[state["frame"]].lines  # each frame as it is shown
        if state["playing"] == "false":
            break
    assert seen == sorted(seen) and seen[-1] == len(expected) - 1 and len(set(seen)) > len(expected) // 2
    assert player.find_element(By.CSS_SELECTOR, ".ag-play").text == "play"
    player.find_element(By.CSS_SELECTOR, ".ag-play").click()  # from the end, play starts over
    assert browser.execute_script(READ_PLAYER, player)["frame"] in (0, 1)


def test_the_page_makes_no_network_request(browser, lecture):
    page, expected = lecture
    browser.get_log("performance")  # forget what earlier tests loaded
    player = open_player(browser, page)
    for _ in range(3):
        player.find_element(By.CSS_SELECTOR, ".ag-next").click()
    player.find_element(By.CSS_SELECTOR, ".ag-last").click()
    requested = [
        message["params"]["request"]["url"]
        for entry in browser.get_log("performance")
        if (message := json.loads(entry["message"])["message"])["method"] == "Network.requestWillBeSent"
    ]
    assert requested == [page.as_uri()]
    assert browser.execute_script("return performance.getEntriesByType('resource').length") == 0
    policy = browser.find_element(By.CSS_SELECTOR, 'meta[http-equiv="Content-Security-Policy"]')
    assert "default-src 'none'" in policy.get_attribute("content")


def test_two_players_on_one_notebook_page_step_on_their_own(browser, lecture, tmp_path):
    f, _, _ = lecture_f()
    animation = ag.viz.animate(f)
    notebook = tmp_path / "notebook.html"
    notebook.write_text(f"<html><body>{animation._repr_html_()}<hr>{animation._repr_html_()}</body></html>")
    browser.get(notebook.as_uri())
    first, second = browser.find_elements(By.CSS_SELECTOR, ".ag-player")
    second.find_element(By.CSS_SELECTOR, ".ag-next").click()
    second.find_element(By.CSS_SELECTOR, ".ag-next").click()
    assert browser.execute_script(READ_PLAYER, first)["frame"] == 0
    assert browser.execute_script(READ_PLAYER, second)["frame"] == 2
