"""The office's imports and exports: the Commission's list of ECHE holders
(:mod:`.eche`) and the agreements spreadsheet (:mod:`.agreements`). The spreadsheet reading
and writing they share with the other apps' imports is :mod:`abroad.core.importing`.

Each import reads the whole file, checks every row, and reports what it did (or would do with
``dry_run``) in a report object that the management commands print and the admin renders.
"""
