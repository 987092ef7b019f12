"""The office's imports and exports: the Commission's list of ECHE holders
(:mod:`.eche`), the agreements spreadsheet (:mod:`.agreements`), and the spreadsheet reading
and writing they share (:mod:`.tables`).

Each import reads the whole file, checks every row, and reports what it did (or would do with
``dry_run``) in a report object that the management commands print and the admin renders.
"""
