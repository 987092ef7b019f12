"""Calls, applications, preferences, ranking formulas, allocation rounds, nominations."""
