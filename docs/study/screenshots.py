"""Screenshots of the study pages for docs/study.md: the demo study served by `proctor study serve`, one judge
driven by Playwright (Debian's chromium), a debate page, a pixel-debate page and the admin page.

    PROCTOR_DATA=../shared/data python docs/study/screenshots.py      # writes docs/study/*.png
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def main() -> None:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        study = Path(tmp) / "demo"
        subprocess.run([sys.executable, "-m", "proctor.cli", "study", "init", str(study), "--demo", "--demo-images",
                        "3", "--judges", "6"], check=True)
        inv = subprocess.run([sys.executable, "-m", "proctor.cli", "study", "invite", str(study), "--judges", "1",
                              "--json"], check=True, capture_output=True, text=True)
        token = re.search(r'"token": "([^"]+)"', inv.stdout).group(1)
        proc = subprocess.Popen([sys.executable, "-m", "proctor.cli", "study", "serve", str(study), "--port", "0",
                                 "--quiet"], stdout=subprocess.PIPE, text=True)
        try:
            url = re.search(r"(http://127\.0\.0\.1:\d+)", proc.stdout.readline()).group(1)
            admin_url = proc.stdout.readline().split("admin: ", 1)[1].strip()
            with sync_playwright() as pw:
                b = pw.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS, headless=True)
                page = b.new_page(viewport={"width": 1000, "height": 1300})
                page.goto(f"{url}/join/{token}")
                wanted = {"debate": "judge-debate.png", "pixel_debate": "judge-pixels.png"}
                for _ in range(20):
                    if not wanted or "Done" in page.title():
                        break
                    proto = page.inner_text(".progress strong")
                    if proto in wanted:
                        page.fill("#explanation", "One side's last quote is not in the story; the other's all check out.")
                        page.screenshot(path=str(HERE / wanted.pop(proto)), full_page=True)
                    page.eval_on_selector("#p_a", "e => { e.value = 0.8; e.dispatchEvent(new Event('input')) }")
                    with page.expect_navigation():
                        page.click("#submit")
                admin = b.new_page(viewport={"width": 1000, "height": 1100})
                admin.goto(admin_url)
                admin.screenshot(path=str(HERE / "admin.png"), full_page=True)
                b.close()
        finally:
            proc.terminate()
            proc.wait(30)


if __name__ == "__main__":
    main()
