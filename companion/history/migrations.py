"""The history schema as named, ordered migrations; each one is applied in its own transaction."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Migration:
    """One step of the schema, applied once, in order."""

    name: str
    """Stable name, recorded in ``_migrations`` when applied."""
    statements: tuple[str, ...]
    """SQL statements run inside one transaction."""
    optional: bool = False
    """It only adds tables that readers can do without: a history without it can still be read
    where it cannot be updated (a read-only folder), its tables standing in empty."""

    def stand_ins(self) -> tuple[str, ...]:
        """The statements that make its tables as empty TEMP tables (for a read-only reader)."""
        return tuple(
            "CREATE TEMP TABLE " + s.strip().removeprefix("CREATE TABLE ")
            for s in self.statements
            if s.strip().startswith("CREATE TABLE ")
        )


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        "0001_sessions",
        # Its SQL comments are shipped text (never edited) and list older values. What is written
        # today: sessions.how is a records.Outcome (completed, skipped, stopped, pain,
        # safety_check, warning_signs, incomplete; interrupted, set at the next start, if the
        # program stopped), NULL while running; stops.reason and skips.reason are a
        # records.Reason (user, pain, tired, warning_signs, safety_check).
        (
            """CREATE TABLE sessions (
            id INTEGER PRIMARY KEY,
            day TEXT NOT NULL,            -- ISO date the session counts for
            started_at TEXT NOT NULL,     -- ISO datetime (with UTC offset when known)
            ended_at TEXT,                -- NULL while running, or if the process died
            how TEXT                      -- completed, stopped, pain, tired, safety_check,
                                          -- device; 'interrupted' if it never ended
        )""",
            "CREATE INDEX sessions_day ON sessions(day)",
            """CREATE TABLE planned (
            session_id INTEGER NOT NULL REFERENCES sessions(id),
            position INTEGER NOT NULL,    -- order in the session, from 1
            exercise_id TEXT NOT NULL,
            sets INTEGER NOT NULL,
            reps INTEGER NOT NULL,        -- repetitions, or seconds for a timed exercise
            PRIMARY KEY (session_id, position)
        )""",
            """CREATE TABLE sets (
            id INTEGER PRIMARY KEY,
            session_id INTEGER NOT NULL REFERENCES sessions(id),
            at TEXT NOT NULL,             -- when the set ended
            exercise_id TEXT NOT NULL,
            set_number INTEGER NOT NULL,
            planned INTEGER NOT NULL,     -- planned reps (or seconds)
            done INTEGER NOT NULL,        -- reps (or seconds) actually done
            duration_s REAL NOT NULL,
            completed INTEGER NOT NULL CHECK (completed IN (0, 1))
        )""",
            "CREATE INDEX sets_session ON sets(session_id)",
            """CREATE TABLE ratings (
            id INTEGER PRIMARY KEY,
            session_id INTEGER NOT NULL REFERENCES sessions(id),
            at TEXT NOT NULL,
            exercise_id TEXT NOT NULL,
            set_number INTEGER NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('pain', 'effort')),
            value INTEGER NOT NULL CHECK (value BETWEEN 0 AND 10)
        )""",
            "CREATE INDEX ratings_session ON ratings(session_id)",
            """CREATE TABLE stops (
            id INTEGER PRIMARY KEY,
            session_id INTEGER NOT NULL REFERENCES sessions(id),
            at TEXT NOT NULL,
            exercise_id TEXT NOT NULL,
            reason TEXT NOT NULL          -- user, pain, tired, device, safety_check
        )""",
            """CREATE TABLE skips (
            id INTEGER PRIMARY KEY,
            session_id INTEGER NOT NULL REFERENCES sessions(id),
            at TEXT NOT NULL,
            exercise_id TEXT NOT NULL,
            reason TEXT NOT NULL          -- user, pain, tired
        )""",
        ),
    ),
    Migration(
        "0002_plan_log",
        (
            """CREATE TABLE changes (
            id INTEGER PRIMARY KEY,
            day TEXT NOT NULL,            -- the day the change took effect
            exercise_id TEXT NOT NULL,    -- '' for the whole programme
            kind TEXT NOT NULL,           -- up, down, hold, unlock, restart, approval_needed
            old INTEGER NOT NULL,
            new INTEGER NOT NULL,
            rule TEXT NOT NULL,           -- key in prompts/<lang>/progression.toml
            UNIQUE (day, exercise_id, kind, rule)
        )""",
            """CREATE TABLE approvals (
            id INTEGER PRIMARY KEY,
            day TEXT NOT NULL,            -- first day the approved exercise may start
            exercise_id TEXT NOT NULL UNIQUE,
            at TEXT NOT NULL
        )""",
            """CREATE TABLE reminders (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            day TEXT NOT NULL,
            outcome TEXT NOT NULL CHECK (outcome IN
                ('fired', 'snoozed', 'started', 'skipped', 'no_answer', 'missed'))
        )""",
            "CREATE INDEX reminders_day ON reminders(day)",
        ),
    ),
    Migration(
        "0003_safety_answers",
        (
            """CREATE TABLE safety_answers (
            id INTEGER PRIMARY KEY,
            session_id INTEGER NOT NULL REFERENCES sessions(id),
            at TEXT NOT NULL,
            question TEXT NOT NULL,       -- chest_pain, dizziness, pain_over_6, pain_now,
                                          -- stop_for_today, skip_after_pain,
                                          -- call_now_alert
            answer TEXT NOT NULL,         -- yes, no, 0-10 (pain_now), or why the alert was
                                          -- shown (chest_pain, warning_signs)
            text TEXT NOT NULL DEFAULT '' -- the words asked, as said
        )""",
            "CREATE INDEX safety_answers_session ON safety_answers(session_id)",
        ),
        optional=True,
    ),
    Migration(
        "0004_reminder_safety",
        (
            """CREATE TABLE reminder_safety (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,             -- when it was said (no session was running)
            day TEXT NOT NULL,            -- ISO date of the reminder
            what TEXT NOT NULL CHECK (what IN ('pain', 'warning_signs')),
                                          -- "it hurts", or the stroke warning signs
            text TEXT NOT NULL DEFAULT '' -- the words said back (the advice, the call-now lines)
        )""",
            "CREATE INDEX reminder_safety_day ON reminder_safety(day)",
        ),
        optional=True,
    ),
    Migration(
        "0005_screen_safety",
        (
            """CREATE TABLE screen_safety (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,             -- when it was pressed (no session, no reminder asking)
            day TEXT NOT NULL,            -- ISO date it was pressed
            what TEXT NOT NULL CHECK (what IN ('pain')),
                                          -- "It hurts" pressed on the screen
            text TEXT NOT NULL DEFAULT '' -- the words shown back (the advice)
        )""",
            "CREATE INDEX screen_safety_day ON screen_safety(day)",
        ),
        optional=True,
    ),
)
"""Every migration this code knows, oldest first. Never edit or reorder one that has shipped."""

TABLES = (
    "sessions",
    "planned",
    "sets",
    "ratings",
    "stops",
    "skips",
    "changes",
    "approvals",
    "reminders",
    "safety_answers",
    "reminder_safety",
    "screen_safety",
)
"""The tables a current history database must have."""
