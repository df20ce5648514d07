"""Platform fakes: aiohttp servers on an ephemeral loopback port that record every call."""
