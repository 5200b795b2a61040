"""The study app in a real browser: Debian's Chromium, headless, driven by Playwright (no downloaded browser),
against `proctor study serve` in a subprocess. A judge opens an invite link, reads a debate whose transcript holds a
<script>, an <img onerror> and a javascript: link (all shown as text), moves the slider with the keyboard alone,
submits; the admin page shows the judgment. Skipped without chromium, except under CI=true (a failure there)."""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from study_fixtures import HOSTILE, item_lines, make_study, serve, wait_up

pytestmark = pytest.mark.browser


@contextmanager
def judge_server(study):
    """`proctor study serve` on STUDY with one judge invited: yields (url, token, judge id, admin url) once the server
    answers; stops it after."""
    from proctor.study.study import open_db

    db = open_db(study)
    (judge, token), = db.invite(1)
    db.close()
    proc, url = serve(study)
    try:
        wait_up(url)
        yield url, token, judge, proc.admin_url
    finally:
        proc.terminate()
        proc.wait(10)


def test_judge_and_admin_in_chromium(browser, tmp_path):
    rows = [r for r in item_lines(2) if r["protocol"] == "debate"]
    study = make_study(tmp_path, judges=1, per_item=1, rows=rows)
    with judge_server(study) as (url, token, judge, admin_url):
        page = browser.new_page(viewport={"width": 1100, "height": 1000})
        console, failed = [], []
        page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
        page.on("requestfailed", lambda r: failed.append(r.url))
        posts = []
        page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
        page.goto(f"{url}/join/{token}", wait_until="load")
        assert page.url == f"{url}/judge"
        text = page.evaluate("document.body.innerText")
        assert "<script>window.__pwned = 1</script>" in text and 'onerror="window.__pwned=2"' in text
        assert "javascript:window.__pwned=3" in text
        assert page.evaluate("typeof window.__pwned") == "undefined"
        assert page.locator("main a").count() == 0 and page.locator("main img").count() == 0
        assert page.locator("q.verified").count() >= 1 and page.locator("q.unverified").count() >= 1
        # keyboard only: focus the slider, move it, write, submit
        page.focus("#p_a")
        for _ in range(20):
            page.keyboard.press("ArrowRight")
        assert page.eval_on_selector("#p_a", "e => e.value") == "0.7"
        assert page.inner_text("#p_a_out") == "A 70% · B 30%"  # the page's script ran (script-src 'self')
        page.keyboard.press("Tab")
        page.keyboard.type("verified quote <b>wins</b>")
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.id") == "submit"
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert "Item 2 of 2" in page.inner_text("main")
        assert posts == [f"{url}/api/judgments"]  # the page posts through the JSON API (session + CSRF header)
        admin = browser.new_page()
        admin.goto(admin_url, wait_until="load")
        assert admin.url == f"{url}/admin"
        recent = admin.inner_text("#recent")
        assert judge in recent and "0.70" in recent and "verified quote <b>wins</b>" in recent
        assert "1 judgments" in admin.inner_text("main")
        assert not [c for c in console if c.startswith("error")], console  # no CSP violation, no failed asset
        assert failed == []
        assert HOSTILE  # (the text above came from the fixture's hostile turn)


def test_live_consultancy_in_chromium(browser, tmp_path, data_dir):
    """A judge asks the scripted consultant a question with the keyboard; the answer appears; then judges."""
    from conftest import invoke, last_json

    study = tmp_path / "live"
    last_json(invoke("study", "init", study, "--live", "scripted/model", "--judges", "1", "--judges-per-item", "1",
                     "--json"))
    with judge_server(study) as (url, token, _, _):
        page = browser.new_page()
        page.goto(f"{url}/join/{token}", wait_until="load")
        assert page.locator("article.turn").count() == 1  # the consultant's opening
        page.focus("#ask-question")
        page.keyboard.type("Which sentence of the story supports your answer?")
        page.keyboard.press("Tab")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        turns = page.locator("article.turn")
        assert turns.count() == 3
        assert "Which sentence of the story supports your answer?" in turns.nth(1).inner_text()
        assert "Consultant" in turns.nth(2).inner_text()
        assert "Questions asked: 1" in page.inner_text("main")
        with page.expect_navigation():
            page.click("#submit")
        assert "Item 2 of" in page.inner_text("main")


def test_time_limit_countdown_and_refusal_in_chromium(browser, tmp_path):
    """The page counts the server's remaining time down (study.js, no inline script); a judgment after the limit
    (+ the 1 s grace) is refused and the page offers the next item."""
    import time

    rows = [r for r in item_lines(2) if r["protocol"] == "naive"]
    study = make_study(tmp_path, judges=1, per_item=1, rows=rows, time_limit=1)
    with judge_server(study) as (url, token, _, _):
        page = browser.new_page()
        page.goto(f"{url}/join/{token}", wait_until="load")
        served = time.monotonic()
        assert page.inner_text("#timer") == "1 s left"
        page.locator("#timer", has_text="time is up").wait_for(timeout=5000)  # counted down by study.js
        time.sleep(max(0.0, 2.3 - (time.monotonic() - served)))
        page.click("#submit")
        page.wait_for_selector("#status a#next", timeout=5000)
        assert "time is up" in page.inner_text("#status")
        with page.expect_navigation():
            page.click("#status a#next")
        assert "Item 2 of 2" in page.inner_text("main")
