"""Network mobility: ATHENS sessions and course choices, the Alliance4Tech certificate,
double degrees."""
