"""Bulk inbox data for bench_inbox.py: cases and human tasks made in PostgreSQL itself.

Every row is written by a few INSERT ... SELECT FROM generate_series statements (no Python
loop, no round trip per row), so 1.1 million tasks load in a minute or two on 2 cores.

The shape, chosen to look like a busy insurer rather than to flatter the indexes:
- about 3.7 tasks per case; one open task per active case, completed tasks spread over all;
- 60% new business (APP-) and 40% claims (CLM-) cases; business keys are six-digit and the
  APP/CLM number sequences are moved past them, so real cases started later get fresh keys;
- each task is one of its process's real user tasks (element, title, form, lane role), so
  the clerk role holds about 40% of open work; about 10% of open tasks are claimed, by one
  of 20 people of the task's role (`clerk1` is one of the clerks);
- created over the last 60 days; 75% have a due date spread from 20 days ago to 20 days
  ahead; priorities mostly 50 with some 30, 70 and 90;
- customer names from 40 first names x 40 last names.

The rows are consistent by construction (each task's case exists), so foreign-key triggers
are skipped during the load (session_replication_role = replica; needs a superuser, as the
bench's `postgres` user is). VACUUM ANALYZE runs afterwards, as autovacuum would in time.
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import Engine, text


def _words(line: str) -> list[str]:
    return line.split()


FIRST_NAMES = _words(
    "Mei Wei Jun Li Hui Ying Chen Hao Yu Xin Anna Maria Laura Sofia Emma Olivia James John "
    "Robert Michael David Daniel Sarah Aisha Omar Fatima Ravi Priya Arjun Kenji Yuki Hana "
    "Minh Linh Thanh Carlos Lucia Pedro Ines Tomas")
LAST_NAMES = _words(
    "Lin Wang Chen Huang Zhang Liu Yang Wu Tsai Cheng Lee Kim Park Nguyen Tran Pham Sato "
    "Suzuki Tanaka Smith Jones Brown Taylor Wilson Garcia Martinez Lopez Silva Santos Costa "
    "Muller Schmidt Rossi Russo Khan Ali Patel Shah Novak Kowalski")

# (process, element, title, form key, lane role): the deployed processes' user tasks.
USER_TASKS = {
    "new_business": [
        ("complete_application", "Complete the application", "nb_application_correction",
         "clerk"),
        ("record_first_premium", "Record first premium", "nb_first_premium", "clerk"),
        ("underwriting_review", "Underwriting review", "nb_underwriting_review",
         "underwriter"),
        ("senior_underwriting_review", "Senior underwriting review", "nb_senior_review",
         "senior_underwriter"),
        ("deliver_policy", "Deliver policy", "nb_delivery", "clerk"),
        ("record_delivery_confirmation", "Record delivery confirmation",
         "nb_delivery_confirmation", "clerk"),
    ],
    "claims": [
        ("investigate_claim", "Investigate claim", "claim_investigation", "claims_handler"),
        ("assess_loss", "Assess loss", "claim_assessment", "claims_handler"),
        ("approve_claim_handler", "Approve claim", "claim_approval", "claims_handler"),
        ("approve_claim_senior", "Approve claim", "claim_approval", "senior_claims_handler"),
        ("approve_claim_manager", "Approve claim", "claim_approval", "claims_manager"),
        ("pay_claim_task", "Pay claim", "claim_payout", "finance"),
    ],
}
PEOPLE_PER_ROLE = 20
TASKS_PER_CASE = 3.7


def _sql_array(values: list[str] | tuple[str, ...]) -> str:
    return "ARRAY[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]"


def _kinds_values() -> str:
    rows = []
    for process_id, tasks in USER_TASKS.items():
        for index, (element, title, form, role) in enumerate(tasks, start=1):
            rows.append(f"('{process_id}', {index}, '{element}', '{title}', '{form}', '{role}')")
    return "(VALUES " + ", ".join(rows) + ") AS k(process_id, idx, element_id, title, " \
        "form_key, role)"


def case_count(open_tasks: int, completed_tasks: int) -> int:
    return max(open_tasks, round((open_tasks + completed_tasks) / TASKS_PER_CASE), 1)


CASES_SQL = """
INSERT INTO cases (id, process_version_id, process_id, business_key, customer_name, status,
                   version_id, workflow_state, serializer_version, last_event_seq, started_by,
                   created_at, updated_at, completed_at)
