"""How the service runs: worker processes and the threads that run blocking work.

Kept apart from ``app.core`` because these modules decide where requests execute (which
process accepts a connection, which thread runs a CPU-heavy handler) rather than what a request
does. ``workers`` is ``badges serve`` (one ``SO_REUSEPORT`` socket per worker process, the
supervisor, ``ConnectionRebalance``); ``lanes`` bounds the threads of one kind of work.
"""
