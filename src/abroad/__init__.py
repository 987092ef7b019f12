"""abroad: international mobility for outgoing students."""

__version__ = "0.1.0"
