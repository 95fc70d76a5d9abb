"""The shared eligibility core: may a DJI product buy a DJI Care Refresh plan now?

Knows nothing about video. Other packages use ``eligibility.store.Store`` (records, rules,
72-hour purchase windows, audit trail) and the models in ``eligibility.models``; the rules
themselves are pure functions in ``eligibility.rules``; reference data is in ``data/``.
"""
