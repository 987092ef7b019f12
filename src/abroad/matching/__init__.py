"""The ranked-choice layer that calls (``abroad.selection``) and ATHENS sessions
(``abroad.networks``) share: the allocation engine, the merit formulas, the application window,
the career rule, the explanation of a result and the ranked-list editor. It sits below both and
imports nothing from either."""
