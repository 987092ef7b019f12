"""Erasmus Without Paper XML: agreements (IIAs), learning agreements, nominations and
transcripts of records, validated against the official schemas."""
