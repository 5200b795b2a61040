"""Small real studies for the study tests: items written in the `--items` format, with hostile text."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path

HOSTILE = ('<script>window.__pwned = 1</script> <img src=x onerror="window.__pwned=2"> '
           '<a href="javascript:window.__pwned=3">click</a>')
STORY = "The lighthouse keeper counted nine ships that night. The storm broke at dawn."


def item_lines(n_questions: int = 4) -> list[dict]:
    rows = []
    for q in range(n_questions):
        base = {"question": f"How many ships did the keeper count? (variant {q})", "answers": ["nine", "seven"],
                "correct": q % 2, "story": STORY, "question_id": f"q{q}"}
        if q % 2:
            base["answers"] = ["seven", "nine"]
        right, wrong = base["correct"], 1 - base["correct"]
        rows.append(base | {"id": f"debate-{q}", "protocol": "debate", "turns": [
            {"speaker": "Debater", "side": right, "text": "The story says <quote>counted nine ships</quote>."},
            {"speaker": "Debater", "side": wrong, "text": f"It says <quote>counted seven ships</quote>. {HOSTILE}"}]})
        rows.append(base | {"id": f"consultancy-{q}", "protocol": "consultancy", "consultant": wrong, "turns": [
            {"speaker": "Consultant", "side": wrong, "text": "Trust me: <quote>seven ships</quote>."}]})
        rows.append(base | {"id": f"naive-{q}", "protocol": "naive"})
    return rows


def write_items(path: Path, rows: list[dict] | None = None) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in (rows or item_lines())), encoding="utf-8")
    return path


def make_study(tmp: Path, *, judges: int = 6, per_item: int = 2, db: str | None = None, time_limit: int = 0,
               rows: list[dict] | None = None) -> Path:
    from proctor.study.items import load_import
    from proctor.study.spec import StudyConfig
    from proctor.study.study import init_study

    study = tmp / "study"
    items = load_import(write_items(tmp / "items.jsonl", rows))
    init_study(study, items, StudyConfig(name="t", judges=judges, judges_per_item=per_item, time_limit=time_limit),
               db)
    return study


def serve(study: Path, *extra: str) -> tuple[subprocess.Popen, str]:
    """`proctor study serve STUDY --port 0` in a subprocess; (process, base URL) once it listens."""
    proc = subprocess.Popen([sys.executable, "-m", "proctor.cli", "study", "serve", str(study), "--port", "0",
                             "--quiet", *extra], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    m = re.search(r"on (http://127\.0\.0\.1:\d+)/", line)
    if not m:
        proc.kill()
        raise AssertionError(f"server did not start: {line!r} {proc.stderr.read()[-2000:]}")
    admin = proc.stdout.readline()
    assert "/admin/login/" in admin
    proc.admin_url = admin.split("admin: ", 1)[1].strip()
    return proc, m.group(1)


def wait_up(url: str) -> None:
    import httpx

    for _ in range(200):
        try:
            httpx.get(url + "/ping", timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.05)
    raise AssertionError("server not answering")