SELECT g, pv.id, pv.process_id,
       CASE WHEN pv.process_id = 'new_business' THEN 'APP-' ELSE 'CLM-' END
           || lpad(g::text, 6, '0'),
       (CAST(:first AS text[]))[1 + (hashint4(g) & 1023) % 40] || ' '
           || (CAST(:last AS text[]))[1 + (hashint4(-g) & 1023) % 40],
       CASE WHEN g <= :active THEN 'active' ELSE 'completed' END,
       1, '{}'::jsonb, 'bench', 0, 'bench',
       now() - interval '90 days' + (g::float8 / :cases) * interval '89 days',
       now() - interval '1 day' * ((hashint4(g) & 255) % 30),
       CASE WHEN g <= :active THEN NULL ELSE now() - interval '1 day' END
FROM generate_series(1, :cases) AS g
JOIN (SELECT DISTINCT ON (process_id) id, process_id FROM process_version
      ORDER BY process_id, version DESC) AS pv
  ON pv.process_id = CASE WHEN g % 10 < 6 THEN 'new_business' ELSE 'claims' END
"""

# One row per task; r1..r5 are the row's dice. Open task n belongs to active case n.
TASKS_SQL = """
INSERT INTO human_task (id, case_id, process_id, business_key, customer_name, customer_search,
                        element_id, title, form_key, role, instructions, status, assignee,
                        claimed_at, priority, due_at, created_at, completed_at, completed_by)
SELECT md5(CAST(:tag AS text) || t.n::text)::uuid::text, c.id, c.process_id, c.business_key,
       c.customer_name,
       lower(c.customer_name), k.element_id, k.title, k.form_key, k.role, NULL,
       :status,
       CASE WHEN :status = 'completed' OR t.r3 < 0.10
            THEN k.role || (1 + floor(t.r4 * :people))::int END,
       CASE WHEN :status = 'completed' OR t.r3 < 0.10 THEN t.created + interval '1 hour' END,
       CASE WHEN t.r5 < 0.80 THEN 50 WHEN t.r5 < 0.90 THEN 70 WHEN t.r5 < 0.95 THEN 90
            ELSE 30 END,
       CASE WHEN t.r2 < 0.75 THEN now() + (t.r2 / 0.75 * 40 - 20) * interval '1 day' END,
       t.created,
       CASE WHEN :status = 'completed' THEN t.created + t.r3 * interval '3 days' END,
       CASE WHEN :status = 'completed' THEN k.role || (1 + floor(t.r4 * :people))::int END
FROM (SELECT n, CASE WHEN :status = 'open' THEN n ELSE 1 + (n - 1) % :cases END AS case_id,
             random() AS r1, random() AS r2, random() AS r3, random() AS r4, random() AS r5,
             now() - random() * interval '60 days' AS created
      FROM generate_series(1, :rows) AS n) AS t
JOIN cases AS c ON c.id = t.case_id
JOIN {kinds} ON k.process_id = c.process_id AND k.idx = 1 + floor(t.r1 * 6)::int
"""


def load(engine: Engine, open_tasks: int, completed_tasks: int) -> dict[str, Any]:
    """Fill an empty, migrated database; returns row counts and seconds taken."""
    started = time.perf_counter()
    cases = case_count(open_tasks, completed_tasks)
    with engine.begin() as conn:
        conn.execute(text("SET LOCAL session_replication_role = replica"))
        conn.execute(text("SELECT setseed(0.42)"))
        conn.execute(text(CASES_SQL), {"first": FIRST_NAMES, "last": LAST_NAMES,
                                       "active": open_tasks, "cases": cases})
        tasks_sql = text(TASKS_SQL.format(kinds=_kinds_values()))
        for status, rows in (("open", open_tasks), ("completed", completed_tasks)):
            if rows:
                conn.execute(tasks_sql, {"tag": status[0], "status": status, "rows": rows,
                                         "cases": cases, "people": PEOPLE_PER_ROLE})
        conn.execute(text("SELECT setval(pg_get_serial_sequence('cases', 'id'), :n)"),
                     {"n": cases})
        for prefix in ("APP", "CLM"):  # real cases started later take keys after ours
            conn.execute(text("INSERT INTO number_sequence (name, next_value) VALUES (:p, :v) "
                              "ON CONFLICT (name) DO UPDATE SET next_value = :v"),
                         {"p": prefix, "v": cases + 1})
    loaded = time.perf_counter() - started
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE cases"))
        conn.execute(text("VACUUM ANALYZE human_task"))
        counts = dict(conn.execute(text(
            "SELECT status, count(*) FROM human_task GROUP BY status")).all())
        clerk_open = conn.scalar(text(
            "SELECT count(*) FROM human_task WHERE status = 'open' AND role = 'clerk'"))
    return {"cases": cases, "human_task_by_status": counts, "clerk_open_tasks": clerk_open,
            "load_s": round(loaded, 1),
            "vacuum_analyze_s": round(time.perf_counter() - started - loaded, 1)}
