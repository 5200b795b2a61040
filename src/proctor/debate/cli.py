"""`proctor debate ...`: LLM oversight protocols (registered by the main CLI as `debate`). The protocol verb runs as a
one-experiment suite (resumable, reported like `proctor run`); its options default to the spec's
(proctor.debate.spec.DebateSpec).

    proctor debate --protocol debate --debater openai-api/local/qwen --judge openai-api/local/llama \
        --dataset quality_example [--rounds 2] [--sequential] [--limit 50] [--export prefs.jsonl] [--json]
    proctor debate --protocol naive --judge MODEL --dataset gpqa.csv --question-column Question \
        --choices-column "Correct Answer,Incorrect Answer 1" --answer-column "Correct Answer"
    proctor debate --protocol naive --judge MODEL --dataset ./saved_dataset_dict --split test --choices-column options
    proctor debate --protocol naive|expert --judge MODEL --dataset FILE
    proctor debate --protocol consultancy --debater MODEL --judge MODEL --dataset org/name
    proctor debate tournament --debater small=MODEL --debater big=MODEL2 --judge MODEL --dataset ...
    proctor debate pixels ...                                  pixel debate on MNIST (proctor.debate.pixels)

Model names are inspect-ai's (openai-api/SERVICE/NAME with SERVICE_BASE_URL and SERVICE_API_KEY set, vllm/...,
ollama/..., hf/PATH, openai/..., anthropic/...). Replies are cached and finished samples are kept in the run
directory (--out), so rerunning the same command runs only the samples that never finished; inspect's logs go to
RUN_DIR/inspect-logs (open with `inspect view --log-dir DIR`). Every command takes `--json`: the last stdout line is
then one JSON object. Model-written text is printed escaped.

A model call gives up after --max-retries retries, --timeout seconds in all or --attempt-timeout seconds per attempt
(finite defaults, see `--help`). If no sample finishes (a dead endpoint) the command exits with the endpoint's error;
if some samples failed it exits with an error counting them (finished ones are kept: rerun to retry the rest), unless
--allow-failures, which reports the others with the failures counted.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from ..options import spec_option
from .spec import DebateSpec

debate_app = typer.Typer(add_completion=False, pretty_exceptions_enable=False,
                         help="Debate, consultancy, naive and expert judges on any inspect-ai model; pixel debate.")

JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON summary object last.")]
# options shared by `proctor debate` and `proctor debate tournament`
JudgeOpt = Annotated[Optional[str], spec_option(DebateSpec, "judge")]
DatasetOpt = Annotated[Optional[str], spec_option(DebateSpec, "dataset")]
SplitOpt = Annotated[Optional[str], spec_option(DebateSpec, "split")]
QuestionColOpt = Annotated[Optional[str], spec_option(DebateSpec, "question_column")]
PassageColOpt = Annotated[Optional[str], spec_option(DebateSpec, "passage_column")]
ChoicesColOpt = Annotated[Optional[str], spec_option(DebateSpec, "choices_column")]
AnswerColOpt = Annotated[Optional[str], spec_option(DebateSpec, "answer_column")]
LabelColOpt = Annotated[Optional[str], spec_option(DebateSpec, "label_column")]
LimitOpt = Annotated[Optional[int], spec_option(DebateSpec, "limit", min=1)]
RoundsOpt = Annotated[Optional[int], spec_option(DebateSpec, "rounds", min=0)]


@debate_app.callback(invoke_without_command=True)
def debate_cmd(
    ctx: typer.Context,
    protocol: Annotated[str, typer.Option(help="naive | expert | consultancy | debate.")] = "debate",
    debater: Annotated[Optional[str], spec_option(DebateSpec, "debater")] = None,
    debater_b: Annotated[Optional[str], spec_option(DebateSpec, "debater_b")] = None,
    judge: JudgeOpt = None,
    dataset: DatasetOpt = None,
    split: SplitOpt = None,
    question_column: QuestionColOpt = None,
    passage_column: PassageColOpt = None,
    choices_column: ChoicesColOpt = None,
    answer_column: AnswerColOpt = None,
    label_column: LabelColOpt = None,
    limit: LimitOpt = None,
    rounds: RoundsOpt = None,
    sequential: Annotated[Optional[bool], spec_option(DebateSpec, "sequential", "--sequential/--no-sequential")] = None,
    swap: Annotated[Optional[bool], spec_option(DebateSpec, "swap", "--swap/--no-swap")] = None,
    word_limit: Annotated[Optional[int], spec_option(DebateSpec, "word_limit")] = None,
    logprobs: Annotated[Optional[bool], spec_option(DebateSpec, "logprobs", "--logprobs/--no-logprobs")] = None,
    prompts: Annotated[Optional[str], spec_option(DebateSpec, "prompts")] = None,
    max_connections: Annotated[Optional[int], spec_option(DebateSpec, "max_connections", min=1)] = None,
    max_retries: Annotated[Optional[int], spec_option(DebateSpec, "max_retries", min=0)] = None,
    timeout: Annotated[Optional[int], spec_option(DebateSpec, "timeout", min=1)] = None,
    attempt_timeout: Annotated[Optional[int], spec_option(DebateSpec, "attempt_timeout", min=1)] = None,
    allow_failures: Annotated[Optional[bool], spec_option(DebateSpec, "allow_failures", "--allow-failures")] = None,
    cache: Annotated[Optional[bool], spec_option(DebateSpec, "cache", "--cache/--no-cache")] = None,
    export: Annotated[Optional[str], typer.Option(help="Write judged debates as TRL preference JSONL here.")] = None,
    out_dir: Annotated[Optional[Path], typer.Option("--out", help="Run directory (default: derived from the spec).")] = None,
    as_json: JsonOpt = False,
):
    """Run one oversight protocol over a data set and print the judge's accuracy (with a 95% bootstrap CI)."""
    if ctx is not None and ctx.invoked_subcommand is not None:
        return
    import time

    from ..errors import ConfigError
    from ..jsonout import emit_json
    from ..options import check_out_dir, check_out_file, spec_from_options
    from ..runs.executor import run_one
    from ..runs.store import RunStore
    from ..term import err, fmt_ci, fmt_num, out, safe
    from .experiment import newest_log, plan, role_models, roles_for
    from .protocols import PROTOCOLS

    check_out_dir(out_dir)
    check_out_file(Path(export) if export else None, "--export")
    if protocol not in PROTOCOLS:
        raise ConfigError(f"--protocol: unknown protocol {protocol!r}; choose one of {', '.join(PROTOCOLS)}")
    roles = roles_for(protocol, debater, debater_b, judge)
    spec = spec_from_options(DebateSpec, protocols=[protocol], debater=debater, debater_b=debater_b, judge=judge,
                             dataset=dataset, split=split, question_column=question_column,
                             passage_column=passage_column, choices_column=choices_column,
                             answer_column=answer_column, label_column=label_column, limit=limit, rounds=rounds,
                             sequential=sequential,
                             swap=swap, word_limit=word_limit, logprobs=logprobs, prompts=prompts,
                             max_connections=max_connections, max_retries=max_retries, timeout=timeout,
                             attempt_timeout=attempt_timeout, allow_failures=allow_failures, cache=cache)
    items, _ = plan(spec)
    role_models(spec)  # a bad model name fails here, before the run directory is touched; the run reuses them
    err.print(f"{protocol}: {len(items)} questions from {safe(spec.dataset)}; roles "
              + ", ".join(f"{k}={safe(v)}" for k, v in roles.items()))
    started = time.time()
    summary, run_dir = run_one(spec, out_dir, err)
    with RunStore(run_dir) as store:
        recs = sorted((u.result for u in store.units(experiment=spec.title, kind="judged")
                       if u.result["protocol"] == protocol), key=lambda r: r["index"])
        reused = sum(1 for u in store.units(experiment=spec.title, kind="judged")
                     if u.result["protocol"] == protocol and u.finished_at < started)
    if protocol in summary["protocols"]:
        s = dict(summary["protocols"][protocol])
    else:
        from .metrics import summarize_records

        s = summarize_records([], seed=spec.seed)
    unfinished = summary["units_planned"] - summary["units_done"]  # samples whose model calls failed this time
    s["samples"] += unfinished
    s["failed"] += unfinished
    log = newest_log(run_dir)
    out.print(f"judge accuracy {fmt_num(s['accuracy'])} {safe(fmt_ci(s['ci']))} on {s['valid']} "
              f"valid verdicts; {s['invalid']} invalid, {s['failed']} failed of {s['samples']} samples"
              + (f" ({reused} finished in earlier runs)" if reused else ""))
    if "by_assignment" in s:
        ba = s["by_assignment"]
        who = "consultant" if protocol == "consultancy" else "debater A"
        out.print(f"  {who} assigned right: {fmt_num(ba['right']['accuracy'])} (n={ba['right']['n']}); "
                  f"wrong: {fmt_num(ba['wrong']['accuracy'])} (n={ba['wrong']['n']})")
    out.print(f"  ECE {fmt_num(s['ece'])}; quotes verified {s['quotes']['verified']}/{s['quotes']['total']}; "
              f"log {safe(log or '-', 1000)}")
    exported = None
    if export:
        from .export import export_preferences, export_transcripts, transcripts_path
        from .protocols import ProtocolConfig

        cfg = ProtocolConfig(protocol, rounds=spec.rounds, sequential=spec.sequential, word_limit=spec.word_limit,
                             swap=spec.swap, prompts=spec.prompts)
        named = [r | {"roles": roles} for r in recs]
        exported = export_preferences(named, export, items, cfg, spec.dataset)
        n_tr = export_transcripts(named, transcripts_path(export), items, cfg, spec.dataset)
        out.print(f"  {exported} same-side preference pairs -> {safe(export, 1000)}"
                  + ("" if exported else " (a pair needs two debates of a question arguing one answer: "
                                         "`proctor debate tournament --export`)"))
        out.print(f"  {n_tr} debater transcripts (messages) -> {safe(transcripts_path(export), 1000)}")
    from ..llm.mock import is_scripted

    scripted = is_scripted(*roles.values())
    if scripted:
        out.print("scripted models: a check of the machinery, not a measurement of any model (proctor.llm.scripted)")
    out.print(f"report: {safe(run_dir / 'report.html', 1000)}")
    if as_json:
        emit_json({"protocol": protocol, "scripted": scripted, "dataset": spec.dataset, "roles": roles, **s, "log": log,
                   "reused": reused, "exported": exported, "run_dir": str(run_dir),
                   "report": str(run_dir / "report.html")})


