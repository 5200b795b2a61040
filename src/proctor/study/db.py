"""The study's database (SQLAlchemy Core): SQLite in WAL mode in the study folder by default, any SQLAlchemy URL
(PostgreSQL included) with `--db`. Only SHA-256 hashes of invite and admin tokens are stored, never the tokens.

Tables: meta (name -> value), items (the study's items), judges (slot, kind, token hash), assignments (judge,
item, swap, queue position, when first shown), judgments (unique per (judge, item): a repeated submission finds
the stored row and changes nothing; `over_time` marks a judgment that arrived after the study's time limit: it was
refused, is not counted, and takes the item out of the judge's queue). A judgment is committed before the server
answers, so an acknowledged judgment survives a SIGKILL of the server (SQLite: WAL with synchronous=FULL).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import secrets
import threading
import time
from pathlib import Path

from sqlalchemy import (
    Boolean,
    Column,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    create_engine,
    event,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.exc import ArgumentError, IntegrityError, OperationalError, SQLAlchemyError

from ..errors import ConfigError, DataError
from .spec import DB_FILE

GRACE = 1.0
"""Seconds a judgment may arrive after the time limit and still count (the page's countdown and the request's
travel); a later one is refused (409) and recorded as timed out."""

md = MetaData()
meta = Table("study_meta", md, Column("name", String(64), primary_key=True), Column("value", Text, nullable=False))
items = Table("study_items", md, Column("id", String(400), primary_key=True), Column("protocol", String(32)),
              Column("question_id", String(400)), Column("correct", Integer), Column("body", Text, nullable=False))
judges = Table("study_judges", md, Column("id", String(32), primary_key=True), Column("slot", Integer, unique=True),
               Column("kind", String(16), nullable=False, default="human"),
               Column("token_hash", String(64), unique=True), Column("invited_at", Float))
assignments = Table("study_assignments", md,
                    Column("judge_id", String(32), ForeignKey("study_judges.id"), primary_key=True),
                    Column("item_id", String(400), ForeignKey("study_items.id"), primary_key=True),
                    Column("swap", Boolean, nullable=False), Column("position", Integer, nullable=False),
                    Column("shown_at", Float))
judgments = Table("study_judgments", md, Column("id", Integer, primary_key=True, autoincrement=True),
                  Column("judge_id", String(32), ForeignKey("study_judges.id"), nullable=False),
                  Column("item_id", String(400), ForeignKey("study_items.id"), nullable=False),
                  Column("p_a", Float, nullable=False), Column("swap", Boolean, nullable=False),
                  Column("p_correct", Float, nullable=False), Column("explanation", Text, nullable=False),
                  Column("shown_at", Float), Column("submitted_at", Float, nullable=False),
                  Column("seconds", Float), Column("over_time", Boolean, nullable=False, default=False),
                  UniqueConstraint("judge_id", "item_id", name="one_judgment_per_item"))

sessions = Table("study_sessions", md, Column("id_hash", String(64), primary_key=True),
                 Column("judge_id", String(32), ForeignKey("study_judges.id")), Column("admin", Boolean, nullable=False),
                 Column("csrf", String(64), nullable=False), Column("created_at", Float, nullable=False))

turns = Table("study_turns", md, Column("judge_id", String(32), ForeignKey("study_judges.id"), primary_key=True),
              Column("item_id", String(400), ForeignKey("study_items.id"), primary_key=True),
              Column("n", Integer, primary_key=True, autoincrement=False), Column("speaker", String(32), nullable=False),
              Column("text", Text, nullable=False), Column("segments", Text, nullable=False),
              Column("created_at", Float, nullable=False))


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(24)


def judge_id(slot: int) -> str:
    return f"judge-{slot:03d}"


def default_url(study_dir: Path) -> str:
    return f"sqlite:///{(Path(study_dir) / DB_FILE).resolve()}"


def engine_for(url: str):
    """An engine for `url`; SQLite gets WAL, synchronous=FULL, foreign keys and a busy timeout."""
    try:
        if url.startswith("sqlite"):
            eng = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False}, pool_size=20,
                                max_overflow=20)

            @event.listens_for(eng, "connect")
            def _pragmas(conn, _record):
                cur = conn.cursor()
                cur.execute("PRAGMA journal_mode=WAL")
                cur.execute("PRAGMA synchronous=FULL")
                cur.execute("PRAGMA foreign_keys=ON")
                cur.close()
        else:
            eng = create_engine(url, pool_pre_ping=True, pool_size=20, max_overflow=20)
    except (ArgumentError, SQLAlchemyError, ImportError) as e:
        raise ConfigError(f"--db: {_redact(url)}: {str(e).splitlines()[0]}") from None
    return eng


def _redact(url: str) -> str:
    """A database URL without its password."""
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - an unparsable URL is shown as "the URL"
        return "the URL"


class StudyDB:
    """One study's database."""

    def __init__(self, url: str):
        self.url = url
        self.engine = engine_for(url)
        # SQLite has one writer at a time and its busy handler sleeps up to 100 ms between retries: writes of this
        # process take turns on a lock instead (reads go on in parallel under WAL); other databases lock rows.
        self._lock = threading.Lock() if url.startswith("sqlite") else contextlib.nullcontext()
        self._judges: dict[str, str] = {}

    @contextlib.contextmanager
    def _write(self):
        with self._lock, self.engine.begin() as c:
            yield c

    def create(self) -> None:
        try:
            md.create_all(self.engine)
        except OperationalError as e:
            raise DataError(f"--db {_redact(self.url)}: cannot open ({str(e.orig).splitlines()[0]})") from None

    def check(self) -> None:
        """The database exists and holds a study."""
        try:
            with self.engine.connect() as c:
                row = c.execute(select(meta.c.value).where(meta.c.name == "secret")).first()
        except (OperationalError, SQLAlchemyError) as e:
            raise DataError(f"{_redact(self.url)}: not a study database ({str(e).splitlines()[0][:200]}); run "
                            f"`proctor study init` first") from None
        if row is None:
            raise DataError(f"{_redact(self.url)}: not a study database; run `proctor study init` first")

    def close(self) -> None:
        self.engine.dispose()

    # -- setup -----------------------------------------------------------------------------------------------------
    def load(self, study_items: list[dict], plan: list[tuple[int, str, bool, int]], slots: int,
             *, config: dict) -> None:
        """Items, judge slots and assignments of a new study, in one transaction; a database that already holds a
        study is an error (a study's design is fixed once judging may have started)."""
        self.create()
        with self.engine.begin() as c:
            if c.execute(select(meta.c.value).where(meta.c.name == "secret")).first() is not None:
                raise ConfigError(f"{_redact(self.url)}: already holds a study; use a new folder or --db")
            c.execute(insert(meta), [{"name": "secret", "value": secrets.token_hex(32)},
                                     {"name": "config", "value": json.dumps(config)}])
            c.execute(insert(items), [{"id": it["id"], "protocol": it["protocol"], "question_id": it["question_id"],
                                       "correct": it["correct"], "body": json.dumps(it)} for it in study_items])
            c.execute(insert(judges), [{"id": judge_id(s), "slot": s, "kind": "human"} for s in range(1, slots + 1)])
            c.execute(insert(assignments), [{"judge_id": judge_id(j), "item_id": i, "swap": sw, "position": p}
                                            for j, i, sw, p in plan])

    def meta_value(self, name: str) -> str | None:
        with self.engine.connect() as c:
            return c.execute(select(meta.c.value).where(meta.c.name == name)).scalar()

    def set_meta(self, name: str, value: str) -> None:
        with self._write() as c:
            if c.execute(select(meta.c.name).where(meta.c.name == name)).first() is None:
                c.execute(insert(meta).values(name=name, value=value))
            else:
                c.execute(update(meta).where(meta.c.name == name).values(value=value))

    def mint_admin(self) -> str:
        token = new_token()
        self.set_meta("admin_hash", token_hash(token))
        return token

    def invite(self, n: int, kind: str = "human") -> list[tuple[str, str]]:
        """Tokens for the next `n` judge slots without one: [(judge id, token)]; only the hashes are stored."""
        with self._write() as c:
            free = c.execute(select(judges.c.id).where(judges.c.token_hash.is_(None))
                             .order_by(judges.c.slot).limit(n)).scalars().all()
            if len(free) < n:
                total = c.execute(select(judges.c.id)).scalars().all()
                raise ConfigError(f"--judges {n}: only {len(free)} of the study's {len(total)} judge slots are "
                                  f"uninvited (study.toml: judges)")
            out = []
            for jid in free:
                token = new_token()
                c.execute(update(judges).where(judges.c.id == jid)
                          .values(token_hash=token_hash(token), kind=kind, invited_at=time.time()))
                out.append((jid, token))
        return out

    # -- sessions (server side: the cookie holds a random id, the table only its hash) --------------------------------
    def new_session(self, *, judge: str | None = None, admin: bool = False) -> tuple[str, str]:
        """(session id for the cookie, CSRF token)."""
        sid, csrf = new_token(), new_token()
        with self._write() as c:
            c.execute(insert(sessions).values(id_hash=token_hash(sid), judge_id=judge, admin=admin, csrf=csrf,
                                              created_at=time.time()))
        return sid, csrf

    def session(self, sid: str) -> dict | None:
        with self.engine.connect() as c:
            row = c.execute(select(sessions).where(sessions.c.id_hash == token_hash(sid))).first()
        return None if row is None else {"judge": row.judge_id, "admin": bool(row.admin), "csrf": row.csrf}

    # -- live exchanges ------------------------------------------------------------------------------------------------
    def turns(self, judge: str, item_id: str) -> list[dict]:
        with self.engine.connect() as c:
            rows = c.execute(select(turns).where(turns.c.judge_id == judge, turns.c.item_id == item_id)
                             .order_by(turns.c.n)).all()
        return [{"n": r.n, "speaker": r.speaker, "text": r.text, "segments": json.loads(r.segments)} for r in rows]

    def add_turn(self, judge: str, item_id: str, n: int, speaker: str, text: str, segs: list) -> bool:
        """Store turn n (committed); False when turn n exists already (a concurrent request made it)."""
        try:
            with self._write() as c:
                c.execute(insert(turns).values(judge_id=judge, item_id=item_id, n=n, speaker=speaker, text=text,
                                               segments=json.dumps(segs), created_at=time.time()))
        except IntegrityError:
            return False
        return True

    # -- requests ----------------------------------------------------------------------------------------------------
    def judge_for(self, token: str) -> str | None:
        h = token_hash(token)
        if h in self._judges:  # a token, once minted, names its judge for good
            return self._judges[h]
        with self.engine.connect() as c:
            judge = c.execute(select(judges.c.id).where(judges.c.token_hash == h)).scalar()
        if judge is not None:
            self._judges[h] = judge
        return judge

    def is_admin(self, token: str) -> bool:
        stored = self.meta_value("admin_hash")
        return stored is not None and secrets.compare_digest(stored, token_hash(token))

    def next_item(self, judge: str) -> dict | None:
        """The judge's next unjudged item (marked shown now if it was not), with its swap and shown time."""
        with self.engine.connect() as c:
            done = select(judgments.c.item_id).where(judgments.c.judge_id == judge)
            row = c.execute(select(assignments, items.c.body).join(items, items.c.id == assignments.c.item_id)
                            .where(assignments.c.judge_id == judge, assignments.c.item_id.not_in(done))
                            .order_by(assignments.c.position).limit(1)).first()
        if row is None:
            return None
        shown = row.shown_at
        if shown is None:
            with self._write() as c:
                c.execute(update(assignments).where(assignments.c.judge_id == judge,
                                                    assignments.c.item_id == row.item_id,
                                                    assignments.c.shown_at.is_(None)).values(shown_at=time.time()))
                shown = c.execute(select(assignments.c.shown_at).where(
                    assignments.c.judge_id == judge, assignments.c.item_id == row.item_id)).scalar()
        return {"item": json.loads(row.body), "swap": bool(row.swap), "shown_at": shown}

    def assigned(self, judge: str, item_id: str) -> dict | None:
        """The judge's assignment of `item_id` ({"item", "swap", "shown_at"}), None when it is not in their queue."""
        with self.engine.connect() as c:
            row = c.execute(select(assignments.c.swap, assignments.c.shown_at, items.c.body)
                            .join(items, items.c.id == assignments.c.item_id)
                            .where(assignments.c.judge_id == judge, assignments.c.item_id == item_id)).first()
        return None if row is None else {"item": json.loads(row.body), "swap": bool(row.swap),
                                         "shown_at": row.shown_at}

    @staticmethod
    def is_late(shown_at: float | None, time_limit: int, now: float | None = None) -> bool:
        """More than `time_limit` (+ GRACE) seconds have passed since the item was first served (server clock)."""
        if not time_limit or shown_at is None:
            return False
        return (time.time() if now is None else now) - shown_at > time_limit + GRACE

    def progress(self, judge: str) -> tuple[int, int]:
        with self.engine.connect() as c:
            total = c.execute(select(func.count()).select_from(assignments)
                              .where(assignments.c.judge_id == judge)).scalar()
            done = c.execute(select(func.count()).select_from(judgments).where(judgments.c.judge_id == judge)).scalar()
        return int(done), int(total)

    def submit(self, judge: str, item_id: str, p_a: float, explanation: str, time_limit: int = 0) -> tuple[int, dict]:
        """Store a judgment; (HTTP status, body). 201 stored; 200 the same judgment was stored before; 404 not the
        judge's item; 409 a different judgment of this item was stored before. Committed before returning."""
        with self._write() as c:
            a = c.execute(select(assignments).where(assignments.c.judge_id == judge,
                                                    assignments.c.item_id == item_id)).first()
            if a is None:
                return 404, {"error": "no such item in your queue"}
            prev = c.execute(select(judgments).where(judgments.c.judge_id == judge,
                                                     judgments.c.item_id == item_id)).first()
            if prev is not None:
                return self._repeat(prev, p_a, explanation)
            now = time.time()
            p_correct = (1.0 - p_a) if a.swap else p_a  # canonical answer 0 is shown as B when swapped
            body = json.loads(c.execute(select(items.c.body).where(items.c.id == item_id)).scalar())
            if body["correct"] == 1:
                p_correct = 1.0 - p_correct
            seconds = None if a.shown_at is None else max(0.0, now - a.shown_at)
            over = self.is_late(a.shown_at, time_limit, now)
            try:
                with c.begin_nested():
                    c.execute(insert(judgments).values(judge_id=judge, item_id=item_id, p_a=p_a, swap=a.swap,
                                                       p_correct=p_correct, explanation=explanation,
                                                       shown_at=a.shown_at, submitted_at=now, seconds=seconds,
                                                       over_time=over))
            except IntegrityError:
                raced = True
            else:
                raced = False
        if raced:
            return self._submit_again(judge, item_id, p_a, explanation)
        if over:
            return self._timed_out(item_id, seconds, time_limit)
        return 201, {"stored": True, "item": item_id, "p_a": p_a, "seconds": seconds, "over_time": False}

    @staticmethod
    def _timed_out(item_id: str, seconds: float | None, time_limit: int | None = None) -> tuple[int, dict]:
        limit = f"the limit is {time_limit} s per item and " if time_limit else ""
        return 409, {"error": f"time is up: {limit}{seconds:.0f} s passed since the item was served (server "
                              f"clock); the judgment is not counted and the item is recorded as timed out",
                     "timed_out": True, "item": item_id, "seconds": seconds}

    def _submit_again(self, judge, item_id, p_a, explanation):
        """A concurrent duplicate lost the race to the unique constraint: answer as a repeat."""
        with self.engine.connect() as c:
            prev = c.execute(select(judgments).where(judgments.c.judge_id == judge,
                                                     judgments.c.item_id == item_id)).first()
        return self._repeat(prev, p_a, explanation)

    @classmethod
    def _repeat(cls, prev, p_a, explanation):
        if prev.over_time:
            return cls._timed_out(prev.item_id, prev.seconds)
        if abs(prev.p_a - p_a) < 1e-12 and prev.explanation == explanation:
            return 200, {"stored": True, "item": prev.item_id, "p_a": prev.p_a, "seconds": prev.seconds,
                         "over_time": bool(prev.over_time), "repeat": True}
        return 409, {"error": "this item was already judged; a judgment cannot be changed"}

    def rows(self) -> list[dict]:
        """Every judgment joined with its item and judge (for results and exports)."""
        with self.engine.connect() as c:
            asked = (select(func.count()).select_from(turns)
                     .where(turns.c.judge_id == judgments.c.judge_id, turns.c.item_id == judgments.c.item_id,
                            turns.c.speaker == "Judge").scalar_subquery())
            q = (select(judgments, items.c.body, items.c.protocol, items.c.question_id, judges.c.kind,
                        asked.label("questions_asked"))
                 .join(items, items.c.id == judgments.c.item_id).join(judges, judges.c.id == judgments.c.judge_id)
                 .order_by(judgments.c.id))
            return [dict(r._mapping) for r in c.execute(q)]

    def assignment_counts(self) -> list[dict]:
        with self.engine.connect() as c:
            q = select(assignments.c.judge_id, items.c.protocol, judges.c.kind,
                       judges.c.token_hash.is_not(None).label("invited")).join(
                items, items.c.id == assignments.c.item_id).join(judges, judges.c.id == assignments.c.judge_id)
            return [dict(r._mapping) for r in c.execute(q)]
