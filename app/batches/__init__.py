"""Batch issuance: a cohort's spreadsheet (CSV, XLSX or JSON rows) turned into credentials.

The input side (:mod:`.input`, :mod:`.template`, :mod:`.rows`) is pure: it reads and checks the
upload without a database, so every row can be validated before anything is issued.
"""