@debate_app.command("tournament")
def tournament_cmd(
    debater: Annotated[list[str], typer.Option(help="NAME=MODEL, at least two.")],
    judge: JudgeOpt = None,
    dataset: DatasetOpt = None,
    split: SplitOpt = None,
    question_column: QuestionColOpt = None,
    passage_column: PassageColOpt = None,
    choices_column: ChoicesColOpt = None,
    answer_column: AnswerColOpt = None,
    label_column: LabelColOpt = None,
    limit: LimitOpt = None,
    rounds: RoundsOpt = None,
    log_dir: Annotated[str, typer.Option(help="inspect log folder.")] = "logs/debate-tournament",
    export: Annotated[Optional[str], typer.Option(help="Write same-side preference pairs (TRL JSONL) here, and "
                                                       "every debater's transcript beside it.")] = None,
    max_connections: Annotated[Optional[int], spec_option(DebateSpec, "max_connections", min=1)] = None,
    max_retries: Annotated[Optional[int], spec_option(DebateSpec, "max_retries", min=0)] = None,
    timeout: Annotated[Optional[int], spec_option(DebateSpec, "timeout", min=1)] = None,
    attempt_timeout: Annotated[Optional[int], spec_option(DebateSpec, "attempt_timeout", min=1)] = None,
    allow_failures: Annotated[Optional[bool], spec_option(DebateSpec, "allow_failures", "--allow-failures")] = None,
    as_json: JsonOpt = False,
):
    """Cross-play every ordered pair of debaters; Elo (Bradley-Terry) persuasiveness with 95% CIs."""
    from ..errors import ConfigError
    from ..jsonout import emit_json
    from ..llm.mock import is_scripted
    from ..options import check_out_dir, spec_from_options
    from ..term import fmt_ci, out, safe
    from .data import load_items
    from .experiment import generate_config
    from .tournament import run_tournament

    check_out_dir(Path(log_dir), "--log-dir")
    from ..options import check_out_file

    check_out_file(Path(export) if export else None, "--export")
    players = {}
    for d in debater:
        name, sep, model = d.partition("=")
        if not sep or not name or not model:
            raise ConfigError(f"--debater {d!r}: expected NAME=MODEL")
        players[name] = model
    if len(players) < 2:
        raise ConfigError("a tournament needs at least two --debater NAME=MODEL")
    if not judge:
        raise ConfigError("--judge MODEL is required")
    spec = spec_from_options(DebateSpec, protocols=["debate"], judge=judge, dataset=dataset, split=split, limit=limit,
                             question_column=question_column, passage_column=passage_column,
                             choices_column=choices_column, answer_column=answer_column, label_column=label_column,
                             rounds=rounds, max_connections=max_connections, max_retries=max_retries,
                             timeout=timeout, attempt_timeout=attempt_timeout, allow_failures=allow_failures)
    items = load_items(spec.dataset, split=spec.split, limit=spec.limit, columns=spec.columns())
    res = run_tournament(items, players, judge, rounds=spec.rounds, log_dir=log_dir, config=generate_config(spec))
    failures = [m for m in res["matches"] if m["failed"]]
    if failures:
        from ..llm.run import check_failures

        m = failures[0]
        check_failures("tournament", sum(m["failed"] for m in res["matches"]), len(items) * len(res["matches"]),
                       f"first in {m['debater_a']} vs {m['debater_b']}: {m['failed']} failed; the errors are in the "
                       f"inspect logs under {log_dir}", allow_failures=spec.allow_failures)
    scripted = is_scripted(judge, *players.values())
    for name, r in sorted(res["elo"].items(), key=lambda kv: -kv[1]["elo"]):
        out.print(f"{safe(name):20s} Elo {r['elo']:.0f} {safe(fmt_ci((r['lo'], r['hi']), 0))}  "
                  f"wins {r['wins']}/{r['games']}" + ("  (scripted)" if scripted else ""))
    if export:
        from .export import export_preferences, export_transcripts, transcripts_path
        from .protocols import ProtocolConfig

        cfg = ProtocolConfig("debate", rounds=spec.rounds)
        res["exported"] = export_preferences(res["records"], export, items, cfg, spec.dataset)
        res["exported_transcripts"] = export_transcripts(res["records"], transcripts_path(export), items, cfg,
                                                         spec.dataset)
        out.print(f"{res['exported']} same-side preference pairs -> {safe(export, 1000)}; "
                  f"{res['exported_transcripts']} transcripts -> {safe(transcripts_path(export), 1000)}")
    res["scripted"] = scripted
    res.pop("records", None)
    if as_json:
        emit_json(res)


try:  # the pixel debate command lives in proctor.debate.pixels (another package); mount it when present
    from .pixels.cli import pixels as _pixels
except ModuleNotFoundError as e:  # absent: no command; any other import failure is a bug and surfaces
    if e.name not in ("proctor.debate.pixels", "proctor.debate.pixels.cli"):
        raise
    _pixels = None
if _pixels is not None:
    debate_app.command("pixels")(_pixels)
