"""Benchmarks of the event log against the `eventsourcing` library and raw SQL.

Run with `python -m bench` (or `make bench`); `--quick` is a smoke run. One run measures,
on SQLite and PostgreSQL, three subjects side by side on the same events:

* `sco_registry`: this project's `SqlEventStore` (bench/subject_sco.py);
* `eventsourcing`: the eventsourcing 9.5 persistence layer (bench/subject_eventsourcing.py);
* `raw_sql`: plain inserts into the same table, the ceiling (bench/subject_raw.py);

over five workloads (bench/plan.py): W1 one event per transaction to new streams, W2
batches of 100 to one stream, W3 reading the whole log decoded, W4 loading a stream of
1,000 events, W5 four concurrent optimistic writers on eight streams; and, for this store
only, `import_1k` / `import_10k`: importing a seeded synthetic history file of 1,000 /
10,000 records through the command path (bench/history.py); and the read side (issue 8,
bench/readside.py, `--no-readside` to leave it out): rebuilding every read model from
synthetic logs of 100,000 and 1,000,000 events (bench/synthetic.py) and the read
functions' latency. It writes
`bench/results.json` and `docs/benchmarks.md` (bench/report.py). Benchmarks are never
tests: nothing here is collected by pytest.
"""
