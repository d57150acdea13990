"""Network ingest: fetching (HTTP client, address policy), feed parsing, the reader and its state.

Kept apart from the pure stages in ``pipeline/`` (parse, extract, dedupe, tag):
those take records and return records; this package talks to the network and
owns a state file. Kafka is still not in here (``agents/reader.py`` wires it).
"""
