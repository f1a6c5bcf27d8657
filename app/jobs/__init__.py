"""Background work: where batches (and, next, the outbox) are processed.

Two runners, one job body (:func:`app.batches.service.process_batch`):

- **embedded** (:mod:`app.jobs.embedded`, the default on SQLite): a thread inside the process
  that committed the work, woken after the commit, sweeping now and then for work another
  process queued or a crashed one left; nothing extra to run;
- **procrastinate** (:mod:`app.jobs.queue`, PostgreSQL): ``badges worker`` processes, on any
  machines, take the jobs from the database (the procrastinate library: its own tables, created
  by the migration ``0007_job_queue``, and LISTEN/NOTIFY; no broker); the service only defers
  jobs, and every worker sweeps each minute, and when it starts, for batches nobody is on.

Which one a process uses follows its database URL (``BADGES_JOB_RUNNER`` overrides).
"""
