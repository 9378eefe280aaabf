"""The pure core of the Mesos v1 scheduler HTTP API: codecs, RecordIO framing, request guard.

Nothing in this package does I/O; the HTTP server feeds it bytes and headers and acts on the
values it returns (in the style of h11).
"""
