"""`proctor study ...`: human oversight studies (registered by the main CLI as `study`).

    proctor study init DIR --demo | --items FILE.jsonl | --run RUN_DIR [--run RUN_DIR2] | --live MODEL | --assisted MODEL
                           [--live-protocol consultancy|debate (repeatable)] [--live-opponent MODEL]
                           [--judges 6]
                           [--judges-per-item 2] [--seed 0] [--time-limit 0] [--db URL] [--json]
    proctor study invite DIR --judges N [--kind human|model] [--base-url http://127.0.0.1:8000] [--json]
    proctor study serve DIR [--host 127.0.0.1] [--port 8000] [--db URL]
    proctor study results DIR [--json] [--csv FILE] [--report FILE.html]

`init` builds the study folder (study.toml, items.jsonl, the SQLite database study.sqlite unless --db names another
SQLAlchemy URL); `invite` mints one invite link per judge (only token hashes are stored); `serve` runs the web app
(uvicorn; 127.0.0.1 unless told otherwise) and prints a fresh admin link; `results` prints accuracy per protocol with
95% CIs (judges and questions resampled together), calibration and timing, and exports Khan et al.'s CSV columns.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from ..options import spec_option
from .spec import StudyConfig, StudySpec

study_app = typer.Typer(add_completion=False, pretty_exceptions_enable=False, no_args_is_help=True,
                        help="Human oversight studies: a judging web app for debate, consultancy and pixel debate.")

JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object last.")]
DbOpt = Annotated[Optional[str], typer.Option("--db", help="SQLAlchemy URL of the study database (default: "
                                                           "DIR/study.sqlite, SQLite in WAL mode).")]


@study_app.command("init")
def init_cmd(
    study_dir: Annotated[Path, typer.Argument(help="The study folder to create.")],
    runs: Annotated[Optional[list[Path]], typer.Option("--run", help="A finished `proctor debate` run directory "
                                                                     "(repeatable).")] = None,
    items: Annotated[Optional[Path], typer.Option("--items", help="Transcripts written elsewhere (JSONL, "
                                                                  "docs/study.md).")] = None,
    demo: Annotated[bool, typer.Option("--demo", help="Shipped data only: scripted debates on quality_example and "
                                                      "pixel debates on MNIST (PROCTOR_DATA).")] = False,
    demo_images: Annotated[int, typer.Option(min=0, max=200, help="Demo: pixel-debate images.")] = 6,
    demo_judge_steps: Annotated[int, typer.Option(min=1, max=100_000,
                                                  help="Demo: training steps of the pixel judge (the "
                                                       "`proctor debate pixels` default: trained once, cached).")] = 6000,
    live: Annotated[Optional[str], typer.Option("--live", help="Live protocols: the judge questions this inspect "
                                                              "model (e.g. scripted/model, vllm/NAME) while judging.")] = None,
    live_protocol: Annotated[Optional[list[str]], typer.Option(
        "--live-protocol", help="With --live: consultancy (one consultant, the default) or debate (two debaters, "
                                "both answer each question); repeat for both.")] = None,
    live_opponent: Annotated[Optional[str], typer.Option(
        "--live-opponent", help="With --live-protocol debate: a second inspect model as the other debater; the two "
                                "take the correct answer on alternate questions.")] = None,
    live_dataset: Annotated[str, typer.Option(help="Live protocols: questions and stories (quality_example, a "
                                                   "QuALITY / multiple-choice file or a Hub id).")] = "quality_example",
    assisted: Annotated[Optional[str], typer.Option("--assisted", help="Assisted evaluation (RRM): this inspect "
                                                                      "model writes the assistant's notes.")] = None,
    assisted_items: Annotated[str, typer.Option(help="Assisted evaluation: gsm8k, quality or a JSONL file "
                                                     "(proctor rrm's items).")] = "gsm8k",
    assisted_n: Annotated[int, typer.Option(min=1, max=10_000, help="Assisted evaluation: items.")] = 10,
    name: Annotated[Optional[str], spec_option(StudyConfig, "name")] = None,
    judges: Annotated[Optional[int], spec_option(StudyConfig, "judges", min=1)] = None,
    judges_per_item: Annotated[Optional[int], spec_option(StudyConfig, "judges_per_item", min=1)] = None,
    seed: Annotated[Optional[int], spec_option(StudyConfig, "seed", min=0)] = None,
    time_limit: Annotated[Optional[int], spec_option(StudyConfig, "time_limit", min=0)] = None,
    min_turns: Annotated[Optional[int], spec_option(StudyConfig, "min_turns", min=0)] = None,
    max_turns: Annotated[Optional[int], spec_option(StudyConfig, "max_turns", min=0)] = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
):
    """Create a study folder from debate runs, a JSONL file of transcripts, or the shipped demo data."""
    from ..errors import ConfigError
    from ..jsonout import emit_json
    from ..options import check_out_dir, spec_from_options
    from ..term import out
    from .items import demo_items, load_debate_run, load_import
    from .spec import STUDY_FILE
    from .study import init_study

    check_out_dir(study_dir, "DIR")
    if (study_dir / STUDY_FILE).exists():
        raise ConfigError(f"{study_dir}: already holds a study ({STUDY_FILE}); choose a new folder")
    if not (runs or items or demo or live or assisted):
        raise ConfigError("give the study's items: --run RUN_DIR, --items FILE.jsonl, --demo, --live MODEL or "
                          "--assisted MODEL")
    config = spec_from_options(StudyConfig, name=name or (study_dir.name if study_dir.name else None), judges=judges,
                               judges_per_item=judges_per_item, seed=seed, time_limit=time_limit,
                               min_turns=min_turns, max_turns=max_turns)
    if live_protocol and not live:
        raise ConfigError("--live-protocol: needs --live MODEL (the model that answers the judge)")
    if live_opponent and "debate" not in (live_protocol or []):
        raise ConfigError("--live-opponent: needs --live MODEL --live-protocol debate (the opponent is a debater)")
    if live:
        from .live import check_protocols

        live_protocol = check_protocols(live_protocol)
    found: list[dict] = []
    for r in runs or []:
        found += load_debate_run(r)
    if items is not None:
        found += load_import(items)
    if demo:
        found += demo_items(images=demo_images, judge_steps=demo_judge_steps, seed=config.seed)
    if live:
        from ..debate.data import load_items
        from ..llm.run import role_model
        from .live import live_items

        for m in (live, live_opponent):  # an unknown provider or a missing key fails here, before the folder is made
            if m:
                role_model(m)
        questions = load_items(live_dataset)
        for proto in live_protocol:
            found += live_items(questions, model=live, seed=config.seed, protocol=proto,
                                opponent=live_opponent if proto == "debate" else None)
    if assisted:
        from .assisted import assisted_items as make_assisted

        found += make_assisted(assisted_items, model=assisted, n=assisted_n, seed=config.seed)
    summary = init_study(study_dir, found, config, db)
    out.print(f"study {summary['study']}: {summary['items']} items ({', '.join(f'{k} {v}' for k, v in summary['protocols'].items())}), "
              f"{summary['questions']} questions, {summary['judges']} judge slots x {summary['judges_per_item']} "
              f"per item. Next: proctor study invite {study_dir} --judges N; proctor study serve {study_dir}")
    if as_json:
        emit_json(summary)


@study_app.command("invite")
def invite_cmd(
    study_dir: Annotated[Path, typer.Argument(help="The study folder.")],
    judges: Annotated[int, typer.Option("--judges", min=1, max=10_000, help="Invite links to mint.")] = 1,
    kind: Annotated[str, typer.Option(help="human | model (model judges take the study through the API).")] = "human",
    base_url: Annotated[str, typer.Option(help="Where judges reach the server.")] = "http://127.0.0.1:8000",
    db: DbOpt = None,
    as_json: JsonOpt = False,
):
    """Mint one invite link per judge (the token is shown once; only its hash is stored)."""
    from ..errors import ConfigError
    from ..jsonout import emit_json
    from ..term import out
    from .study import open_db

    if kind not in ("human", "model"):
        raise ConfigError(f"--kind {kind!r}: choose human or model")
    if not base_url.startswith(("http://", "https://")):
        raise ConfigError(f"--base-url {base_url!r}: expected http://HOST:PORT or https://...")
    store = open_db(study_dir, db)
    try:
        minted = store.invite(judges, kind)
    finally:
        store.close()
    base = base_url.rstrip("/")
    invites = [{"judge": j, "url": f"{base}/join/{t}", "token": t} for j, t in minted]
    if not as_json:
        for inv in invites:
            out.print(f"{inv['judge']}: {inv['url']}")
    else:
        emit_json({"invites": invites})


@study_app.command("serve")
def serve_cmd(
    study_dir: Annotated[Path, typer.Argument(help="The study folder.")],
    host: Annotated[str, typer.Option(help="Interface to bind (127.0.0.1: this machine only).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port (0: any free one).")] = 8000,
    db: DbOpt = None,
    quiet: Annotated[bool, typer.Option("--quiet", help="No access log.")] = False,
):
    """Serve the study: judge pages, the admin page and the JSON API (prints a fresh admin link)."""
    import socket

    import uvicorn

    from ..errors import ConfigError
    from ..term import err
    from .app import make_app
    from .study import open_db

    store = open_db(study_dir, db)
    # proto IPPROTO_TCP, not the default 0: asyncio turns Nagle off (TCP_NODELAY) only on sockets that say TCP, and
    # with Nagle on every response waits ~40 ms for the client's delayed ACK (measured: 44 ms per request, idle)
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((host, port))
    except OSError as e:
        store.close()
        raise ConfigError(f"--host {host} --port {port}: cannot bind ({e.strerror})") from None
    sock.listen(2048)  # connections queue from now on, before uvicorn starts accepting them
    bound = sock.getsockname()[1]
    app = make_app(study_dir, store, log=not quiet)
    token = store.mint_admin()
    shown = f"[{host}]" if ":" in host else host
    print(f"serving {study_dir} on http://{shown}:{bound}/", flush=True)
    print(f"admin: http://{shown}:{bound}/admin/login/{token}", flush=True)
    if host not in ("127.0.0.1", "localhost", "::1"):
        err.print(f"[yellow]warning:[/] bound to {host}: reachable from other machines; put it behind HTTPS")
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
    server = uvicorn.Server(config)
    try:
        server.run(sockets=[sock])
    finally:
        store.close()


@study_app.command("results")
def results_cmd(
    study_dir: Annotated[Path, typer.Argument(help="The study folder.")],
    db: DbOpt = None,
    csv_path: Annotated[Optional[Path], typer.Option("--csv", help="Export judgments (Khan et al.'s column "
                                                                    "names) to this CSV file.")] = None,
    report: Annotated[Optional[Path], typer.Option("--report", help="Write an HTML report here.")] = None,
    n_boot: Annotated[Optional[int], spec_option(StudySpec, "n_boot", min=100)] = None,
    seed: Annotated[Optional[int], spec_option(StudySpec, "seed")] = None,
    as_json: JsonOpt = False,
):
    """Accuracy per protocol with 95% CIs (judges x questions bootstrap), calibration, time, consultant types."""
    from ..jsonout import emit_json
    from ..options import check_out_file, spec_from_options
    from ..term import fmt_ci, fmt_num, fmt_pct, out
    from .analysis import khan_rows, summarize_rows
    from .study import open_db

    check_out_file(csv_path, "--csv")
    check_out_file(report, "--report")
    spec = spec_from_options(StudySpec, study=str(study_dir), db=db, n_boot=n_boot, seed=seed)
    store = open_db(study_dir, db)
    try:
        rows = store.rows()
    finally:
        store.close()
    res = summarize_rows(rows, n_boot=spec.n_boot, seed=spec.seed)
    for kind, part in res["by_judge_kind"].items():
        for p, s in part["protocols"].items():
            out.print(f"{kind} {p}: n={s['n']} accuracy {fmt_pct(s['accuracy'])} {fmt_ci(s['ci'], 3)} "
                      f"ECE {fmt_num(s['ece'])} Brier {fmt_num(s['brier'])} median {fmt_num(s['seconds_median'], 1)} s"
                      + (f"; {s['timed_out']} timed out (not counted)" if s["timed_out"] else ""))
        for p, n in part["timed_out"].items():
            if p not in part["protocols"]:
                out.print(f"{kind} {p}: n=0; {n} timed out (not counted)")
    if res["judgments"] == 0:
        out.print("no judgments yet")
    if csv_path is not None:
        import csv
        import io

        from ..atomic import write_atomic
        from .analysis import KHAN_COLUMNS

        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=list(KHAN_COLUMNS))
        w.writeheader()
        w.writerows(khan_rows(rows))
        write_atomic(csv_path, buf.getvalue())
    if report is not None:
        from ..report import render_report
        from .report import sections
        from .summary import scorecard_rows

        summary = {"title": spec.title, "study": str(study_dir), "results": res}
        secs = sections(summary)
        render_report(report, title=f"Proctor study: {spec.title}", sections=secs,
                      meta={"study": str(study_dir), "judgments": str(res["judgments"]),
                            "scorecard rows": str(len(scorecard_rows(summary)))})
    if as_json:
        emit_json(res)
