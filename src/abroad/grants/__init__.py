"""Grants: what a mobility is paid (Erasmus+ and the university's and the State's top-ups)."""
