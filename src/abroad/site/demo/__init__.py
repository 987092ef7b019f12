"""The demo data of every app, loaded by ``python -m abroad demo``. It lives on the top floor
because it builds calls, mobilities, recognitions and ATHENS sessions together."""
