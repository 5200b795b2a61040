"""Human oversight studies (`proctor study`): people (and model judges, through the same API) judge debates,
consultancies, naive baselines and pixel debates in a web app, and their judgments join the report and scorecard.

    spec        StudyConfig (study.toml) and StudySpec (`type = "study"` in a suite)
    items       items from debate runs, JSONL imports and the shipped demo; quote marking
    design      balanced, seeded assignment: N judges per item, a question once per judge, positions swapped
    db          SQLAlchemy Core storage (SQLite WAL by default, any URL with --db); token hashes only
    app         the Starlette app: judge and admin pages, the JSON API, CSRF, CSP, rate limiting
    analysis    accuracy with two-way (judge x question) bootstrap CIs, ECE, Brier, time; Khan et al.'s CSV columns
    study       the study folder: init, config, database
    experiment, summary, report, technique, cli   the technique's standard files
"""

__all__ = ["StudyConfig", "StudySpec"]

from .spec import StudyConfig, StudySpec
