"""``make loadtest``: the real stack (Redis, PostgreSQL, ``vidverify serve``, workers, an SMTP
sink, a video host) under load through the API, with faults. See ``bench/load/run.py``."""
