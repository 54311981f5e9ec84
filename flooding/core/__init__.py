"""The pure core: heart data, the flooding detector, the pause protocol and their words.

No I/O, no asyncio, no file or environment access: every function here is a plain
computation that the application layer feeds, so replays equal live sessions.
"""
