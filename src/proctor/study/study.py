"""A study folder: `study.toml` (StudyConfig), `items.jsonl`, and by default the SQLite database `study.sqlite`.

    init_study(DIR, items, config, db_url=None)   # writes study.toml and items.jsonl, loads the database
    load_config(DIR) / open_db(DIR, db_url)        # read them back (clear errors naming the file and field)
"""

from __future__ import annotations

from pathlib import Path

from ..errors import ConfigError, DataError
from ..runs.spec import dump_toml, read_toml, validate
from .spec import ITEMS_FILE, STUDY_FILE, StudyConfig


def load_config(study_dir: Path) -> StudyConfig:
    study_dir = Path(study_dir)
    if not study_dir.is_dir():
        raise ConfigError(f"{study_dir}: no such study folder (make one with `proctor study init`)")
    path = study_dir / STUDY_FILE
    if not path.is_file():
        raise ConfigError(f"{path}: no such file; {study_dir} is not a study folder (`proctor study init`)")
    return validate(StudyConfig, read_toml(path), str(path))


def db_url(study_dir: Path, url: str | None) -> str:
    from .db import default_url

    return url or default_url(study_dir)


def open_db(study_dir: Path, url: str | None = None):
    """The study's database, checked to hold a study."""
    from .db import StudyDB

    load_config(study_dir)
    db = StudyDB(db_url(study_dir, url))
    db.check()
    db.create()  # tables added since the study was made (create_all leaves existing ones alone)
    return db


def init_study(study_dir: Path, study_items: list[dict], config: StudyConfig, url: str | None = None) -> dict:
    """Write the study folder and load its database; nothing is left behind when a step fails."""
    import shutil

    from .db import StudyDB
    from .design import assign
    from .items import write_items

    study_dir = Path(study_dir)
    if (study_dir / STUDY_FILE).exists():
        raise ConfigError(f"{study_dir}: already holds a study ({STUDY_FILE}); choose a new folder")
    ids = [it["id"] for it in study_items]
    if len(set(ids)) != len(ids):
        raise DataError("two items have the same id")
    plan = assign(study_items, judges=config.judges, per_item=config.judges_per_item, seed=config.seed)
    made = not study_dir.exists()
    study_dir.mkdir(parents=True, exist_ok=True)
    before = set(study_dir.iterdir())
    db = None
    try:
        db = StudyDB(db_url(study_dir, url))
        db.load(study_items, plan, config.judges, config=config.model_dump(mode="json"))
        write_items(study_dir / ITEMS_FILE, study_items)
        from ..atomic import write_atomic

        write_atomic(study_dir / STUDY_FILE, dump_toml(config))
    except BaseException:
        if db is not None:
            db.close()
        if made:
            shutil.rmtree(study_dir, ignore_errors=True)
        else:  # an existing folder: remove only what this call made (the SQLite files)
            for p in set(study_dir.iterdir()) - before:
                p.unlink(missing_ok=True)
        raise
    db.close()
    by_protocol: dict[str, int] = {}
    for it in study_items:
        by_protocol[it["protocol"]] = by_protocol.get(it["protocol"], 0) + 1
    return {"study": str(study_dir), "items": len(study_items), "protocols": by_protocol,
            "questions": len({it["question_id"] for it in study_items}), "judges": config.judges,
            "judges_per_item": config.judges_per_item, "judgings": len(plan)}
