"""Local web chat: a browser page where demo people talk to the engine.

``render`` turns the UI vocabulary into escaped HTML, ``sender`` keeps an
in-memory mailbox per person and pushes to open pages, ``routes`` wires the
page, the send endpoint and the websocket onto an aiohttp application.
"""
